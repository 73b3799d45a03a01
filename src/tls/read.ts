/**
 * Read the TLS files a configuration names (relative to the generation's working directory) and
 * check them (check.ts). Called by config-source.ts at start and again for every reload, so a
 * renewed certificate goes live with the next reload and a bad one refuses it.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Config } from "../config.ts";
import { errors } from "../errors.ts";
import { checkTls } from "./check.ts";
import type { TlsMaterial } from "./material.ts";

export function readTls(config: Config, cwd: string, now = Date.now()): TlsMaterial | undefined {
  if (!config.tlsCert) return undefined;
  const read = (file: string) => ({ file, pem: readPem(resolve(cwd, file), file) });
  return checkTls(
    {
      cert: read(config.tlsCert),
      key: read(config.tlsKey),
      ...(config.tlsKeyPassphrase ? { passphrase: config.tlsKeyPassphrase } : {}),
      ...(config.tlsCa ? { ca: read(config.tlsCa) } : {}),
    },
    now,
  );
}

function readPem(path: string, shown: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === "ENOENT"
        ? "does not exist"
        : e.code === "EACCES"
          ? "cannot be read (permission denied)"
          : e.code === "EISDIR"
            ? "is a directory, not a file"
            : `cannot be read (${e.code ?? e.message})`;
    throw errors.tls(shown, why);
  }
}
