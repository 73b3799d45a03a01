/**
 * Random and mutated HTTP/1.1 bytes at each runtime's pounce for a bounded time (and count): no
 * worker dies (the same worker pids before and after, no "died" in the log) and a normal request
 * keeps succeeding between the inputs. The seed is printed; POUNCE_FUZZ_SEED=n replays a run.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { processesInGroup, request, withPounce, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const APP = `export default {
  async fetch(request: Request): Promise<Response> {
    if (request.body) await request.text();
    return new Response("hello\\n");
  },
};
`;

const DURATION_MS = 5_000;
const MAX_INPUTS = 1_500;
const PARALLEL = 8;
/** How long one input's connection is kept before it is dropped (an answer, a close, or this). */
const PER_INPUT_MS = 300;

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
  "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
];
const NASTY = [
  "\r\n",
  "\n",
  "\0",
  ":",
  " ",
  "\t",
  "HTTP/1.1",
  "Content-Length: 99999999999999999999\r\n",
  "Transfer-Encoding: chunked\r\n",
  "Content-Length: -1\r\n",
  "ffffffffffffffff\r\n",
  "Host: \r\n",
  "\xff\xfe",
  "%00",
  "GET",
  "/../../etc/passwd",
  "Expect: 100-continue\r\n",
  "Upgrade: websocket\r\n",
];

function input(rand: () => number): Buffer {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  if (rand() < 0.15) return Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 512) }, () => Math.floor(rand() * 256)));
  const bytes = [...Buffer.from(pick(VALID), "latin1")];
  const edits = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (bytes.length + 1));
    const kind = rand();
    if (kind < 0.3) bytes[at] = Math.floor(rand() * 256);
    else if (kind < 0.5) bytes.splice(at, 1 + Math.floor(rand() * 8));
    else if (kind < 0.8) bytes.splice(at, 0, ...Buffer.from(pick(NASTY), "latin1"));
    else bytes.splice(at, 0, ...bytes.slice(0, Math.floor(rand() * bytes.length)));
  }
  return Buffer.from(bytes);
}

function throwAt(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve();
    };
    const t = setTimeout(done, PER_INPUT_MS);
    s.on("error", done);
    s.on("close", done);
    s.on("connect", () => s.end(data));
    s.resume();
  });
}

for (const rt of selectedRuntimes()) {
  describe(`fuzz [${rt.name}]`, () => {
    it("random and mutated HTTP/1.1 input: no worker dies, normal requests keep succeeding", async () => {
      const seed = Number(process.env.POUNCE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
      console.log(`fuzz [${rt.name}]: seed ${seed} (POUNCE_FUZZ_SEED=${seed} replays it)`);
      const rand = prng(seed);
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", APP), "--workers", "2", "--header-timeout", "1"],
        async (p) => {
          const before = processesInGroup(p.pid)
            .map((x) => x.pid)
            .sort();
          const end = Date.now() + DURATION_MS;
          let sent = 0;
          let normal = 0;
          while (Date.now() < end && sent < MAX_INPUTS) {
            const batch = Array.from({ length: PARALLEL }, () => input(rand));
            sent += batch.length;
            await Promise.all(batch.map((b) => throwAt(p.port, b)));
            const r = await request(p.url("/"), { timeoutMs: 5_000 }).catch((err: Error) => {
              throw new Error(`normal request after ${sent} inputs failed (seed ${seed}): ${err.message}\n${p.output}`);
            });
            assert.equal(r.status, 200, `normal request after ${sent} inputs (seed ${seed})`);
            normal++;
          }
          const after = processesInGroup(p.pid)
            .map((x) => x.pid)
            .sort();
          console.log(
            `fuzz [${rt.name}]: ${sent} inputs, ${normal} normal requests, worker pids ${JSON.stringify(before)} → ${JSON.stringify(after)}`,
          );
          assert.deepEqual(after, before, `a process of pounce's group changed (seed ${seed}):\n${p.output}`);
          assert.doesNotMatch(p.output, /died|Uncaught error outside a request/, `seed ${seed}`);
          assert.ok(sent >= 100, `only ${sent} inputs in ${DURATION_MS} ms`);
        },
      );
    });
  });
}
