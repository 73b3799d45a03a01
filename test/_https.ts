/**
 * HTTPS on 127.0.0.1 for the TLS tests: one request, closed-loop load (bounded in time and count),
 * and what a TLS handshake shows — the served certificate's serial, the ALPN protocol agreed.
 */
import https from "node:https";
import tls from "node:tls";
import { type LoadTransport, type Reply, type RunningLoad, replyTo, startLoad } from "./_http.ts";

export function httpsRequest(
  url: string,
  ca: string,
  opts: { agent?: https.Agent | false; timeoutMs?: number; socketPath?: string } = {},
): Promise<Reply> {
  return replyTo(https.request(url, { ca, agent: opts.agent ?? false, socketPath: opts.socketPath }), opts.timeoutMs);
}

/** One TLS handshake: the leaf certificate's serial and the ALPN protocol agreed (false: none). */
export function handshake(
  port: number,
  ca: string,
  alpn = ["h2", "http/1.1"],
): Promise<{ serial: string; issuerSerial: string; alpn: string | false }> {
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

/** `keepAlive` clients reusing TLS sessions back to back, `perRequest` clients with a new connection
 *  (and handshake) per request; until `durationMs` or `maxRequests` or stop(): _http.ts's load over HTTPS. */
export function startHttpsLoad(
  port: number,
  ca: string,
  opts: { keepAlive: number; perRequest: number; durationMs: number; maxRequests?: number },
): RunningLoad {
  const transport: LoadTransport = {
    agent: new https.Agent({ keepAlive: true, maxSockets: opts.keepAlive, ca }),
    send: (path, agent, timeoutMs) =>
      httpsRequest(`https://127.0.0.1:${port}${path}`, ca, { agent: agent as https.Agent | false, timeoutMs }),
  };
  return startLoad(port, { ...opts, transport });
}
