/**
 * Helpers for test/boot.test.ts: the `bunx pounce` rows, a second pounce run to its exit, and reading
 * from /proc when a process starts catching a signal (the earliest moment a signal can be handled).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep, tempDir } from "./_harness.ts";
import { ALL_RUNTIMES, ROOT, type Runtime } from "./_runtimes.ts";

const SIGNAL_NUMBER = { SIGHUP: 1, SIGINT: 2, SIGUSR1: 10, SIGTERM: 15, SIGURG: 23 } as const;

/**
 * The signal bin/pounce.mjs sends itself, under bunx on Node 24, to learn that every signal received
 * so far has reached its queue; it catches it from then until the execve. While Node does not catch
 * it yet, a signal pending for Node must still reach Bun's supervisor.
 */
export const HANDOVER_SENTINEL = "SIGURG";

/** Whether `pid` has a handler for `sig` (SigCgt in /proc/<pid>/status); false once it is gone. */
export function catches(pid: number, sig: keyof typeof SIGNAL_NUMBER): boolean {
  return statusHas(pid, "SigCgt", sig);
}

/** Whether `sig` is pending for `pid` (sent to the process: ShdPnd). */
export function pending(pid: number, sig: keyof typeof SIGNAL_NUMBER): boolean {
  return statusHas(pid, "ShdPnd", sig) || statusHas(pid, "SigPnd", sig);
}

/** Whether `pid` is stopped (SIGSTOP has taken effect). */
export function stopped(pid: number): boolean {
  try {
    return /^State:\s*T/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

function statusHas(pid: number, field: string, sig: keyof typeof SIGNAL_NUMBER): boolean {
  try {
    const m = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m !== null && (BigInt(`0x${m[1]}`) & (1n << BigInt(SIGNAL_NUMBER[sig] - 1))) !== 0n;
  } catch {
    return false;
  }
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function exeOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return "";
  }
}

/** Poll (tightly: the window being probed is milliseconds wide) until `ready()`, bounded by `timeoutMs`. */
export async function pollUntil<T>(what: string, ready: () => T, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const start = Date.now();
  for (;;) {
    const got = ready();
    if (got) return got;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

export interface BunxRow extends Runtime {
  /** The process bunx starts: a relaying Node 20, or a Node 24 that execve()s into Bun. */
  node: "node20" | "node24";
  env: Record<string, string>;
  cwd: string;
}

/** `bunx pounce` in a project that depends on pounce (linked to this checkout), as after `bun add pounce`. */
export function bunxRows(): BunxRow[] {
  const bun = ALL_RUNTIMES.find((r) => r.name === "bun") as Runtime;
  const bunx = join(ROOT, "node_modules/.bin/bunx");
  const dir = tempDir();
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "bunx-boot-probe", private: true }));
  mkdirSync(join(dir, "node_modules/.bin"), { recursive: true });
  symlinkSync(ROOT, join(dir, "node_modules/pounce"));
  symlinkSync("../pounce/bin/pounce.mjs", join(dir, "node_modules/.bin/pounce"));
  const base = { ...bun, exe: bunx, argv: (a: string[]) => [bunx, "pounce", ...a], cwd: dir };
  const rows: BunxRow[] = [{ ...base, name: "bunx (node20 relay)", node: "node20", env: {} }];
  const node24Dir = join(ROOT, ".runtimes/node_modules/.bin");
  if (existsSync(join(node24Dir, "node")))
    rows.push({ ...base, name: "bunx (node24 execve)", node: "node24", env: { PATH: `${node24Dir}:${process.env.PATH}` } });
  return rows;
}

/**
 * The moment from which pounce must never lose a signal sent to the pid the operator sees: the
 * process catches SIGHUP. Under bunx the operator's pid is bunx's, which relays to its child: the
 * Node 20 relay (from its own first statement on), or the Node 24 process once it has become Bun
 * (execve resets every handler, and Bun's boot before its first statement cannot catch anything).
 * bunx's child is first a fork of bunx (bunx's exe, bunx's handlers): the command line tells them apart.
 */
export function signalSafe(pid: number, row: Runtime | BunxRow): () => boolean {
  if (!("node" in row)) return () => catches(pid, "SIGHUP");
  return () => {
    const child = childrenOf(pid)[0];
    if (child === undefined) return false;
    const argv0 = argvOf(child)[0] ?? "";
    // Bun: argv[0] "bun" until pounce retitles it (a busy machine may not poll in between).
    const became = row.node === "node20" ? /(^|\/)node$/.test(exeOf(child)) : argv0 === "bun" || argv0.startsWith("pounce:");
    return became && catches(child, "SIGHUP");
  };
}

/**
 * Under bunx with Node 24: the pid of the Node process once it catches SIGHUP and has yet to execve
 * into Bun; "missed" when it is Bun already (that phase lasts ~10 ms: a busy machine may not poll in
 * it). Bun is told apart from bunx's own fork (same exe) by its command line, "bun …" until pounce
 * retitles it, or by having been Node before.
 */
export function beforeExecve(pid: number): () => number | "missed" | undefined {
  let seenNode: number | undefined;
  return () => {
    const child = childrenOf(pid)[0];
    if (child === undefined) return seenNode === undefined ? undefined : "missed";
    const argv0 = argvOf(child)[0] ?? "";
    if (argv0 === "bun" || argv0.startsWith("pounce:")) return "missed";
    if (!isNode(child)) return seenNode === child ? "missed" : undefined;
    seenNode = child;
    return catches(child, "SIGHUP") ? child : undefined;
  };
}

export const isNode = (pid: number) => /(^|\/)node$/.test(exeOf(pid));

function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

/** A second pounce, run until it exits or says it is ready (the bug), bounded in time; `stop()` ends it. */
export async function startSecond(rt: Runtime, args: string[], timeoutMs = 15_000) {
  const argv = rt.argv(args);
  const proc = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], detached: true });
  const result = { code: null as number | null, signal: null as string | null, out: "", exited: false };
  proc.stdout.on("data", (d) => (result.out += d));
  proc.stderr.on("data", (d) => (result.out += d));
  const exited = new Promise<void>((resolve) =>
    proc.once("exit", (code, signal) => {
      Object.assign(result, { code, signal, exited: true });
      setTimeout(resolve, 50); // the last output chunks
    }),
  );
  const deadline = Date.now() + timeoutMs;
  while (!result.exited && !/Ready to accept/.test(result.out) && Date.now() < deadline) await sleep(20);
  if (result.exited) await exited;
  const stop = async () => {
    if (!result.exited)
      try {
        process.kill(-(proc.pid as number), "SIGKILL");
      } catch {}
    await exited;
  };
  return { result, stop };
}
