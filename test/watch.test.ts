/**
 * `--reload`: real files in a scratch folder, a real watcher, the real rolling reload. A save changes
 * what is served; a burst of saves (writes and a write-temp-then-rename) is one reload; changes in
 * node_modules/ or .git/ reload nothing; a new sub-directory is watched, and its removal reloads; --reload-dir and
 * --reload-include add to what is watched; a syntax error keeps the old code serving under load and
 * is printed once, then the fix serves.
 */
import assert from "node:assert/strict";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { noneLeft, Pounce, request, startLoad, withPounce, withTempDir } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const app = (body: string) =>
  `export default {\n  fetch(): Response {\n    return new Response(${JSON.stringify(body)});\n  },\n};\n`;
const CHANGE = /Change in (\S+) — triggering graceful reload/g;
const changes = (p: Pounce, from = 0) => [...p.output.slice(from).matchAll(CHANGE)].map((m) => m[1]);

/** src/app.ts (the entry), src/node_modules, src/.git, and templates/ beside src/. */
function project(dir: string): string {
  for (const d of ["src/node_modules/dep", "src/.git", "templates"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, "src/node_modules/dep/index.js"), "export default 1;\n");
  writeFileSync(join(dir, "templates/index.html"), "<p>v1</p>\n");
  writeFileSync(join(dir, "src/app.ts"), app("v1"));
  return join(dir, "src/app.ts");
}

/** Wait for reload number `n` (generation n) to complete, starting the search at `from`. */
const reloaded = (p: Pounce, n: number, from: number) =>
  p.waitFor(`Graceful reload complete. Running 2 worker(s) on generation ${n}`, { from, timeoutMs: 30_000 });

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: --reload`, () => {
    it("a save serves new code; a burst is one reload; node_modules/.git reload nothing; new dirs, --reload-dir, --reload-include", async () => {
      await withTempDir(async (dir) => {
        const entry = project(dir);
        const args = ["src/app.ts", "--workers", "2", "--reload", "--reload-dir", "templates", "--reload-include", ".html"];
        await withPounce(rt, args, { dir, cwd: dir }, async (p) => {
          await p.waitFor(/Watching \d+ directories under src, templates for changes to .*\.ts.*\.html \(--reload\)/);
          // A burst: three writes in place, then an editor's atomic save (temp file renamed over it).
          let mark = p.output.length;
          for (const v of ["v2a", "v2b", "v2c"]) writeFileSync(entry, app(v));
          writeFileSync(`${entry}.tmp`, app("v2"));
          renameSync(`${entry}.tmp`, entry);
          await reloaded(p, 1, mark);
          assert.equal((await request(p.url("/"))).body, "v2");
          // Ignored trees first, then a real save: if either counted, it would be this reload's first
          // path or a reload of its own (the count of reloads below).
          mark = p.output.length;
          writeFileSync(join(dir, "src/node_modules/dep/index.js"), "export default 2;\n");
          writeFileSync(join(dir, "src/.git/config.json"), "{}\n");
          writeFileSync(join(dir, "src/node_modules/new.ts"), "export {};\n");
          writeFileSync(entry, app("v3"));
          await reloaded(p, 2, mark);
          assert.equal((await request(p.url("/"))).body, "v3");
          // A directory made after start is watched: a file saved in it reloads.
          mark = p.output.length;
          mkdirSync(join(dir, "src/routes"));
          writeFileSync(join(dir, "src/routes/a.ts"), "export const a = 1;\n");
          await reloaded(p, 3, mark);
          // Removing it is a change too (a module went away); its watch goes with it.
          mark = p.output.length;
          rmSync(join(dir, "src/routes"), { recursive: true });
          await reloaded(p, 4, mark);
          // --reload-dir templates with --reload-include .html (outside the entry's directory).
          mark = p.output.length;
          writeFileSync(join(dir, "templates/index.html"), "<p>v2</p>\n");
          await reloaded(p, 5, mark);
          const seen = changes(p);
          assert.equal(seen.length, 5, `one reload per burst expected, saw: ${seen.join(", ")}\n${p.output}`);
          assert.equal(seen[0], "src/app.ts");
          assert.equal(seen[1], "src/app.ts", "a change in node_modules/ or .git/ counted");
          assert.equal(seen[2], "src/routes/a.ts");
          // Gone: the path named is the first reported — the file, the directory, or (Deno) the parent's bare name.
          assert.match(seen[3] as string, /^src\/(routes(\/a\.ts)?|a\.ts)$/);
          assert.equal(seen[4], "templates/index.html");
          assert.equal(p.count("Reload failed"), 0);
        });
      });
    });

    it("usage errors: --reload-dir without --reload, or naming no directory, is one line and exit 2", async () => {
      await withTempDir(async (dir) => {
        project(dir);
        const cases: Array<[string[], RegExp]> = [
          [["--reload-dir", "templates"], /^pounce: error: --reload-dir only works with --reload \(got "templates"\)$/m],
          [["--reload-include", ".html"], /^pounce: error: --reload-include only works with --reload \(got "\.html"\)$/m],
          [["--reload", "--reload-dir", "nope"], /^pounce: error: --reload-dir must name an existing directory \(got "nope"\)$/m],
        ];
        for (const [args, line] of cases) {
          const p = await Pounce.start(rt, ["src/app.ts", ...args], { cwd: dir, ready: false });
          try {
            await p.waitFor(/pounce: error: .*\n/);
            assert.equal((await p.exited()).code, 2, p.output);
            assert.match(p.output, line);
            assert.doesNotMatch(p.output, /\n\s+at \S+/, "a stack trace was printed");
            await noneLeft(p);
          } finally {
            p.kill();
          }
        }
      });
    });

    it("a syntax error keeps the old code serving under load, printed once with file:line:col; the fix serves", async () => {
      let entry = "";
      await withPounce(
        rt,
        (dir) => {
          entry = project(dir);
          return [entry, "--workers", "2", "--reload"];
        },
        async (p) => {
          await p.waitFor("Watching");
          const running = startLoad(p.port, { keepAlive: 4, perRequest: 1, durationMs: 30_000 });
          await running.seen(50);
          let mark = p.output.length;
          writeFileSync(
            entry,
            "export default {\n  fetch(): Response {\n    const x = ;\n    return new Response(x);\n  },\n};\n",
          );
          await p.waitFor("Reload failed — continuing with previous version", { from: mark, timeoutMs: 30_000 });
          const failure = p.output.slice(mark);
          assert.match(failure, /failed to import \S*app\.ts: \S*app\.ts:3:\d+: \w+/, "no file:line:col in the error");
          assert.equal((failure.match(/failed to import/g) ?? []).length, 1, `the error is printed more than once:\n${failure}`);
          assert.doesNotMatch(failure, /\n\s+at \S+:\d+/, "a stack trace was printed");
          await running.seen(running.result.ok + running.result.failed + 50);
          assert.ok(running.result.responses.every((r) => r.body === "v1"));
          mark = p.output.length;
          writeFileSync(entry, app("v2"));
          await p.waitFor("Graceful reload complete. Running 2 worker(s) on generation 2", { from: mark, timeoutMs: 30_000 });
          const at = Date.now();
          await running.until("a v2 response", (r) => (r.responses.at(-1)?.at ?? 0) > at && r.responses.at(-1)?.body === "v2");
          const result = await running.stop();
          assert.deepEqual(result.errors, {}, `failed requests: ${JSON.stringify(result.errors)}`);
          assert.equal(result.failed, 0);
          assert.equal((await request(p.url("/"))).body, "v2");
        },
      );
    });
  });
}
