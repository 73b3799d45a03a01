/**
 * Certificates for the TLS tests, made with `openssl` into a scratch folder: one CA, leaf
 * certificates for 127.0.0.1 with chosen serials (all on one key, as a renewal keeps it, or on a
 * new key), a leaf under an intermediate CA, an expired one (`-days -1`: openssl 3.0 has no -not_after), a key of another pair, and
 * the leaf key encrypted with a passphrase.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Certs {
  dir: string;
  /** The CA certificate clients trust (PEM text). */
  caPem: string;
  caFile: string;
  /** The leaf key every `leaf()` certificate is signed for. */
  keyFile: string;
  /** A key that belongs to no certificate here. */
  otherKeyFile: string;
  /** `keyFile` encrypted with PASSPHRASE. */
  encryptedKeyFile: string;
  /** A leaf certificate for 127.0.0.1 with this serial (hex), valid `days` days (negative: expired). */
  leaf(name: string, serial: string, days?: number): string;
  /** An intermediate CA (serial 10) under the CA, and a leaf (serial 20) it signed for `keyFile`. */
  chain(): { intermediateFile: string; leafFile: string };
}

export const PASSPHRASE = "correct horse";

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

export function makeCerts(dir: string): Certs {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(dir, ["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=pounce test CA", "-days", "3"]);
  openssl(dir, ["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1"]);
  openssl(dir, ["req", ...ec, "-keyout", "other.key", "-out", "other.csr", "-subj", "/CN=other"]);
  openssl(dir, ["pkey", "-in", "leaf.key", "-aes256", "-passout", `pass:${PASSPHRASE}`, "-out", "leaf-encrypted.key"]);
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  return {
    dir,
    caPem: readFileSync(join(dir, "ca.pem"), "utf8"),
    caFile: join(dir, "ca.pem"),
    keyFile: join(dir, "leaf.key"),
    otherKeyFile: join(dir, "other.key"),
    encryptedKeyFile: join(dir, "leaf-encrypted.key"),
    leaf(name, serial, days = 2) {
      const out = `${name}.pem`;
      const sign = ["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", `0x${serial}`];
      openssl(dir, [...sign, "-days", String(days), "-extfile", "san.ext", "-out", out]);
      return join(dir, out);
    },
    chain() {
      writeFileSync(join(dir, "ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
      openssl(dir, ["req", ...ec, "-keyout", "int.key", "-out", "int.csr", "-subj", "/CN=pounce test intermediate"]);
      const signInt = ["x509", "-req", "-in", "int.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "0x10"];
      openssl(dir, [...signInt, "-days", "2", "-extfile", "ca.ext", "-out", "int.pem"]);
      const signLeaf = ["x509", "-req", "-in", "leaf.csr", "-CA", "int.pem", "-CAkey", "int.key", "-set_serial", "0x20"];
      openssl(dir, [...signLeaf, "-days", "2", "-extfile", "san.ext", "-out", "chained.pem"]);
      return { intermediateFile: join(dir, "int.pem"), leafFile: join(dir, "chained.pem") };
    },
  };
}
