/**
 * Open-loop load of fresh connections: one request per connection (Connection: close) at a fixed
 * rate, bounded in time and count, 127.0.0.1 only. Each connection's fate is kept with the time its
 * handshake completed, so a test can tell a refused connection (nothing listening: safe to retry)
 * from one reset or cut after it was established (its request may have been read).
 */
import net from "node:net";

export interface FreshConnection {
  openedAt: number;
  /** When the handshake completed (undefined: never established). */
  connectedAt?: number;
  status?: number;
  /** When it was answered, failed or given up. */
  settledAt?: number;
  /** The socket error code, "eof" (closed before a whole response) or "timeout"; undefined if answered. */
  error?: string;
}

export interface FreshLoad {
  readonly connections: FreshConnection[];
  /** Resolves once `n` connections got a response (the load really runs); bounded. */
  answered(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves when the run is over and every connection has settled (each bounded by its timeout). */
  readonly done: Promise<FreshConnection[]>;
}

export function startFreshLoad(
  port: number,
  opts: { rate: number; durationMs: number; maxConnections: number; path?: string; timeoutMs?: number },
): FreshLoad {
  const connections: FreshConnection[] = [];
  const settled: Array<Promise<void>> = [];
  const head = `GET ${opts.path ?? "/"} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`;
  const open = () =>
    new Promise<void>((resolve) => {
      const c: FreshConnection = { openedAt: Date.now() };
      connections.push(c);
      let data = "";
      const socket = net.connect({ host: "127.0.0.1", port });
      const finish = (error?: string) => {
        if (c.status === undefined && c.error === undefined) {
          const m = /^HTTP\/1\.1 (\d{3}) /.exec(data);
          if (m && !error) c.status = Number(m[1]);
          else c.error = error ?? "eof";
        }
        c.settledAt ??= Date.now();
        clearTimeout(timer);
        socket.destroy();
        resolve();
      };
      const timer = setTimeout(() => finish("timeout"), opts.timeoutMs ?? 10_000);
      socket.on("connect", () => {
        c.connectedAt = Date.now();
        socket.write(head);
      });
      socket.setEncoding("latin1");
      socket.on("data", (d: string) => (data += d));
      socket.on("end", () => finish());
      socket.on("error", (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
      socket.on("close", () => finish());
    });
  const start = Date.now();
  const done = new Promise<FreshConnection[]>((resolve) => {
    const tick = () => {
      const due = Math.min(opts.maxConnections, Math.floor(((Date.now() - start) * opts.rate) / 1000));
      while (connections.length < due) settled.push(open());
      if (Date.now() - start < opts.durationMs && connections.length < opts.maxConnections) setTimeout(tick, 2);
      else void Promise.all(settled).then(() => resolve(connections));
    };
    tick();
  });
  return {
    connections,
    done,
    async answered(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (connections.filter((c) => c.status !== undefined).length < n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} answered connections`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
