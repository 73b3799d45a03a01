import { readFileSync } from "node:fs";

/** pounce's version, from package.json (src/cli/ → dist/src/cli/ at run time: three levels up). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
