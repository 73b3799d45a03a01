/**
 * The one fixture for a pounce under test: a scratch folder, start, wait ready, run the test body,
 * then stop it gracefully (SIGTERM), assert the exit code, assert nothing of its process group is
 * left, and remove the folder — on failure too (then the body's error is the one reported).
 */
import assert from "node:assert/strict";
import { cleanup, SLOW_STARTED, tempDir } from "./_files.ts";
import { type Reply, request } from "./_http.ts";
import { type Exit, Pounce, processesInGroup, type StartOptions } from "./_pounce.ts";
import type { Runtime } from "./_runtimes.ts";

export interface FixtureOptions extends StartOptions {
  /** Use this folder instead of a fresh one (it is then left for its owner to remove). */
  dir?: string;
  /** The exit code pounce must end with, however it stopped (default 0); null: not checked (SIGKILL). */
  exitCode?: number | null;
  /** Bound on the final graceful stop (default 20 s). */
  stopTimeoutMs?: number;
  /** How long processes of the group may take to disappear after the supervisor exited (default 5 s). */
  leftoverTimeoutMs?: number;
}

type Body<T> = (p: Pounce, dir: string) => Promise<T>;
type Args = string[] | ((dir: string) => string[]);

/**
 * `withPounce(rt, (dir) => [versionedApp(dir, "v1"), "--workers", "2"], async (p, dir) => {...})`.
 * The body may stop pounce itself (to assert on the shutdown); the exit code is checked either way.
 */
export function withPounce<T>(rt: Runtime, args: Args, body: Body<T>): Promise<T>;
export function withPounce<T>(rt: Runtime, args: Args, opts: FixtureOptions, body: Body<T>): Promise<T>;
export async function withPounce<T>(rt: Runtime, args: Args, a: FixtureOptions | Body<T>, b?: Body<T>): Promise<T> {
  const opts = typeof a === "function" ? {} : a;
  const body = (typeof a === "function" ? a : b) as Body<T>;
  return withTempDir(async (dir) => {
    const p = await Pounce.start(rt, typeof args === "function" ? args(dir) : args, opts);
    let value: T;
    try {
      value = await body(p, dir);
    } catch (err) {
      // The body's error is the one to report; just make sure nothing outlives the test (bounded).
      await stopPounce(p, { exitCode: null, stopTimeoutMs: 10_000, leftoverTimeoutMs: 2_000 }).catch(() => {});
      throw err;
    }
    await stopPounce(p, opts);
    return value;
  }, opts.dir);
}

/** A scratch folder for `body`, removed afterwards (unless `dir` was given: that one is the caller's). */
export async function withTempDir<T>(body: (dir: string) => Promise<T>, dir?: string): Promise<T> {
  const own = dir === undefined;
  const d = dir ?? tempDir();
  try {
    return await body(d);
  } finally {
    if (own) cleanup(d);
  }
}

/**
 * Stop pounce with SIGTERM unless it already exited, assert its exit code and that no process of its
 * group outlives it; whatever happens, kill what is left (so one failure does not leak into the next).
 */
export async function stopPounce(
  p: Pounce,
  opts: Pick<FixtureOptions, "exitCode" | "stopTimeoutMs" | "leftoverTimeoutMs"> = {},
): Promise<Exit> {
  try {
    if (!p.hasExited) {
      try {
        p.signal("SIGTERM");
      } catch {}
    }
    const exit = await p.exited(opts.stopTimeoutMs ?? 20_000);
    const want = opts.exitCode === undefined ? 0 : opts.exitCode;
    if (want !== null)
      assert.equal(exit.code, want, `pounce exit ${JSON.stringify(exit)}, expected code ${want}. Output:\n${p.output}`);
    await noneLeft(p, opts.leftoverTimeoutMs ?? 5_000);
    return exit;
  } finally {
    p.kill();
  }
}

/** Every process of pounce's group is gone (bounded: an exiting worker may take a moment to be reaped). */
export async function noneLeft(p: Pounce, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesInGroup(p.pid);
    if (left.length === 0) return;
    if (Date.now() > deadline)
      assert.fail(`processes left after pounce exited: ${left.map((x) => `${x.pid} ${x.args}`).join("; ")}\n${p.output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Send `count` requests to versionedApp's /slow?ms=`ms` and resolve once every one of them is inside
 * the app (its log line), so a signal sent next is sure to find them in flight. Each reply promise
 * resolves with the reply or with the error that ended it.
 */
export async function slowRequests(p: Pounce, count: number, ms: number): Promise<Array<Promise<Reply | Error>>> {
  const mark = p.output.length;
  const replies = Array.from({ length: count }, () => request(p.url(`/slow?ms=${ms}`)).catch((e: Error) => e));
  await p.waitForCount(SLOW_STARTED, count, { from: mark, timeoutMs: 10_000 });
  return replies;
}
