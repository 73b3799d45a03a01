/**
 * Boot: a second pounce on an address already served is refused on every runtime (Bun's and Deno's
 * SO_REUSEPORT would otherwise let it join silently); and a SIGHUP or SIGTERM sent to the pid the
 * operator sees at the earliest moments of start-up is never lost: it is handled once the supervisor
 * is up (a reload, or a shutdown), directly, through `bunx`, through the Node 20 relay and across the
 * Node 24 execve hand-over.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { after, describe, it } from "node:test";
import {
  type BunxRow,
  beforeExecve,
  bunxRows,
  catches,
  HANDOVER_SENTINEL,
  isNode,
  pending,
  pollUntil,
  signalSafe,
  startSecond,
  stopped,
} from "./_boot.ts";
import { cleanup, Pounce, processes, request, tempDir, versionedApp, waitUntil, writeApp } from "./_harness.ts";
import { type Runtime, selectedRuntimes } from "./_runtimes.ts";

const ROUNDS = Number(process.env.POUNCE_BOOT_ROUNDS ?? 3);
const noStack = (text: string) => assert.doesNotMatch(text, /\n\s+at .+:\d+/, `stack trace in:\n${text}`);

function assertRefused(b: { code: number | null; out: string; exited: boolean }, host: string, port: number): void {
  assert.ok(b.exited, `the second pounce kept running:\n${b.out}`);
  assert.equal(b.code, 1, b.out);
  const lines = b.out.split("\n").filter((l) => l.includes("already in use"));
  assert.equal(lines.length, 1, b.out);
  assert.match(lines[0] as string, new RegExp(`address ${host.replaceAll(".", "\\.")}:${port} is already in use$`));
  assert.doesNotMatch(b.out, /Spawning|Ready to accept/, "refused before spawning any worker");
  noStack(b.out);
}

/** Listen like another program using SO_REUSEPORT would (the case pounce's own probe must not join). */
function foreignListener(host: string, port: number): Promise<Server> {
  const s = createServer((c) => c.end("HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: close\r\n\r\nforeign"));
  return new Promise((resolve, reject) => {
    s.once("error", reject);
    s.listen({ host, port, reusePort: true } as Parameters<Server["listen"]>[0], () => resolve(s));
  });
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: boot — address already in use`, () => {
    it("a second pounce on the port another pounce serves exits 1 with one line; the first keeps every request", async () => {
      const dir = tempDir();
      versionedApp(dir, "A");
      const appB = writeApp(dir, "b.ts", "export default { fetch: () => new Response('B') };\n");
      const a = await Pounce.start(rt, [`${dir}/app.ts`, "--workers", "2"]);
      try {
        const b = await startSecond(rt, [appB, "--workers", "2", "--port", String(a.port)]);
        const bodies = new Map<string, number>();
        for (let i = 0; i < 200; i++) {
          const r = await request(a.url("/"));
          bodies.set(r.body, (bodies.get(r.body) ?? 0) + 1);
        }
        await b.stop();
        assertRefused(b.result, "127.0.0.1", a.port);
        assert.deepEqual([...bodies], [["A", 200]]);
        // The check runs once, at boot: the first pounce's own next generation binds as before.
        versionedApp(dir, "A2");
        const mark = a.output.length;
        a.signal("SIGHUP");
        await a.waitFor("Graceful reload complete", { from: mark });
        assert.equal((await request(a.url("/"))).body, "A2");
      } finally {
        a.signal("SIGTERM");
        assert.equal((await a.exited()).code, 0);
        cleanup(dir);
      }
    });

    // Any listener counts, pounce or not, on the same or an overlapping address.
    for (const [held, asked] of [
      ["0.0.0.0", "127.0.0.1"],
      ["127.0.0.1", "0.0.0.0"],
      ["::", "127.0.0.1"],
      ["127.0.0.1", "::"],
    ] as const) {
      it(`refuses ${asked} while another program listens on ${held} with SO_REUSEPORT`, async () => {
        const dir = tempDir();
        const app = versionedApp(dir, "B");
        const foreign = await foreignListener(held, 0);
        const port = (foreign.address() as { port: number }).port;
        try {
          const b = await startSecond(rt, [app, "--host", asked, "--port", String(port)]);
          await b.stop();
          assertRefused(b.result, asked, port);
        } finally {
          foreign.close();
          cleanup(dir);
        }
      });
    }
  });
}

/** Start pounce, send `sig` to the operator's pid at `moment`, and check it was handled, not lost. */
type Moment = "catches" | "starting" | "before-execve";
const WHEN: Record<Moment, string> = {
  catches: "as soon as the process catches SIGHUP",
  starting: "right after 'Starting pounce'",
  "before-execve": "while Node, catching, has yet to execve into Bun",
};

async function signalAtBoot(rt: Runtime | BunxRow, sig: "SIGHUP" | "SIGTERM", moment: Moment, attempt = 1) {
  const bunx = "node" in rt ? rt : undefined;
  const p = await Pounce.start(rt, ["app.ts", "--workers", "1"], { ready: false, cwd: bunx?.cwd ?? dirFor(rt), env: bunx?.env });
  try {
    if (moment === "catches") await pollUntil("pounce catches SIGHUP", signalSafe(p.pid, rt));
    else if (moment === "starting") await p.waitFor("Starting pounce");
    else {
      // Freeze Node in that phase, so bunx's relayed copy is surely pending before the execve; a copy
      // landing after it, in Bun's own boot, would meet the default action (nothing can catch it yet).
      const node = await pollUntil("Node catches SIGHUP before execve", beforeExecve(p.pid));
      if (node !== "missed") {
        process.kill(node, "SIGSTOP");
        await pollUntil("Node stopped", () => stopped(node), 5_000);
      }
      // Frozen before the hand-over's last step began (Node does not catch its sentinel yet): from
      // there on nothing may be lost. Frozen later (the instant of the execve itself, or in Bun
      // already) is not this moment: start again.
      if (node === "missed" || !isNode(node) || catches(node, HANDOVER_SENTINEL)) {
        assert.ok(attempt < 10, "never froze Node before its hand-over to Bun in 10 starts");
        p.kill();
        return signalAtBoot(rt, sig, moment, attempt + 1);
      }
      p.signal(sig);
      await pollUntil(`bunx relayed ${sig}`, () => pending(node, sig), 5_000);
      process.kill(node, "SIGCONT");
    }
    if (moment !== "before-execve") p.signal(sig);
    if (sig === "SIGHUP") {
      await p.waitFor("Received SIGHUP");
      await p.waitFor("Ready to accept connections");
      await p.waitFor("Graceful reload complete");
      p.signal("SIGTERM");
    } else {
      await p.waitFor("Received SIGTERM — initiating shutdown");
    }
    const { code } = await p.exited();
    assert.equal(code, 0, p.output);
    assert.equal(p.count("Received SIGHUP"), sig === "SIGHUP" ? 1 : 0, p.output);
    await waitUntil("nothing left", () => p.groupPids().length === 0, 5_000);
  } finally {
    p.kill();
  }
}

const dirs = new Map<string, string>();
function dirFor(rt: Runtime): string {
  let dir = dirs.get(rt.name);
  if (!dir) {
    dir = tempDir();
    versionedApp(dir, "v1");
    dirs.set(rt.name, dir);
  }
  return dir;
}

const rows: Array<Runtime | BunxRow> = [...selectedRuntimes()];
if (rows.some((r) => r.name === "bun")) rows.push(...bunxRows());
for (const row of rows) {
  if ("node" in row) versionedApp(row.cwd, "v1");
  describe(`${row.name}: boot — a signal at start-up is never lost`, () => {
    // Deno's runtime catches SIGHUP and SIGTERM itself from its first instant (and, with no listener
    // yet, exits on them), so /proc cannot show when pounce's own handler is in place: that moment
    // is not defined on the Deno row (not skipped: there is nothing to test).
    const moments: Moment[] = row.name === "deno" ? ["starting"] : ["catches", "starting"];
    // Node's listeners run from its event loop, after libuv's handler (on any thread) wrote the
    // signal to a pipe: without a barrier before the execve, one caught late was never queued.
    if ("node" in row && row.node === "node24") moments.push("before-execve");
    for (const moment of moments) {
      const when = WHEN[moment];
      it(`SIGHUP ${when} reloads once ready (${ROUNDS} rounds)`, async () => {
        for (let i = 0; i < ROUNDS; i++) await signalAtBoot(row, "SIGHUP", moment);
      });
      it(`SIGTERM ${when} shuts down with exit 0`, async () => {
        await signalAtBoot(row, "SIGTERM", moment);
      });
    }
  });
}

// The scenario of test/bun.test.ts's bunx case that once lost its SIGHUP, repeated.
for (const row of rows.filter((r): r is BunxRow => "node" in r)) {
  describe(`${row.name}: after 'Ready', every SIGHUP reloads and every stop exits 0`, () => {
    it(`${ROUNDS * 2} rounds, stopping with SIGTERM or a group SIGINT`, async () => {
      for (let i = 0; i < ROUNDS * 2; i++) {
        const p = await Pounce.start(row, ["app.ts", "--workers", "1"], { cwd: row.cwd, env: row.env });
        try {
          assert.match((await request(p.url("/"))).body, /^v1$/);
          assert.ok(processes().some((x) => x.pgid === p.pid && x.args.startsWith("pounce: supervisor app.ts")));
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Graceful reload complete", { from: mark });
          if (i % 2 === 0) p.signal("SIGTERM");
          else p.signalGroup("SIGINT");
          assert.equal((await p.exited()).code, 0, p.output);
          assert.doesNotMatch(p.output, /Received second SIGINT/);
          await waitUntil("nothing left", () => p.groupPids().length === 0, 5_000);
        } finally {
          p.kill();
        }
      }
    });
  });
}

after(() => {
  for (const dir of dirs.values()) cleanup(dir);
  for (const row of rows) if ("node" in row) cleanup(row.cwd);
});
