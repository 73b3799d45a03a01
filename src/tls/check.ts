/**
 * The checks a certificate and key pass before any worker serves them, at start and on every reload:
 * both parse, the key opens with the passphrase given, the certificate is valid now (not expired, not
 * yet to come), and the key is the certificate's own. Each failure is one line naming the file and why.
 * node:crypto's X509Certificate and createPrivateKey behave alike on Node, Bun and Deno (probed).
 */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { errors } from "../errors.ts";
import type { TlsMaterial } from "./material.ts";

/** The PEM texts as read, with the names of the files they came from (for the messages). */
export interface TlsFiles {
  cert: { file: string; pem: string };
  key: { file: string; pem: string };
  passphrase?: string;
  ca?: { file: string; pem: string };
}

export function checkTls(files: TlsFiles, now: number): TlsMaterial {
  const { cert, key } = files;
  if (!/-----BEGIN CERTIFICATE-----/.test(cert.pem))
    throw errors.tls(cert.file, "is not a PEM certificate (no BEGIN CERTIFICATE line)");
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert.pem);
  } catch (err) {
    throw errors.tls(cert.file, `is not a readable certificate (${reason(err)})`);
  }
  const notBefore = Date.parse(leaf.validFrom);
  const notAfter = Date.parse(leaf.validTo);
  if (now >= notAfter) throw errors.tls(cert.file, `expired on ${iso(notAfter)} (serial ${leaf.serialNumber})`);
  if (now < notBefore) throw errors.tls(cert.file, `is not valid before ${iso(notBefore)} (serial ${leaf.serialNumber})`);

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(files.passphrase ? { key: key.pem, passphrase: files.passphrase } : key.pem);
  } catch (err) {
    throw errors.tls(key.file, keyProblem(key.pem, files.passphrase, err));
  }
  if (!leaf.checkPrivateKey(privateKey))
    throw errors.tls(key.file, `does not match the certificate ${cert.file} (the certificate's public key is another key's)`);

  if (files.ca) {
    if (!/-----BEGIN CERTIFICATE-----/.test(files.ca.pem))
      throw errors.tls(files.ca.file, "is not a PEM certificate (no BEGIN CERTIFICATE line)");
    try {
      new X509Certificate(files.ca.pem);
    } catch (err) {
      throw errors.tls(files.ca.file, `is not a readable certificate (${reason(err)})`);
    }
  }
  return {
    cert: cert.pem,
    key: key.pem,
    ...(files.passphrase ? { passphrase: files.passphrase } : {}),
    ...(files.ca ? { ca: files.ca.pem } : {}),
    serial: leaf.serialNumber,
    notAfter: iso(notAfter),
  };
}

function keyProblem(pem: string, passphrase: string | undefined, err: unknown): string {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return "is not a PEM private key (no BEGIN PRIVATE KEY line)";
  const encrypted = /ENCRYPTED/.test(pem);
  if (encrypted && !passphrase)
    return "is encrypted: give its passphrase with --tls-key-passphrase (or POUNCE_TLS_KEY_PASSPHRASE)";
  if (encrypted) return "cannot be decrypted with the passphrase given (--tls-key-passphrase)";
  return `is not a readable private key (${reason(err)})`;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
