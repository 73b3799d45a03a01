/** Public API for apps served by pounce: the app's types, and defineConfig for pounce.config.ts. */
export type { DrainInfo, FetchHandler, PounceApp, ServeContext } from "./app.ts";
export { defineConfig, type PounceConfig } from "./define-config.ts";
