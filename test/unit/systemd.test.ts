/** systemd's environment (NOTIFY_SOCKET, LISTEN_*) and the notifier's message order, on the fake adapter. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RuntimeAdapter } from "../../src/adapter.ts";
import { PounceError } from "../../src/errors.ts";
import { takeSystemdEnvironment } from "../../src/systemd/environment.ts";
import { notifyObserver } from "../../src/systemd/notify.ts";
import { notifyChannel } from "../../src/systemd/notify-channel.ts";
import { checkInheritedSocket } from "../../src/systemd/socket-activation.ts";
import { type Rig, rig } from "./_fake.ts";

describe("systemd: environment", () => {
  it("takes NOTIFY_SOCKET and LISTEN_* out of the environment, and keeps the socket only for this pid", () => {
    const env: Record<string, string | undefined> = {
      NOTIFY_SOCKET: "@n",
      LISTEN_FDS: "1",
      LISTEN_PID: "7",
      LISTEN_FDNAMES: "web",
      PATH: "/bin",
    };
    assert.deepEqual(takeSystemdEnvironment(env, 7), { notifySocket: "@n", listen: { fd: 3, name: "web" } });
    assert.deepEqual(env, { PATH: "/bin" });
    assert.deepEqual(takeSystemdEnvironment({ LISTEN_FDS: "1", LISTEN_PID: "8" }, 7), { listenPidMismatch: "8" });
  });

  it("refuses more than one socket, a bad count and a relative NOTIFY_SOCKET, in one line", () => {
    const refuse = (env: Record<string, string>, re: RegExp) =>
      assert.throws(
        () => takeSystemdEnvironment(env, 7),
        (e: unknown) => e instanceof PounceError && re.test(e.message) && !e.message.includes("\n"),
      );
    refuse(
      { LISTEN_FDS: "2", LISTEN_PID: "7", LISTEN_FDNAMES: "a:b" },
      /pounce serves one socket, but systemd passed 2 \(LISTEN_FDNAMES=a:b\)/,
    );
    refuse({ LISTEN_FDS: "x", LISTEN_PID: "7" }, /LISTEN_FDS must be a positive number/);
    refuse({ NOTIFY_SOCKET: "run/notify" }, /NOTIFY_SOCKET must be an absolute path or an abstract @name/);
  });

  it("refuses --uds under socket activation, and a runtime whose server takes no fd, in one line", () => {
    const node = { runtime: "node v20", canServeInheritedSocket: true } as RuntimeAdapter;
    assert.doesNotThrow(() => checkInheritedSocket(node, { uds: "" }));
    assert.throws(
      () => checkInheritedSocket(node, { uds: "/run/app.sock" }),
      (e: unknown) =>
        e instanceof PounceError &&
        /LISTEN_FDS\) and --uds \/run\/app\.sock names another/.test(e.message) &&
        !e.message.includes("\n"),
    );
    const bun = { runtime: "bun 1.4.5", inheritedSocketUnavailableReason: "Bun.serve takes no fd" } as RuntimeAdapter;
    assert.throws(() => checkInheritedSocket(bun, { uds: "" }), /not possible on bun 1\.4\.5: Bun\.serve takes no fd/);
  });
});

function notified(r: Rig): string[] {
  const sent: string[] = [];
  r.sup.observe(
    notifyObserver(
      notifyChannel(
        "@t",
        { sender: "self", send: async (_p, m) => void sent.push(m), listen: async () => ({ close: async () => {} }) },
        () => 5n,
        () => {},
      ),
      () => r.sup.state,
    ),
  );
  return sent;
}
const kind = (m: string) => m.split("\n")[0];
const flush = () => new Promise((res) => setTimeout(res, 0));

describe("systemd: notifier", () => {
  it("a reload asked for during another keeps READY=1 until the last one completes", async () => {
    const r = rig({ workers: "1", "reload-stagger": "0" });
    const sent = notified(r);
    r.sup.start();
    r.readyAll(0);
    r.adapter.signal("SIGHUP");
    r.adapter.signal("SIGHUP"); // queued behind the first
    r.readyAll(1);
    r.adapter.worker(0).idle();
    await flush();
    assert.deepEqual(sent.map(kind), [
      "READY=1",
      "RELOADING=1",
      "STATUS=Serving generation 1 with 1 worker(s); last reload: complete (generation 1)",
    ]);
    r.clock.advance(1_000); // the cooldown: the queued reload starts
    r.readyAll(2);
    r.adapter.worker(1).idle();
    await flush();
    assert.equal(sent.length, 4);
    assert.equal(sent[3], "READY=1\nSTATUS=Serving generation 2 with 1 worker(s); last reload: complete (generation 2)");
    assert.equal(sent[1], "RELOADING=1\nMONOTONIC_USEC=5\nSTATUS=Reloading (generation 0 serving)");
  });
});
