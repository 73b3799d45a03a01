/**
 * systemd Type=notify / notify-reload against a real AF_UNIX datagram receiver that reads the
 * sender's credentials (SO_PASSCRED): the messages, their order, the sender's pid, MONOTONIC_USEC
 * against the receiver's clock, and that no worker inherits NOTIFY_SOCKET or LISTEN_*.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { Pounce, request, withPounce, withTempDir, writeApp } from "./_harness.ts";
import { monotonicNow, NotifyReceiver } from "./_notify-receiver.ts";
import { ROOT, type Runtime, selectedRuntimes } from "./_runtimes.ts";

const ENV_APP = `export default {
  fetch: () => new Response(["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID"].map((k) => k + "=" + (process.env[k] ?? "unset")).join(",")),
};
`;
const BROKEN_APP = "export default { fetch: ( => 1 };\n";

/** The kind of each notification, in order: READY, RELOADING, STOPPING or STATUS (a status alone). */
const kinds = (r: NotifyReceiver) =>
  r.notifications.map((m) => ["READY", "RELOADING", "STOPPING"].filter((k) => m.fields[k] === "1").join("+") || "STATUS");

/** Node sends through systemd-notify --pid=<supervisor>: as root the kernel lets it use that pid. */
function assertSenders(rt: Runtime, r: NotifyReceiver, p: Pounce): void {
  const root = process.getuid?.() === 0;
  for (const m of r.notifications) {
    if (!rt.name.startsWith("node") || root) assert.equal(m.pid, p.pid, `sender of ${JSON.stringify(m.text)}`);
    else assert.notEqual(m.pid, p.pid, "non-root Node: the helper's own pid (NotifyAccess=all)");
  }
}

/** A receiver bound in a scratch folder (or at an abstract name), then pounce with NOTIFY_SOCKET. */
async function withNotify(
  rt: Runtime,
  socket: (dir: string) => string,
  args: (dir: string) => string[],
  env: Record<string, string>,
  body: (p: Pounce, r: NotifyReceiver, dir: string) => Promise<void>,
): Promise<void> {
  await withTempDir(async (dir) => {
    const path = socket(dir);
    const receiver = await NotifyReceiver.start(path);
    try {
      await withPounce(rt, args(dir), { dir, env: { ...env, NOTIFY_SOCKET: path } }, (p) => body(p, receiver, dir));
    } finally {
      receiver.stop();
    }
  });
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: systemd notify`, () => {
    it("READY=1, RELOADING=1 + MONOTONIC_USEC, READY=1, STOPPING=1 from the supervisor's pid; workers get no NOTIFY_SOCKET", async () => {
      await withNotify(
        rt,
        (dir) => join(dir, "notify.sock"),
        (dir) => [writeApp(dir, "app.ts", ENV_APP), "--workers", "2"],
        // LISTEN_FDS meant for another process: ignored (and said so), and not passed on either.
        { LISTEN_FDS: "1", LISTEN_PID: "1" },
        async (p, r) => {
          const ready = await r.waitFor("READY");
          assert.match(ready.fields.STATUS ?? "", /^Serving generation 0 with 2 worker\(s\); last reload: none$/);
          assert.match(p.output, /LISTEN_FDS is meant for pid 1, not this process \(pid \d+\): ignored/);
          if (rt.name.startsWith("node")) assert.match(p.output, /systemd notify messages go through systemd-notify\(1\)/);
          for (let i = 0; i < 4; i++)
            assert.equal((await request(p.url("/"))).body, "NOTIFY_SOCKET=unset,LISTEN_FDS=unset,LISTEN_PID=unset");

          const before = monotonicNow();
          p.signal("SIGHUP");
          const reloading = await r.waitFor("RELOADING");
          const usec = BigInt(reloading.fields.MONOTONIC_USEC ?? "NaN");
          assert.ok(usec >= before && usec <= reloading.mono, `MONOTONIC_USEC ${usec} not within [${before}, ${reloading.mono}]`);
          console.log(
            `${rt.name}: RELOADING=1 arrived ${reloading.mono - usec} µs after its MONOTONIC_USEC (${usec - before} µs after SIGHUP was sent)`,
          );
          const again = await r.waitFor("READY", 2);
          assert.match(
            again.fields.STATUS ?? "",
            /^Serving generation 1 with 2 worker\(s\); last reload: complete \(generation 1\)$/,
          );
          await p.waitFor("Graceful reload complete");
          assert.equal((await request(p.url("/"))).body, "NOTIFY_SOCKET=unset,LISTEN_FDS=unset,LISTEN_PID=unset");

          p.signal("SIGTERM");
          const stopping = await r.waitFor("STOPPING");
          assert.match(stopping.fields.STATUS ?? "", /^Stopping \(SIGTERM\)$/);
          assert.equal((await p.exited()).code, 0);
          assert.deepEqual(kinds(r), ["READY", "RELOADING", "READY", "STOPPING"]);
          assertSenders(rt, r, p);
        },
      );
    });

    it("an abstract @socket; a reload that fails still ends with READY=1 and says so in STATUS", async () => {
      const name = `@pounce-test-${process.pid}-${rt.name}-${Date.now()}`;
      await withNotify(
        rt,
        () => name,
        (dir) => [writeApp(dir, "app.ts", ENV_APP)],
        {},
        async (p, r, dir) => {
          await r.waitFor("READY");
          writeApp(dir, "app.ts", BROKEN_APP);
          p.signal("SIGHUP");
          await r.waitFor("RELOADING");
          const after = await r.waitFor("READY", 2);
          assert.match(after.fields.STATUS ?? "", /^Serving generation 0 with 1 worker\(s\); last reload: failed \(.+\)$/);
          assert.match(p.output, /Reload failed — continuing with previous version/);
          assert.deepEqual(kinds(r), ["READY", "RELOADING", "READY"]);
          assertSenders(rt, r, p);
        },
      );
    });

    if (rt.name === "deno")
      it("without --allow-ffi: refuses to start in one line that names the flag", async () => {
        await withTempDir(async (dir) => {
          const bin = resolve(ROOT, "bin/pounce.mjs");
          const noFfi: Runtime = {
            ...rt,
            argv: (a) => [rt.exe, "run", "--allow-read", "--allow-env", "--allow-net", "--allow-run", "--allow-write", bin, ...a],
          };
          const p = await Pounce.start(noFfi, [writeApp(dir, "app.ts", ENV_APP)], {
            ready: false,
            env: { NOTIFY_SOCKET: join(dir, "nobody.sock") },
          });
          assert.equal((await p.exited()).code, 1, p.output);
          assert.match(
            p.output,
            /pounce: error: NOTIFY_SOCKET is set \(Type=notify\) but pounce on deno [^:]+ cannot notify systemd: .*run it with --allow-ffi \(or -A\)/,
          );
          assert.doesNotMatch(p.output, /\n\s+at /, "no stack trace");
        });
      });
  });
}
