/**
 * What a worker serves TLS with: the PEM contents the supervisor read and checked (never paths, so a
 * worker serves exactly what was validated, even if the files change while it starts).
 */
export interface TlsMaterial {
  /** The certificate chain, leaf first (PEM). */
  cert: string;
  /** The private key (PEM), possibly encrypted with `passphrase`. */
  key: string;
  passphrase?: string;
  /** Extra CA certificates (PEM), when --tls-ca was given. */
  ca?: string;
  /** The leaf certificate's serial number (hex, as node:crypto spells it), for the log. */
  serial: string;
  /** When the leaf certificate expires (ISO 8601), for the log. */
  notAfter: string;
}
