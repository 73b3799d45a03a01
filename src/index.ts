/** Public types for apps served by pounce. */
export type { DrainInfo, FetchHandler, PounceApp, ServeContext } from "./app.ts";
