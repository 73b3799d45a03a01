export { createNodeAdapter as createAdapter } from "./adapter.ts";
