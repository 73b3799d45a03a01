export { createBunAdapter as createAdapter } from "./adapter.ts";
