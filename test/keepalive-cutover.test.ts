/**
 * A client on a kept-alive connection reaches the new code soon after a SIGHUP, with 2 workers and the
 * default --reload-stagger: the old worker it is pinned to answers with `Connection: close` from its
 * drain order on, and the client's next connection lands on the new generation. The promise is 1 s
 * from the signal; what of it is the new generation's boot (import, listen) the bench measures
 * (bench/sections/keepalive.mjs, beside the target). Here: from the moment the new generation takes
 * over, every client is on the new code within the stagger (the second old worker's turn) plus a
 * margin for a loaded machine, and no request fails.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { describe, it } from "node:test";
import { request, withPounce } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

/** The default --reload-stagger: the second old worker is told to drain this long after the first. */
const STAGGER_MS = 500;
/** Slack on a shared, loaded machine: a request's round trip and the client's next connection. */
const MARGIN_MS = 400;
/** Kept-alive clients, each on its own socket: enough that both old workers usually hold some. */
const CLIENTS = 8;
/** Where the kernel spreads connections (SO_REUSEPORT hashes each one), 8 can all land on one
 *  worker: more clients join, one at a time, until both old workers hold one (at most this many). */
const MAX_CLIENTS = 32;
/** Each client's pace: one request, then this long before the next (a busy client). */
const PACE_MS = 20;

function app(dir: string, version: string): string {
  const file = join(dir, "app.ts");
  writeFileSync(
    file,
    `const VERSION: string = ${JSON.stringify(version)};
export default { fetch: (_request: Request): Response => new Response(VERSION + " " + process.pid) };
`,
  );
  return file;
}

interface Client {
  /** When this client's first v2 answer arrived (ms, Date.now()). */
  firstNew?: number;
  /** The worker pids that answered it v1. */
  oldPids: Set<string>;
  failures: string[];
  requests: number;
}

/** One client on one kept-alive socket (a fresh one only when the server closes it), until `until`. */
async function runClient(port: number, c: Client, stop: () => boolean): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    while (!stop() && c.requests < 2_000) {
      c.requests++;
      try {
        const r = await request(`http://127.0.0.1:${port}/`, { agent, timeoutMs: 5_000 });
        const [version, pid] = r.body.split(" ");
        if (r.status !== 200) c.failures.push(`status ${r.status}`);
        else if (version === "v1") c.oldPids.add(pid ?? "");
        else if (version === "v2") {
          c.firstNew ??= Date.now();
          return;
        }
      } catch (err) {
        c.failures.push(String((err as Error).message));
      }
      await new Promise((r) => setTimeout(r, PACE_MS));
    }
  } finally {
    agent.destroy();
  }
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: kept-alive clients after a reload`, () => {
    it("every kept-alive client reaches the new code within the stagger of the take-over (2 workers, default stagger)", async (t) => {
      await withPounce(
        rt,
        (dir) => [app(dir, "v1"), "--workers", "2"],
        async (p, dir) => {
          // Warm: each worker answered once, so the first requests below do not measure JIT.
          for (let i = 0; i < 10; i++) assert.equal((await request(p.url("/"))).status, 200);
          const clients: Client[] = Array.from({ length: CLIENTS }, () => ({ oldPids: new Set(), failures: [], requests: 0 }));
          let signalledAt = 0;
          const deadline = Date.now() + 15_000;
          const stop = () => Date.now() > deadline || (signalledAt > 0 && Date.now() > signalledAt + 5_000);
          const running = clients.map((c) => runClient(p.port, c, stop));
          const answeredAll = async () => {
            while (clients.some((c) => c.oldPids.size === 0) && Date.now() < deadline)
              await new Promise((r) => setTimeout(r, 20));
          };
          // Every client has been answered by the old code on its kept-alive socket before the signal.
          await answeredAll();
          let oldWorkers = new Set(clients.flatMap((c) => [...c.oldPids]));
          while (oldWorkers.size < 2 && clients.length < MAX_CLIENTS && Date.now() < deadline) {
            const c: Client = { oldPids: new Set(), failures: [], requests: 0 };
            clients.push(c);
            running.push(runClient(p.port, c, stop));
            await answeredAll();
            oldWorkers = new Set(clients.flatMap((c) => [...c.oldPids]));
          }
          assert.equal(oldWorkers.size, 2, `the clients reached ${oldWorkers.size} old worker(s), want both`);
          app(dir, "v2");
          const mark = p.output.length;
          signalledAt = Date.now();
          p.signal("SIGHUP");
          // The new generation is ready and the first old worker is told to drain.
          const takeover = p.arrivedAt(await p.waitFor("Draining old workers", { from: mark, timeoutMs: 15_000 }));
          await Promise.all(running);
          const after = (at: number) =>
            clients.map((c) => (c.firstNew === undefined ? Number.POSITIVE_INFINITY : c.firstNew - at));
          t.diagnostic(
            `SIGHUP → take-over ${takeover - signalledAt} ms; SIGHUP → each client's first new answer: ${after(signalledAt).join(", ")} ms`,
          );
          assert.deepEqual(
            clients.flatMap((c) => c.failures),
            [],
            "failed requests",
          );
          for (const ms of after(takeover))
            assert.ok(ms <= STAGGER_MS + MARGIN_MS, `a kept-alive client got the new code ${ms} ms after the take-over`);
        },
      );
    });
  });
}
