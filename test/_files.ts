/** Scratch folders and the apps written into them. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./_runtimes.ts";

/** A scratch folder inside the checkout, so apps in it resolve pounce's node_modules (hono). */
export function tempDir(): string {
  const base = join(ROOT, "test/.tmp");
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, "t-"));
}

/** What versionedApp's /slow logs once the request is in the app (what a test waits for, not a sleep). */
export const SLOW_STARTED = "slow request started";

/** A versioned app whose body names its version: deploy() rewrites it in place. */
export function versionedApp(dir: string, version: string, extra = ""): string {
  const file = join(dir, "app.ts");
  writeFileSync(
    file,
    `const VERSION: string = ${JSON.stringify(version)};
${extra}
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/slow") {
      console.log(${JSON.stringify(SLOW_STARTED)} + " (" + VERSION + ")");
      await new Promise((r) => setTimeout(r, Number(url.searchParams.get("ms") ?? 2000)));
    }
    return new Response(VERSION);
  },
};
`,
  );
  return file;
}

export function writeApp(dir: string, name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
