// The raw Node server pounce's Node adapter is built on: @hono/node-server's serve().
// Under PM2 (PM2_GRACEFUL=1) it closes on SIGINT the way PM2's docs tell users to.
import { serve } from "@hono/node-server";
import { app, hostname, port } from "./_app.mjs";

const server = serve({ fetch: app.fetch, port, hostname });
if (process.env.PM2_GRACEFUL) {
  process.on("SIGINT", () => server.close(() => process.exit(0)));
}
