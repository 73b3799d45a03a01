/**
 * Symlinked releases: pounce started in `current -> releases/v1` (as a shell leaves it: $PWD names
 * the symlink) with a relative entry. Flip `current` to v2 atomically and reload, then flip back and
 * reload, under load: every response's relative import and relative data file come from the same
 * release, the new release's config file applies, and nothing fails.
 */
import assert from "node:assert/strict";
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { request, startLoad, withPounce, withTempDir } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

function release(dir: string, version: string, config?: string): void {
  const d = join(dir, "releases", version);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "lib.ts"), `export const LIB: string = ${JSON.stringify(`lib-${version}`)};\n`);
  writeFileSync(join(d, "data.txt"), `data-${version}\n`);
  writeFileSync(
    join(d, "app.ts"),
    `import { readFileSync } from "node:fs";
import { LIB } from "./lib.ts";
export default {
  fetch: () => new Response(LIB + ":" + readFileSync("./data.txt", "utf8").trim()),
};
`,
  );
  if (config) writeFileSync(join(d, "pounce.config.ts"), config);
}

/** Point `current` at `releases/<version>` in one step: a new symlink renamed over the old one. */
function flip(dir: string, version: string): void {
  const next = join(dir, `current.${version}.tmp`);
  symlinkSync(join("releases", version), next);
  renameSync(next, join(dir, "current"));
}

const body = (v: string) => `lib-${v}:data-${v}`;

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: symlinked releases`, () => {
    it("a reload after flipping current runs the new release in its own directory, and flipping back rolls back (0 failed)", async (t) => {
      await withTempDir(async (dir) => {
        release(dir, "v1");
        release(dir, "v2", "export default { workers: 2 };\n");
        flip(dir, "v1");
        const current = join(dir, "current");
        await withPounce(rt, ["app.ts"], { dir, cwd: current, env: { PWD: current } }, async (p) => {
          assert.equal((await request(p.url("/"))).body, body("v1"));
          const running = startLoad(p.port, { keepAlive: 8, perRequest: 2, durationMs: 60_000 });
          await running.seen(100);
          const windows: Array<{ version: string; from: number; to?: number }> = [];
          for (const [version, workers, gen] of [
            ["v2", 2, 1],
            ["v1", 1, 2],
          ] as const) {
            const w = windows.at(-1);
            if (w) w.to = Date.now(); // the previous release's window ends where this flip begins
            flip(dir, version);
            const mark = p.output.length;
            p.signal("SIGHUP");
            await p.waitFor(`Graceful reload complete. Running ${workers} worker(s) on generation ${gen}`, {
              from: mark,
              timeoutMs: 30_000,
            });
            const from = Date.now() + 50;
            windows.push({ version, from });
            if (version === "v2")
              assert.match(p.output.slice(mark), /Read configuration from .*releases\/v2\/pounce\.config\.ts/);
            const seenFrom = running.result.responses.length;
            await running.until(`300 responses after the reload to ${version}`, (r) => {
              const last = r.responses.at(-1);
              return r.responses.length >= seenFrom + 300 && last !== undefined && last.at > from + 200;
            });
          }
          const result = await running.stop();
          t.diagnostic(`two flips under load: ${result.ok} ok, ${result.failed} failed`);
          assert.deepEqual(result.errors, {}, `failed requests: ${JSON.stringify(result.errors)}`);
          assert.equal(result.failed, 0);
          const known = new Set([body("v1"), body("v2")]);
          for (const r of result.responses) assert.ok(known.has(r.body), `a response mixed releases: ${r.body}`);
          for (const w of windows) {
            const inside = result.responses.filter((r) => r.at > w.from && (w.to === undefined || r.at < w.to));
            assert.ok(inside.length > 0, `no responses while ${w.version} served`);
            for (const r of inside) assert.equal(r.body, body(w.version), `${r.body} served after the reload to ${w.version}`);
          }
          assert.equal((await request(p.url("/"))).body, body("v1"));
        });
      });
    });
  });
}
