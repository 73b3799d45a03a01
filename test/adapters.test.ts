/**
 * The adapter seam, black-box: a worker still importing when the supervisor dies, Deno's off-Linux
 * `--workers` check, and a worker's exit reported only after its last messages.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  cleanup,
  Pounce,
  processesInGroup,
  request,
  tempDir,
  versionedApp,
  waitUntil,
  withPounce,
  writeApp,
} from "./_harness.ts";
import { type Runtime, selectedRuntimes } from "./_runtimes.ts";

/** Run pounce to its exit; its exit code and its whole output (read to the end of its pipes). */
async function runToExit(
  rt: Runtime,
  args: string[],
  env?: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const p = await Pounce.start(rt, args, { ready: false, env });
  try {
    const { code } = await p.exited(30_000);
    const streams = [p.proc.stdout, p.proc.stderr];
    if (!streams.every((s) => !s || s.readableEnded || s.destroyed))
      await new Promise<void>((resolve) => p.proc.once("close", () => resolve()));
    return { code, output: p.output };
  } finally {
    p.kill();
  }
}

/** Boot `times` times an app whose import runs `source`: exit 1, and the failure line matches. */
async function bootFailsWith(rt: Runtime, source: string, failure: RegExp, times: number, args: string[] = []): Promise<void> {
  const dir = tempDir();
  const file = writeApp(dir, "app.ts", `${source}\nexport default { fetch: () => new Response("x") };\n`);
  for (let i = 0; i < times; i++) {
    const { code, output } = await runToExit(rt, [file, ...args]);
    assert.equal(code, 1, output.slice(-2_000));
    assert.match(output, failure, `boot ${i + 1}:\n${output.slice(-2_000)}`);
  }
  cleanup(dir);
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: adapters`, () => {
    it("supervisor SIGKILLed while a reload's new worker is still importing: that worker exits too, the port ends up refusing", async () => {
      await withPounce(
        rt,
        (dir) => [versionedApp(dir, "v1")],
        { exitCode: null },
        async (p, dir) => {
          const pgid = p.pid;
          // Only the new version's import waits: its worker is still starting when the supervisor dies.
          versionedApp(dir, "v2", "await new Promise((r) => setTimeout(r, 1_500));");
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Spawning", { from: mark });
          p.signal("SIGKILL");
          // The old worker drains on its own (about a second); the importing one must not outlive it.
          await waitUntil("every worker of the group exited", () => processesInGroup(pgid).length === 0, 8_000);
          await assert.rejects(request(p.url("/"), { timeoutMs: 2_000 }), /ECONNREFUSED|ECONNRESET/);
        },
      );
    });

    it("supervisor SIGKILLed right after it started its first worker (that worker still loading): the worker exits too", async () => {
      const dir = tempDir();
      const file = versionedApp(dir, "v1");
      const p = await Pounce.start(rt, [file, "--port", "0"], { ready: false });
      try {
        const pgid = p.pid;
        // As soon as the worker process exists (it then still loads its runtime and pounce's code,
        // tens of ms): the supervisor is gone before the worker listens on its channel.
        const deadline = Date.now() + 10_000;
        while (!processesInGroup(pgid).some((w) => w.pid !== pgid && /worker/.test(w.args))) {
          assert.ok(Date.now() < deadline, `no worker process started:\n${p.output}`);
        }
        p.signal("SIGKILL");
        await waitUntil("every worker of the group exited", () => processesInGroup(pgid).length === 0, 5_000);
        // (Not on Node: its cluster worker's own "online" message, sent before any of pounce's code
        // runs, fails with an EPIPE stack there.)
        if (rt.name === "bun" || rt.name === "deno")
          assert.doesNotMatch(p.output, /BrokenPipe|EPIPE|\n\s+at /, "a worker printed an error for the missing supervisor");
      } finally {
        p.kill();
        cleanup(dir);
      }
    });

    it("an app that throws at import: `Failed to start:` names the app's error, every boot", async () => {
      await bootFailsWith(rt, 'throw new Error("boom at import 7f3a");', /Failed to start: .*boom at import 7f3a/, 4, [
        "--workers",
        "2",
      ]);
    });

    it("a long failure reason (48 KiB, several IPC reads) still reaches the supervisor before the worker's exit", async () => {
      // The worker exits right after the last bytes leave; the exit must wait until they are read.
      // (Below 64 KiB so the supervisor's own log line fits a pipe: Bun's process.exit drops the
      // unwritten rest of a longer stderr write, which is not what this test is about.)
      const source = 'throw new Error("big " + "x".repeat(48 * 1024) + " end-of-reason-9c1e");';
      await bootFailsWith(rt, source, /Failed to start: .*end-of-reason-9c1e/, 3);
    });

    if (rt.name === "bun" || rt.name === "deno") {
      it("without port sharing (as off Linux), --workers 2 is refused at boot with one line, exit 2", async () => {
        const dir = tempDir();
        versionedApp(dir, "v1");
        const envs: Array<Record<string, string>> = [
          { POUNCE_NO_REUSEPORT: "1" },
          ...(rt.name === "bun" ? [{ POUNCE_BUN_NO_REUSEPORT: "1" }] : []),
        ];
        for (const env of envs) {
          const { code, output } = await runToExit(rt, [`${dir}/app.ts`, "--workers", "2"], env);
          assert.equal(code, 2, output);
          const lines = output.trim().split("\n");
          assert.equal(lines.length, 1, output);
          assert.match(
            lines[0] as string,
            /--workers 2 needs port sharing, which .* has only on Linux \(forced off by .*=1\): use --workers 1/,
          );
          assert.doesNotMatch(output, /address in use|\n\s+at /i);
        }
        cleanup(dir);
      });

      it("without port sharing, --workers 1 serves and reloads stop-then-start", async () => {
        const env = { POUNCE_NO_REUSEPORT: "1" };
        await withPounce(
          rt,
          (dir) => [versionedApp(dir, "v1")],
          { env },
          async (p, dir) => {
            assert.match(p.output, /Reloads will stop the old workers before starting new ones/);
            assert.equal((await request(p.url("/"))).body, "v1");
            versionedApp(dir, "v2");
            const mark = p.output.length;
            p.signal("SIGHUP");
            await p.waitFor("Graceful reload complete", { from: mark, timeoutMs: 20_000 });
            assert.equal((await request(p.url("/"))).body, "v2");
          },
        );
      });
    }
  });
}
