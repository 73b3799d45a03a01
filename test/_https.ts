/**
 * HTTPS on 127.0.0.1 for the TLS tests: one request, closed-loop load (bounded in time and count),
 * and what a TLS handshake shows — the served certificate's serial, the ALPN protocol agreed.
 */
import https from "node:https";
import tls from "node:tls";
import type { LoadResult, Reply } from "./_http.ts";

export function httpsRequest(
  url: string,
  ca: string,
  opts: { agent?: https.Agent | false; timeoutMs?: number; socketPath?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca, agent: opts.agent ?? false, socketPath: opts.socketPath }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on("error", reject);
    });
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** One TLS handshake: the leaf certificate's serial and the ALPN protocol agreed (false: none). */
export function handshake(
  port: number,
  ca: string,
  alpn = ["h2", "http/1.1"],
): Promise<{ serial: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca, ALPNProtocols: alpn }, () => {
      const peer = socket.getPeerCertificate(true);
      const agreed = socket.alpnProtocol ?? false;
      socket.end();
      resolve({ serial: peer.serialNumber, issuerSerial: peer.issuerCertificate?.serialNumber ?? "", alpn: agreed });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error("handshake timeout")));
    socket.once("error", reject);
  });
}

export interface HttpsLoad {
  readonly result: LoadResult;
  stop(): Promise<LoadResult>;
  /** Resolves once `n` requests have completed (bounded). */
  seen(n: number, timeoutMs?: number): Promise<void>;
}

/** `keepAlive` clients reusing TLS sessions back to back, `perRequest` clients with a new connection
 *  (and handshake) per request; until `durationMs` or `maxRequests` or stop(). */
export function startHttpsLoad(
  port: number,
  ca: string,
  opts: { keepAlive: number; perRequest: number; durationMs: number; maxRequests?: number },
): HttpsLoad {
  const result: LoadResult = { ok: 0, failed: 0, errors: {}, responses: [] };
  const agent = new https.Agent({ keepAlive: true, maxSockets: opts.keepAlive, ca });
  const until = Date.now() + opts.durationMs;
  const max = opts.maxRequests ?? 100_000;
  let halted = false;
  let sent = 0;
  const client = async (a: https.Agent | false) => {
    while (!halted && Date.now() < until && sent < max) {
      sent++;
      try {
        const r = await httpsRequest(`https://127.0.0.1:${port}/`, ca, { agent: a, timeoutMs: 10_000 });
        if (r.status >= 200 && r.status < 300) {
          result.ok++;
          result.responses.push({ at: Date.now(), body: r.body });
        } else {
          result.failed++;
          result.errors[`HTTP ${r.status}`] = (result.errors[`HTTP ${r.status}`] ?? 0) + 1;
        }
      } catch (err) {
        result.failed++;
        const key = (err as { code?: string }).code ?? (err as Error).message;
        result.errors[key] = (result.errors[key] ?? 0) + 1;
      }
    }
  };
  const done = Promise.all([
    ...Array.from({ length: opts.keepAlive }, () => client(agent)),
    ...Array.from({ length: opts.perRequest }, () => client(false)),
  ]).then(() => {
    agent.destroy();
    return result;
  });
  let finished = false;
  done.then(() => (finished = true));
  return {
    result,
    stop() {
      halted = true;
      return done;
    },
    async seen(n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (result.ok + result.failed < n) {
        if (finished) throw new Error(`load ended before ${n} responses (${result.ok} ok, ${result.failed} failed)`);
        if (Date.now() > deadline) throw new Error(`load: not ${n} responses within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}
