/**
 * Bun's part of TLS: Bun.serve's `tls` option with the PEM texts the supervisor checked. Bun.serve
 * speaks HTTP/1.1 only over TLS: it agrees on no ALPN protocol (an h2 client falls back to
 * HTTP/1.1; probed with Bun 1.4.5 — `ALPNProtocols` is accepted and changes nothing).
 */
import type { TlsMaterial } from "../../src/tls/material.ts";
import type { BunServeOptions } from "./bun-api.ts";

export function bunTls(tls: TlsMaterial | undefined): Pick<BunServeOptions, "tls"> {
  if (!tls) return {};
  return {
    tls: {
      cert: tls.cert,
      key: tls.key,
      ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
      ...(tls.ca ? { ca: tls.ca } : {}),
    },
  };
}
