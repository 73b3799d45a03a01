/**
 * `--log-format json`: what the app prints (stdout and stderr, at import, in a handler, an
 * unfinished last line) comes out as JSON records with worker, generation and stream — every line
 * of the output parses, across a reload and a shutdown. Nothing the runtime prints slips between.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { request, withPounce, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const app = (version: string) => `
console.log("imported ${version}");
export default {
  fetch(request: Request): Response {
    if (new URL(request.url).pathname === "/talk") {
      console.log("handled /talk");
      console.error("oops on stderr");
      process.stdout.write("no newline at the end");
    }
    return new Response("${version}");
  },
};
`;

interface Rec {
  level: string;
  msg: string;
  event?: string;
  worker?: number;
  generation?: number;
  stream?: string;
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: app output as JSON records`, () => {
    it("console.log/console.error/process.stdout.write become app_output records; every output line is JSON", async () => {
      let output = "";
      await withPounce(
        rt,
        (dir) => [writeApp(dir, "app.ts", app("v1")), "--workers", "2", "--log-format", "json"],
        async (p, dir) => {
          assert.equal((await request(p.url("/talk"))).status, 200);
          writeApp(dir, "app.ts", app("v2"));
          const mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor('"event":"reload_complete"', { from: mark });
          p.signal("SIGTERM");
          await p.exited();
          output = p.output;
        },
      );
      const lines = output.split("\n").filter((l) => l.trim() !== "");
      const records: Rec[] = lines.map((l) => {
        try {
          return JSON.parse(l) as Rec;
        } catch {
          throw new Error(`not a JSON record: ${l}\n--- whole output:\n${output}`);
        }
      });
      const printed = records.filter((r) => r.event === "app_output");
      const has = (msg: string, stream: string, generation?: number) =>
        assert.ok(
          printed.some(
            (r) =>
              r.msg === msg &&
              r.stream === stream &&
              (generation === undefined || r.generation === generation) &&
              typeof r.worker === "number",
          ),
          `no app_output record ${JSON.stringify({ msg, stream, generation })} in:\n${output}`,
        );
      has("imported v1", "stdout", 0);
      has("imported v2", "stdout", 1);
      has("handled /talk", "stdout", 0);
      has("oops on stderr", "stderr", 0);
      has("no newline at the end", "stdout", 0);
      assert.equal(printed.filter((r) => r.msg === "imported v1").length, 2, "one import line per worker of generation 0");
      assert.ok(
        printed.every((r) => r.level === (r.stream === "stderr" ? "warn" : "info")),
        "stdout records are info, stderr records warn",
      );
    });
  });
}
