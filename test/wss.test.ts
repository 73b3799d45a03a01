/**
 * WebSockets over TLS (wss://) on every runtime, with the app written as Hono documents it there
 * (test/_ws.ts): echo, and across a reload the old socket gets the app's goodbye and 1012, and a
 * reconnect reaches the new code — the same contract as ws://, through --tls-cert/--tls-key.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import WebSocket from "ws";
import { type Certs, makeCerts } from "./_certs.ts";
import { withPounce } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";
import { wsApp } from "./_ws.ts";

interface WssClient {
  messages: string[];
  opened: Promise<void>;
  closed: Promise<number>;
  /** Resolves with the first message matching `re` (bounded). */
  next(re: RegExp, timeoutMs?: number): Promise<string>;
  send(s: string): void;
}

function wss(port: number, ca: string): WssClient {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca });
  const messages: string[] = [];
  const waiters: Array<() => void> = [];
  ws.on("message", (d: Buffer) => {
    messages.push(String(d));
    for (const w of waiters.splice(0)) w();
  });
  return {
    messages,
    opened: new Promise((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    }),
    closed: new Promise((resolve) => ws.once("close", (code: number) => resolve(code))),
    async next(re, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = messages.find((m) => re.test(m));
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no message ${re} within ${timeoutMs} ms: ${JSON.stringify(messages)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
    send: (s) => ws.send(s),
  };
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: wss`, () => {
    it("wss echo; on a reload the old socket gets the goodbye and 1012, a reconnect reaches the new code", async () => {
      let certs!: Certs;
      const args = (dir: string) => {
        certs = makeCerts(dir);
        return [wsApp(rt, dir, "v1"), "--workers", "2", "--tls-cert", certs.leaf("a", "A1"), "--tls-key", certs.keyFile];
      };
      await withPounce(rt, args, async (p, dir) => {
        const first = wss(p.port, certs.caPem);
        await first.opened;
        assert.equal(await first.next(/^hello /), "hello v1");
        first.send("ping");
        assert.equal(await first.next(/:ping$/), "v1:ping");
        wsApp(rt, dir, "v2");
        const mark = p.output.length;
        p.signal("SIGHUP");
        assert.equal(await first.next(/^goodbye /, 20_000), "goodbye reload");
        assert.equal(await first.closed, 1012);
        await p.waitFor("Running 2 worker(s) on generation 1", { from: mark, timeoutMs: 30_000 });
        const second = wss(p.port, certs.caPem);
        await second.opened;
        assert.equal(await second.next(/^hello /), "hello v2");
        second.send("again");
        assert.equal(await second.next(/:again$/), "v2:again");
      });
    });
  });
}
