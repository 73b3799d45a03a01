#!/usr/bin/env node
// The installed `pounce` command. Run it directly from init systems (not through npx/npm exec,
// which do not forward SIGHUP to it).

// First thing: catch the lifecycle signals. Until the supervisor installs its own handlers (after
// loading pounce, its config and the adapter), a SIGHUP or SIGTERM would take its default action and
// kill this process (a SIGTTIN or SIGTTOU would stop it). Caught ones wait here; main() hands them
// to the supervisor once it is up.
// (No static import above this: on Deno, loading a node: module first costs ~30 ms of that window,
// and so does touching `process`, hence Deno's own signal API.)
globalThis.__pounceBinAt = performance.timeOrigin + performance.now(); // POUNCE_TRACE_STARTUP (src/startup-trace.ts)
const early = catchEarlySignals();

// `bunx pounce app.ts`: bunx follows this file's `node` shebang, so pounce would run on Node. When
// bunx started it, hand over to the Bun that bunx is (same PID via execve where Node has it, so the
// supervisor is still the process that gets the signals), else run Bun as a child and relay.
const bunForBunx = !globalThis.Deno && !process.versions.bun ? await findBunxBun() : undefined;
if (bunForBunx) await runOnBun(bunForBunx);

/**
 * Queue SIGHUP, SIGUSR1, SIGTERM, SIGINT, SIGTTIN and SIGTTOU, one entry per kind in arrival order
 * (copies of one Ctrl-C or hang-up are one signal; the kernel coalesces pending ones the same way).
 * `take()` returns the queue and stops catching: call it only once other handlers are in place, or the
 * default action is back. Under bunx the queue may be seeded by the process this one replaced (execve); a relaying
 * parent holds its signals until this process writes to POUNCE_RELAY_READY_FD that it catches them.
 */
function catchEarlySignals() {
  const deno = globalThis.Deno;
  const caught = [];
  const add = (sig) => caught.includes(sig) || caught.push(sig);
  // SIGHUP last: /proc showing it caught (SigCgt) then means every one of them is (operators and
  // test/boot.test.ts poll for it before signalling; one installed after it was a gap a busy machine hit).
  const listeners = ["SIGTERM", "SIGINT", "SIGUSR1", "SIGTTIN", "SIGTTOU", "SIGHUP"].map((sig) => [sig, () => add(sig)]);
  for (const [sig, fn] of listeners) deno ? deno.addSignalListener(sig, fn) : process.on(sig, fn);
  // Not on Deno: reading the environment may need a permission not yet checked, and these variables
  // only come from bunx runs.
  if (!deno) {
    for (const sig of (process.env.POUNCE_EARLY_SIGNALS ?? "").split(",")) if (listeners.some(([s]) => s === sig)) add(sig);
    const fd = Number(process.env.POUNCE_RELAY_READY_FD);
    delete process.env.POUNCE_EARLY_SIGNALS;
    delete process.env.POUNCE_RELAY_READY_FD;
    if (fd > 2)
      import("node:fs").then((fs) => {
        try {
          fs.writeSync(fd, "1");
          fs.closeSync(fd);
        } catch {}
      });
  }
  return {
    /** The queue so far, still catching (what an execve carries over). */
    peek: () => [...caught],
    take() {
      for (const [sig, fn] of listeners) deno ? deno.removeSignalListener(sig, fn) : process.off(sig, fn);
      return caught.splice(0);
    },
  };
}

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

/**
 * Resolves once every signal received so far is in the queue. Node runs signal listeners from its
 * event loop, after libuv's C handler (on whichever thread the kernel picked) wrote the signal to
 * a pipe: one turn of the loop may poll that pipe before the handler wrote, and then execve drops
 * it. So send ourselves a sentinel through the same pipe and wait for it: the kernel delivers every
 * signal still pending (lower numbers first) before kill() returns, and a handler already running
 * on another thread holds libuv's lock, which the sentinel's handler waits for, until it has
 * written. SIGURG: ignored by default, unused by Node. Its listener stays (execve
 * drops it): /proc shows from when on a signal may miss the hand-over (test/_boot.ts).
 */
function signalsReachedQueue() {
  return new Promise((resolve) => {
    // Signal handles do not keep Node's loop alive, and the wait is bounded either way.
    const timer = setTimeout(resolve, 2000);
    process.on("SIGURG", () => {
      clearTimeout(timer);
      resolve();
    });
    process.kill(process.pid, "SIGURG");
  });
}

async function runOnBun(bun) {
  const { fileURLToPath } = await import("node:url");
  // bunx's binary is bun itself: argv[0] "bun" makes it behave as bun, not as bunx.
  const argv = ["bun", fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  // execve keeps no handler, so the signals caught so far travel in the environment. One arriving
  // during Bun's own boot, before its first statement runs, still takes the default action, and so
  // does one in the instant between the last look at the queue and the execve (nothing can hold a
  // signal there: Node cannot block one).
  if (typeof process.execve === "function") {
    const env = { ...process.env }; // before the barrier: what follows it must be as short as can be
    await signalsReachedQueue();
    env.POUNCE_EARLY_SIGNALS = early.peek().join(",");
    process.execve(bun, argv, env); // never returns
  }
  const { spawn } = await import("node:child_process");
  const child = spawn(bun, argv.slice(1), {
    argv0: "bun",
    stdio: ["inherit", "inherit", "inherit", "pipe"],
    env: { ...process.env, POUNCE_RELAY_READY_FD: "3" },
  });
  // Relaying a signal before the child catches any would kill it: hold them until it says so on fd 3.
  let held = [];
  const relay = (sig) => {
    if (held) return void (held.includes(sig) || held.push(sig));
    try {
      child.kill(sig);
    } catch {}
  };
  for (const sig of ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGTERM", "SIGINT", "SIGTTIN", "SIGTTOU"])
    process.on(sig, () => relay(sig));
  for (const sig of early.take()) relay(sig);
  const release = () => {
    const pending = held ?? [];
    held = undefined;
    for (const sig of pending) relay(sig);
  };
  child.stdio[3].once("data", release);
  child.stdio[3].once("close", release);
  child.stdio[3].on("error", () => {});
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

// Deno: check permissions first, so a missing one is a one-line error, not a NotCapable stack (looking
// for dist/ below already needs read access).
if (globalThis.Deno) (await import("../dist/runtimes/deno/preflight.js").catch(() => undefined))?.preflight();
const dist = await findDist();
if (!dist) {
  process.stderr.write("pounce: error: dist/ is missing — run `npm run build` in the pounce checkout\n");
  process.exit(1);
}
const { main } = await import(new URL("src/cli/main.js", dist).href);
await main(process.argv.slice(2), early);

/** The built tree beside this file; through a symlink to this file that the runtime did not resolve
 *  (Deno keeps the link's own path as the module's URL), beside the file it names. */
async function findDist() {
  const { existsSync, realpathSync } = await import("node:fs");
  const { fileURLToPath, pathToFileURL } = await import("node:url");
  const built = (url) => existsSync(new URL("src/cli/main.js", url));
  const beside = new URL("../dist/", import.meta.url);
  if (built(beside)) return beside;
  try {
    const real = new URL("../dist/", pathToFileURL(realpathSync(fileURLToPath(import.meta.url))));
    return built(real) ? real : undefined;
  } catch {
    return undefined; // not a file URL, or not readable: the one-line error above
  }
}
