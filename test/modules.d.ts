// Test-only packages that ship no types of their own.
declare module "parse-prometheus-text-format";
declare module "ws";
