// Deno.serve. (The multi-process peer is `deno serve --parallel hello.mjs`, started by the bench.)
import { app, hostname, port } from "./_app.mjs";

Deno.serve({ port, hostname, onListen() {} }, app.fetch);
