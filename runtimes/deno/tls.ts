/**
 * Deno's part of TLS: Deno.serve's `cert`/`key` with the PEM texts the supervisor checked; Deno then
 * negotiates HTTP/2 or HTTP/1.1 by ALPN (probed: curl and h2load get h2). Deno.serve takes neither a
 * passphrase nor extra CA certificates: an encrypted key is decrypted here (node:crypto), and the CA
 * certificates are sent after the chain, as Node and Bun send them. TLS on a unix socket is refused.
 */
import { createPrivateKey } from "node:crypto";
import type { TlsMaterial } from "../../src/tls/material.ts";
import type { DenoServeOptions } from "./deno-api.ts";

export function denoTls(tls: TlsMaterial | undefined, unix: boolean): Pick<DenoServeOptions, "cert" | "key"> {
  if (!tls) return {};
  // Deno.serve({ path, cert, key }) serves plain HTTP on the socket (probed): never downgrade silently.
  if (unix) throw new Error("Deno.serve cannot serve TLS on a unix socket (it would serve plain HTTP): drop --uds or --tls-cert");
  const key = tls.passphrase
    ? (createPrivateKey({ key: tls.key, passphrase: tls.passphrase }).export({ format: "pem", type: "pkcs8" }) as string)
    : tls.key;
  const cert = tls.ca ? `${tls.cert.trimEnd()}\n${tls.ca}` : tls.cert;
  return { cert, key };
}
