/**
 * Debian's slowhttptest against each runtime's pounce, for a bounded time: slowloris (-H: heads that
 * never end) and slow body (-B: a body a few bytes a second). Normal requests keep succeeding
 * alongside, and the slow connections are closed at the timeout: the header timeout for -H, the
 * request timeout (a 504, then the connection closed) for -B.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { request, withPounce, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const APP = `export default {
  async fetch(request: Request): Promise<Response> {
    if (request.body) return new Response("read " + (await request.text()).length + "\\n");
    return new Response("hello\\n");
  },
};
`;
const TIMEOUT_S = 2;
const CONNECTIONS = 40;
/** slowhttptest's own bound on a run (it ends earlier once every connection is closed). */
const LENGTH_S = 12;
/** Every slow connection must be closed by this second of the run (timeout + connect + margin). */
const CLOSED_BY_S = 8;

interface Row {
  second: number;
  closed: number;
  connected: number;
  available: number;
}

interface Run {
  rows: Row[];
  /** Why slowhttptest stopped, and at which second (its report: it ends once every connection is closed). */
  exit: string;
  endedAt: number;
}

function slowhttptest(mode: "-H" | "-B", port: number, prefix: string): Promise<Run> {
  const args = [mode, "-c", String(CONNECTIONS), "-r", String(CONNECTIONS), "-i", "1", "-l", String(LENGTH_S), "-p", "2"];
  args.push("-s", "4096", "-u", `http://127.0.0.1:${port}/`, "-g", "-o", prefix, "-v", "1");
  return new Promise((resolve, reject) => {
    execFile("slowhttptest", args, { timeout: (LENGTH_S + 10) * 1000 }, (err, stdout) => {
      if (err) return reject(err);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the report's colour codes
      const text = stdout.replace(/\x1b\[[0-9;]*m/g, "");
      const exit = /Exit status:\s*(.+)/.exec(text)?.[1]?.trim() ?? "";
      const endedAt = Number(/Test ended on (\d+)/.exec(text)?.[1] ?? Number.NaN);
      const lines = readFileSync(`${prefix}.csv`, "utf8").trim().split("\n").slice(1);
      const rows = lines.map((l) => {
        const [second, closed, , connected, available] = l.split(",").map(Number) as number[];
        return { second, closed, connected, available } as Row;
      });
      resolve({ rows, exit, endedAt });
    });
  });
}

for (const rt of selectedRuntimes()) {
  describe(`slowhttptest [${rt.name}]`, () => {
    it("slowloris and slow body: normal requests succeed alongside, slow connections closed at the timeout", async () => {
      const args = (dir: string) => [
        writeApp(dir, "app.ts", APP),
        "--header-timeout",
        String(TIMEOUT_S),
        "--request-timeout",
        String(TIMEOUT_S),
      ];
      await withPounce(rt, args, async (p, dir) => {
        for (const mode of ["-H", "-B"] as const) {
          let stop = false;
          let ok = 0;
          const failures: string[] = [];
          const normal = (async () => {
            for (let i = 0; !stop && i < 2_000; i++) {
              try {
                const r = await request(p.url("/"), { timeoutMs: 3_000 });
                if (r.status === 200) ok++;
                else failures.push(String(r.status));
              } catch (err) {
                failures.push((err as Error).message);
              }
              await new Promise((r) => setTimeout(r, 20));
            }
          })();
          const { rows, exit, endedAt } = await slowhttptest(mode, p.port, join(dir, `slow${mode}`)).finally(() => {
            stop = true;
          });
          await normal;
          const peak = Math.max(...rows.map((r) => r.connected));
          console.log(
            `slowhttptest ${mode} [${rt.name}]: peak ${peak} connected, "${exit}" at second ${endedAt}; ${ok} normal requests ok, ${failures.length} failed`,
          );
          assert.ok(peak >= CONNECTIONS / 2, `${mode}: the slow connections never took hold (${JSON.stringify(rows)})`);
          assert.equal(
            exit,
            "No open connections left",
            `${mode}: slow connections still open at the end (${JSON.stringify(rows)})`,
          );
          assert.ok(endedAt <= CLOSED_BY_S, `${mode}: all closed only by second ${endedAt} (${JSON.stringify(rows)})`);
          assert.ok(
            rows.every((r) => r.available > 0),
            `${mode}: slowhttptest's probe saw the service unavailable`,
          );
          assert.deepEqual(failures, [], `${mode}: normal requests failed`);
          assert.ok(ok > 0, `${mode}: no normal request completed`);
        }
      });
    });
  });
}
