// node:cluster by hand: the primary forks $WORKERS workers, each running @hono/node-server.
import cluster from "node:cluster";

if (cluster.isPrimary) {
  const n = Number(process.env.WORKERS ?? 2);
  for (let i = 0; i < n; i++) cluster.fork();
} else {
  await import("./node-raw.mjs");
}
