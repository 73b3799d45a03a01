/**
 * `--port 0`: the supervisor picks one free port up front so every worker of every generation uses
 * the same one (a per-worker port 0 would give each listener its own port).
 */
import { createServer } from "node:net";
import { errors } from "../errors.ts";

export function pickFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (err) => reject(errors.listenFailed(host, 0, err.message)));
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
