/** Raw HTTP/1.1 over node:net (or node:tls), for what an HTTP client library will not send (hostile clients). */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

export interface RawResult {
  /** Everything the server sent. */
  data: string;
  /** ms from connect until the server closed (or reset) the connection; null if still open at the bound. */
  closedAfterMs: number | null;
  /** ms from connect until the first byte came back; null if none. */
  firstByteMs: number | null;
}

export interface RawOptions {
  /** Bytes sent at once after connecting. */
  send?: string;
  /** Then these, one every `everyMs` (a slow client). */
  drip?: string[];
  everyMs?: number;
  /** Give up waiting for the close after this long (default 15 s). */
  boundMs?: number;
  /** Over TLS, trusting this CA (PEM), offering HTTP/1.1 only; the clock starts at the TCP connect. */
  tlsCa?: string;
  /** Over TLS: open the TCP connection but never start the handshake (send nothing at all). */
  noHandshake?: boolean;
}

export function raw(port: number, o: RawOptions): Promise<RawResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s: Socket =
      o.tlsCa && !o.noHandshake
        ? tlsConnect({ host: "127.0.0.1", port, ca: o.tlsCa, ALPNProtocols: ["http/1.1"] })
        : connect(port, "127.0.0.1");
    let data = "";
    let firstByteMs: number | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    const done = (closedAfterMs: number | null) => {
      clearInterval(timer);
      clearTimeout(bound);
      s.destroy();
      resolve({ data, closedAfterMs, firstByteMs });
    };
    const bound = setTimeout(() => done(null), o.boundMs ?? 15_000);
    s.on("data", (d) => {
      firstByteMs ??= Date.now() - t0;
      data += d.toString("latin1");
    });
    s.on("error", () => {});
    s.on("close", () => done(Date.now() - t0));
    s.on(o.tlsCa && !o.noHandshake ? "secureConnect" : "connect", () => {
      if (o.send) s.write(o.send);
      const drip = [...(o.drip ?? [])];
      if (drip.length)
        timer = setInterval(() => {
          const next = drip.shift();
          if (next === undefined) return clearInterval(timer);
          if (!s.destroyed) s.write(next);
        }, o.everyMs ?? 200);
    });
  });
}

/** The status code of the first response in `data` (0 when there is none). */
export function statusOf(data: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
  return m ? Number(m[1]) : 0;
}

/** A connection closed (`closedAfterMs`, null: still open at the bound) between `lo` and `hi` ms. */
export function assertClosedWithin(what: string, ms: number | null, lo: number, hi: number): void {
  assert.ok(ms !== null, `${what}: still open after 15 s`);
  assert.ok(ms >= lo && ms <= hi, `${what}: closed after ${ms} ms, expected ${lo}–${hi} ms`);
}
