/** The unix socket's publication policy: private names, rename only once a generation is ready,
 *  never a failed generation's socket, unlink on shutdown only while ours. Fake workers, real files. */
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, it } from "node:test";
import { resolveConfig } from "../../src/config.ts";
import { parseEntry, resolveEntry } from "../../src/entry.ts";
import { addressLabel, addressUrl, supervisorTitle } from "../../src/listen-target.ts";
import { Logger, type LogRecord } from "../../src/log.ts";
import { Supervisor } from "../../src/supervisor/supervisor.ts";
import { UnixSocket, unixTarget } from "../../src/supervisor/unix-socket.ts";
import { FakeAdapter, FakeClock, type FakeWorker } from "./_fake.ts";

const servers: Server[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** What a real worker's server does before it reports ready: bind its private name. */
async function bindAndReady(w: FakeWorker): Promise<void> {
  const t = w.spec.listen;
  assert.equal(t.kind, "unix");
  if (t.kind !== "unix" || !t.bindPath) throw new Error("no private name");
  if (!existsSync(t.bindPath)) {
    const s = createServer();
    servers.push(s);
    await new Promise<void>((r) => s.listen(t.bindPath, r));
  }
  w.ready();
}

function setUp(shared: boolean, workers = shared ? 2 : 1, flags: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "pounce-uds-"));
  dirs.push(dir);
  const file = join(dir, "app.ts");
  writeFileSync(file, "export default { fetch: () => new Response('ok') };\n");
  const config = resolveConfig(file, { workers: String(workers), uds: "app.sock", "reload-stagger": "0", ...flags }, {});
  const adapter = new FakeAdapter();
  adapter.unixSocketShared = shared;
  const target = unixTarget(config, dir, adapter);
  const unixSocket = new UnixSocket(target, shared);
  const records: LogRecord[] = [];
  const clock = new FakeClock();
  const sup = new Supervisor({
    config,
    adapter,
    log: new Logger({ level: "debug", emit: (r) => records.push(r) }),
    entry: resolveEntry(parseEntry(file), dir),
    listen: target,
    unixSocket,
    cwd: dir,
    pid: 42,
    clock,
    shownTitle: () => undefined,
  });
  return { dir, path: target.path, adapter, sup, records, clock };
}

const inode = (p: string) => lstatSync(p).ino;

