// The child of fork-reap.mjs: says "ready" over its IPC channel, exits when told to. On Node it
// also listens through node:cluster (the primary holds the socket, as pounce's Node workers do).
if (process.env.FORK_REAP_LISTEN) {
  const { createServer } = await import("node:http");
  createServer((_req, res) => res.end("ok")).listen(Number(process.env.FORK_REAP_LISTEN), "127.0.0.1", () =>
    process.send({ type: "ready" }),
  );
} else process.send({ type: "ready" });
process.on("message", (m) => m?.type === "drain" && process.exit(0));
