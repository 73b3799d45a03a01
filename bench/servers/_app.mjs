// Loads the app a raw server serves: $APP (an absolute path) or hello.mjs.
import { pathToFileURL } from "node:url";

const file = process.env.APP;
export const app = (await import(file ? pathToFileURL(file).href : "./hello.mjs")).default;
export const port = Number(process.env.PORT ?? 3000);
export const hostname = "127.0.0.1";