describe("unix socket publication", () => {
  it("per-worker names (Bun, Deno): published at boot, the next generation's renamed over it only once ready", async () => {
    const r = setUp(false);
    r.sup.start();
    const w0 = r.adapter.worker(0);
    const t0 = w0.spec.listen;
    assert.ok(t0.kind === "unix" && t0.bindPath && t0.bindPath !== r.path && t0.path === r.path);
    assert.equal(existsSync(r.path), false);
    await bindAndReady(w0);
    assert.ok(lstatSync(r.path).isSocket(), "published once generation 0 is ready");
    assert.equal((lstatSync(r.path).mode & 0o777).toString(8), "660", "the default mode");
    const first = inode(r.path);

    r.adapter.signal("SIGHUP");
    const w1 = r.adapter.worker(1);
    assert.notEqual(w1.spec.listen.kind === "unix" && w1.spec.listen.bindPath, t0.bindPath, "a name of its own");
    assert.equal(inode(r.path), first, "nothing renamed before the new generation is ready");
    await bindAndReady(w1);
    assert.notEqual(inode(r.path), first, "the new socket took the path");
    assert.equal(w0.drains.length, 1, "the old worker drains after the rename");

    // A reload whose worker bound but failed: its socket never takes the path.
    w0.exit(0);
    r.clock.advance(1_000); // past the reload cooldown
    r.adapter.signal("SIGHUP");
    const second = inode(r.path);
    const failing = r.adapter.live(2)[0];
    assert.ok(failing, "generation 2 started");
    const t = failing.spec.listen;
    assert.ok(t.kind === "unix" && t.bindPath);
    const s = createServer();
    servers.push(s);
    await new Promise<void>((res) => s.listen(t.bindPath, res));
    failing.fail("boom");
    assert.ok(r.records.some((x) => /Reload failed — continuing with previous version: boom/.test(x.msg)));
    assert.equal(inode(r.path), second, "a failed generation's socket is never published");

    r.adapter.signal("SIGTERM");
    assert.equal(existsSync(r.path), false, "unlinked as the shutdown starts");
  });

  it("one shared name (Node): a new generation joins the published socket; a replacement after a full loss re-publishes", async () => {
    const r = setUp(true);
    r.sup.start();
    await bindAndReady(r.adapter.worker(0));
    await bindAndReady(r.adapter.worker(1));
    const first = inode(r.path);
    const [w0, w1] = [r.adapter.worker(0), r.adapter.worker(1)];
    const name = (w: FakeWorker) => (w.spec.listen.kind === "unix" ? w.spec.listen.bindPath : undefined);
    assert.ok(name(w0) && name(w0) === name(w1), "every worker binds the one private name");
    r.adapter.signal("SIGHUP");
    for (const w of r.adapter.live(1)) w.ready(); // joined the primary's socket: nothing bound anew
    assert.equal(inode(r.path), first, "the same socket serves the new generation");
    for (const w of r.adapter.live(0)) w.exit(0);

    // Every worker gone (the primary closed the socket): the replacement binds again, and publishes.
    for (const s of servers.splice(0)) s.close();
    for (const w of r.adapter.live(1)) w.exit(null, "SIGKILL");
    r.sup.dispatch({ type: "timer" });
    const replacements = r.adapter.live(1);
    assert.ok(replacements.length > 0, "replacements spawned");
    for (const w of replacements) await bindAndReady(w);
    assert.notEqual(inode(r.path), first, "the re-bound socket took the path");
  });

  it("on stop leaves a socket that is no longer ours, and removes the private directory", async () => {
    const r = setUp(false);
    r.sup.start();
    await bindAndReady(r.adapter.worker(0));
    rmSync(r.path);
    const other = createServer();
    servers.push(other);
    await new Promise<void>((res) => other.listen(r.path, res));
    r.adapter.signal("SIGTERM");
    r.adapter.worker(0).exit(0);
    assert.ok(existsSync(r.path), "someone else's socket stays");
    assert.deepEqual(
      readdirSync(r.dir).filter((f) => f.startsWith(".pounce-")),
      [],
    );
  });

  it("SIGTTIN is refused where workers cannot share a socket, and the socket stays published until the drain starts", async () => {
    const r = setUp(false, 1, { "shutdown-delay": "5" });
    r.sup.start();
    await bindAndReady(r.adapter.worker(0));
    r.adapter.signal("SIGTTIN");
    const msgs = r.records.map((x) => x.msg);
    assert.ok(msgs.some((l) => l.startsWith("Worker count stays at 1 (SIGTTIN): one worker only: on fake each worker binds")));
    assert.equal(r.adapter.workers.length, 1);
    r.adapter.signal("SIGTERM");
    assert.ok(lstatSync(r.path).isSocket(), "still published during the shutdown delay (serving goes on)");
    r.clock.advance(5_000);
    assert.equal(existsSync(r.path), false, "unlinked once the drain starts");
  });

  it("refuses --workers 2 where workers cannot share a socket", () => {
    const config = resolveConfig("app.ts", { workers: "2", uds: "/tmp/x.sock" }, {});
    assert.throws(
      () => unixTarget(config, "/", { runtime: "bun 1.4.5", unixSocketShared: false }),
      /--uds with --workers 2: on bun/,
    );
    assert.equal(unixTarget(config, "/", { runtime: "node v20", unixSocketShared: true }).path, "/tmp/x.sock");
  });
});

describe("addresses in titles and the Ready line", () => {
  it("wildcard hosts are :port, one host is host:port, a socket is its path, an fd is fd:N", () => {
    assert.equal(addressLabel({ kind: "tcp", host: "0.0.0.0", port: 8000 }), ":8000");
    assert.equal(addressLabel({ kind: "tcp", host: "::", port: 8000 }), ":8000");
    assert.equal(addressLabel({ kind: "tcp", host: "127.0.0.1", port: 8000 }), "127.0.0.1:8000");
    assert.equal(addressLabel({ kind: "tcp", host: "::1", port: 8000 }), "[::1]:8000");
    assert.equal(addressLabel({ kind: "unix", path: "/run/app.sock", mode: 0o660 }), "/run/app.sock");
    assert.equal(addressLabel({ kind: "fd", fd: 3 }), "fd:3");
    assert.equal(addressUrl({ kind: "unix", path: "/run/app.sock", mode: 0o660 }), "unix:/run/app.sock");
    assert.equal(addressUrl({ kind: "tcp", host: "::1", port: 80 }), "http://[::1]:80");
    assert.equal(
      supervisorTitle("/srv/app/current/app.ts", { kind: "tcp", host: "0.0.0.0", port: 8000 }),
      "pounce: supervisor /srv/app/current/app.ts :8000",
    );
  });
});
