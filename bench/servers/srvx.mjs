// srvx's serve() on whichever runtime runs this file (node, bun, deno).
import { serve } from "srvx";
import { app, hostname, port } from "./_app.mjs";

serve({ fetch: app.fetch, port, hostname, silent: true, gracefulShutdown: false });
