export { createDenoAdapter as createAdapter } from "./adapter.ts";
