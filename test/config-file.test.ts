/**
 * pounce.config.ts, read at start and again on every reload: a config-driven worker-count change
 * under load (0 failed), health path, request timeout and log level taking effect with the new
 * generation, invalid files and a changed host refused while the old generation serves, and a bad
 * file at start (exit 2, one line).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Pounce, request, startLoad, versionedApp, withPounce, withTempDir, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

/** A config file that imports defineConfig from "pounce" (this checkout, by its package name) and a
 *  value from a file of its own (read afresh on each reload too). */
const config = (fields: string) =>
  `import { defineConfig } from "pounce";\nimport { shared } from "./shared.ts";\nexport default defineConfig({ entry: "app.ts", ${fields} });\n`;
const shared = (n: number) => `export const shared: number = ${n};\n`;

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: config file`, () => {
    it("is read again on SIGHUP, with what it imports: worker count, health path, request timeout, log level change under load with 0 failed; invalid files and a new host are refused", async (t) => {
      await withTempDir(async (dir) => {
        versionedApp(dir, "v1");
        writeApp(dir, "shared.ts", shared(1));
        const file = writeApp(dir, "pounce.config.ts", config(`workers: shared, healthCheckPath: "/h1"`));
        // No entry on the command line: the file's serves.
        await withPounce(rt, [], { dir, cwd: dir }, async (p) => {
          assert.match(p.output, new RegExp(`Read configuration from ${file.replaceAll(".", "\\.")}`));
          assert.match(p.output, /Ready to accept connections on .* — 1 worker\(s\), generation 0/);
          assert.equal((await request(p.url("/h1"))).status, 200);
          assert.equal((await request(p.url("/slow?ms=1500"))).body, "v1", "no request timeout yet");

          const running = startLoad(p.port, { keepAlive: 16, perRequest: 4, durationMs: 60_000 });
          await running.seen(200);
          writeApp(
            dir,
            "pounce.config.ts",
            config(`workers: shared + 2, healthCheckPath: "/h2", requestTimeout: 1, logLevel: "debug"`),
          );
          let mark = p.output.length;
          p.signal("SIGHUP");
          await p.waitFor("Graceful reload complete. Running 3 worker(s) on generation 1", { from: mark, timeoutMs: 30_000 });
          assert.match(p.output.slice(mark), /Worker \d+ \(generation 1\) ready/, "the new log level (debug) did not apply");
          const after = running.result.ok + running.result.failed;
          await running.seen(after + 1000);
          const result = await running.stop();
          t.diagnostic(`config-driven worker-count change 1 → 3 under load: ${result.ok} ok, ${result.failed} failed`);
          assert.deepEqual(result.errors, {}, `failed requests: ${JSON.stringify(result.errors)}`);
          assert.equal(result.failed, 0);

          const health = await request(p.url("/h2"));
          assert.equal(health.status, 200);
          assert.equal(JSON.parse(health.body).generation, 1);
          assert.equal((await request(p.url("/h1"))).body, "v1", "the old health path still answers health");
          assert.equal((await request(p.url("/slow?ms=3000"))).status, 504, "the new request timeout did not apply");

          const refused: Array<[string, RegExp]> = [
            ["workers: 0", /pounce\.config\.ts: workers must be a whole number from 1 to 1024, or auto \(got 0\)/],
            ["wrokers: 2", /pounce\.config\.ts: unknown field "wrokers" \(did you mean workers\?\)/],
            [`host: "127.0.0.2"`, /pounce\.config\.ts: host cannot change on a reload \("127\.0\.0\.1" → "127\.0\.0\.2"\)/],
            ["workers: 2,,", /cannot load config file .*pounce\.config\.ts: /],
          ];
          for (const [fields, message] of refused) {
            writeApp(dir, "pounce.config.ts", config(fields));
            mark = p.output.length;
            p.signal("SIGHUP");
            const at = await p.waitFor("Reload failed — continuing with previous version: ", { from: mark, timeoutMs: 15_000 });
            const line = p.output.slice(at).split("\n")[0] as string;
            assert.match(line, message);
            assert.doesNotMatch(p.output.slice(mark), /Spawning \d+ worker/, "a generation started from an invalid file");
            const still = await request(p.url("/h2"));
            assert.equal(JSON.parse(still.body).generation, 1, "the old generation is not the one serving");
          }
        });
      });
    });

    it("a bad config file at start: exit 2 with one line naming the file, the field and the rule", async () => {
      await withTempDir(async (dir) => {
        versionedApp(dir, "v1");
        writeApp(dir, "pounce.config.mjs", `export default { entry: "app.ts", shutdownTimeout: -1 };\n`);
        const p = await Pounce.start(rt, [], { cwd: dir, ready: false });
        const exit = await p.exited(30_000);
        assert.equal(exit.code, 2, p.output);
        const lines = p.output.trim().split("\n");
        assert.equal(lines.length, 1, p.output);
        assert.equal(
          lines[0],
          `pounce: error: ${join(dir, "pounce.config.mjs")}: shutdownTimeout must be a positive number of seconds (got -1)`,
        );
      });
    });
  });
}
