#!/usr/bin/env node
// The installed `pounce` command. Run it directly from init systems (not through npx/npm exec,
// which do not forward SIGHUP to it).
import { existsSync } from "node:fs";

// `bunx pounce app.ts`: bunx follows this file's `node` shebang, so pounce would run on Node. When
// bunx started it, hand over to the Bun that bunx is (same PID via execve where Node has it, so the
// supervisor is still the process that gets the signals), else run Bun as a child and relay.
const bunForBunx = !process.versions.bun && !globalThis.Deno ? await findBunxBun() : undefined;
if (bunForBunx) await runOnBun(bunForBunx);

/** The bun binary that ran `bunx` (which sets npm_lifecycle_event=bunx), if that is how we started. */
async function findBunxBun() {
  const env = process.env;
  if (env.npm_lifecycle_event !== "bunx" || env.POUNCE_BUNX_NODE === "1") return undefined;
  const isBun = (file) => /(^|\/)bunx?(\.exe)?$/.test(file ?? "");
  const { readlinkSync } = await import("node:fs");
  try {
    const parent = readlinkSync(`/proc/${process.ppid}/exe`); // Linux: bunx is our parent
    if (isBun(parent)) return parent;
  } catch {}
  if (isBun(env.npm_execpath)) return env.npm_execpath;
  return "bun"; // from PATH
}

async function runOnBun(bun) {
  const { fileURLToPath } = await import("node:url");
  // bunx's binary is bun itself: argv[0] "bun" makes it behave as bun, not as bunx.
  const argv = ["bun", fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  if (typeof process.execve === "function") process.execve(bun, argv, process.env); // never returns
  const { spawn } = await import("node:child_process");
  const child = spawn(bun, argv.slice(1), { argv0: "bun", stdio: "inherit" });
  for (const sig of ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGTERM", "SIGINT"])
    process.on(sig, () => {
      try {
        child.kill(sig);
      } catch {}
    });
  child.on("error", (err) => {
    process.stderr.write(`pounce: error: cannot start Bun (${bun}): ${err.message}\n`);
    process.exit(1);
  });
  await new Promise(() =>
    child.on("exit", (code, signal) => {
      if (signal) {
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
      }
      process.exit(code ?? 1);
    }),
  );
}

// Deno: check permissions first, so a missing one is a one-line error, not a NotCapable stack.
if (globalThis.Deno) (await import("../dist/runtimes/deno/preflight.js").catch(() => undefined))?.preflight();

const cli = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("pounce: error: dist/ is missing — run `npm install` (or `npm run build`) in the pounce checkout\n");
  process.exit(1);
}
const { main } = await import(cli.href);
await main(process.argv.slice(2));
