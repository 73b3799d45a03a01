/**
 * The modules verify deploys. Each good deploy is a small wrapper around the user's app that tags
 * every response with its deploy number (header `x-pounce-verify-deploy`), so verify can tell which
 * code answered; the bad deploy throws at import. pounce serves them through one symlink, which it
 * resolves again on every reload (src/entry.ts), so flipping the link is the deploy.
 */
import { renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ResolvedEntry } from "../entry.ts";

export const DEPLOY_HEADER = "x-pounce-verify-deploy";
export const BAD_DEPLOY_MESSAGE = "pounce verify: deliberately bad deploy (throws at import)";

/** Plain JavaScript in a .ts file: every runtime imports it, and on Node 20 jiti then also loads a .ts app. */
export function wrapperSource(app: ResolvedEntry, deploy: number, appModuleUrl: string): string {
  const tag = JSON.stringify(String(deploy));
  return `// Written by pounce verify: deploy ${deploy} of ${app.spec}
import * as mod from ${JSON.stringify(pathToFileURL(app.file).href)};
import { resolveApp } from ${JSON.stringify(appModuleUrl)};
const app = resolveApp(mod, ${JSON.stringify(app.exportName)}, ${JSON.stringify(app.spec)});
function tag(res) {
  if (!(res instanceof Response)) return res;
  try {
    res.headers.set(${JSON.stringify(DEPLOY_HEADER)}, ${tag});
    return res;
  } catch {}
  if (res.status < 200 || res.status > 599) return res;
  const copy = new Response(res.body, res);
  copy.headers.set(${JSON.stringify(DEPLOY_HEADER)}, ${tag});
  return copy;
}
export default {
  fetch(request, ...rest) {
    const res = app.fetch(request, ...rest);
    return res && typeof res.then === "function" ? res.then(tag) : tag(res);
  },
  onDrain: app.onDrain,
};
`;
}

export const badSource = `// Written by pounce verify: a deploy that must be refused
throw new Error(${JSON.stringify(BAD_DEPLOY_MESSAGE)});
export default { fetch: () => new Response("bad deploy served") };
`;

/** The scratch folder: `current.ts` is the entry pounce serves, a link to one deploy file. */
export class DeployDir {
  readonly dir: string;
  readonly entry: string;
  readonly #appModuleUrl: string;

  constructor(dir: string, appModuleUrl: string) {
    this.dir = dir;
    this.entry = join(dir, "current.ts");
    this.#appModuleUrl = appModuleUrl;
  }

  /** Write deploy `n` of `app` and point the entry at it. */
  deploy(app: ResolvedEntry, n: number): void {
    const file = join(this.dir, `deploy-${n}.ts`);
    writeFileSync(file, wrapperSource(app, n, this.#appModuleUrl));
    this.#point(file);
  }

  /** Point the entry at a module that throws at import. */
  deployBad(): void {
    const file = join(this.dir, "deploy-bad.ts");
    writeFileSync(file, badSource);
    this.#point(file);
  }

  /** Back to an already written deploy (after the bad one, so a restarted worker runs good code). */
  restore(n: number): void {
    this.#point(join(this.dir, `deploy-${n}.ts`));
  }

  /** Atomically: a new link beside the old, renamed over it. */
  #point(file: string): void {
    const tmp = `${this.entry}.next`;
    symlinkSync(file, tmp);
    renameSync(tmp, this.entry);
  }
}
