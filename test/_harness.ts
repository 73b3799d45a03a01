/**
 * Black-box helpers: start pounce as a real process on a real port, read its log, send it real
 * signals, load it with real HTTP on 127.0.0.1. Every wait is bounded. Tests import from here; the
 * pieces live in _pounce.ts (the process), _http.ts (requests, load), _files.ts (scratch folders,
 * apps) and _fixture.ts (withPounce: start, wait ready, stop, leftover check, clean-up).
 */
export { cleanup, SLOW_STARTED, tempDir, versionedApp, writeApp } from "./_files.ts";
export { type FixtureOptions, noneLeft, slowRequests, stopPounce, withPounce, withTempDir } from "./_fixture.ts";
export { type FreshConnection, type FreshLoad, startFreshLoad } from "./_fresh.ts";
export { type LoadOptions, type LoadResult, load, type Reply, type RunningLoad, request, startLoad } from "./_http.ts";
export {
  type Exit,
  freePort,
  killAll,
  Pounce,
  type ProcInfo,
  processes,
  processesInGroup,
  type StartOptions,
} from "./_pounce.ts";

/** Only for elapsed time a test needs on purpose; say why where it is used. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitUntil(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}
