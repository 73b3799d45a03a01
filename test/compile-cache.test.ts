/**
 * Node workers keep their compiled code between processes (runtimes/node/compile-cache.ts): in a
 * 0700 directory of the user's own under the temporary directory — Node's compile cache on Node
 * 22.1+, jiti's babel and its transforms on Node 20 — and a directory that others may write is not used at all. Either
 * way a reload serves the new code (the cache never serves stale code). Node rows only: Bun and Deno
 * keep their own caches.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cleanup, request, tempDir, versionedApp, withPounce } from "./_harness.ts";
import type { Pounce } from "./_pounce.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const uid = process.getuid?.() ?? 0;

async function reloadTo(p: Pounce, dir: string, version: string): Promise<void> {
  versionedApp(dir, version);
  const from = p.output.length;
  p.signal("SIGHUP");
  await p.waitFor("Graceful reload complete", { from, timeoutMs: 30_000 });
  assert.equal((await request(p.url())).body, version);
}

async function withTmp(body: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = tempDir();
  try {
    await body(tmp);
  } finally {
    cleanup(tmp);
  }
}

for (const rt of selectedRuntimes().filter((r) => r.name.startsWith("node"))) {
  describe(`${rt.name}: compiled code kept between workers`, () => {
    it("the workers write it in a 0700 directory of the user's; a reload's worker serves the new code", async () => {
      await withTmp(async (tmp) => {
        const args = (dir: string) => [versionedApp(dir, "v1"), "--workers", "1"];
        await withPounce(rt, args, { env: { TMPDIR: tmp } }, async (p, dir) => {
          assert.equal((await request(p.url())).body, "v1");
          await reloadTo(p, dir, "v2");
          await reloadTo(p, dir, "v3");
        });
        const cache = join(tmp, `pounce-compile-cache-${uid}`);
        assert.equal(statSync(cache).mode & 0o777, 0o700, "the cache directory is the user's alone");
        const entries = readdirSync(cache);
        const kept = rt.name === "node20" ? /^jiti-babel-v20\.[\d.]+-\w+-\d+-\d+-[0-9a-f]+\.v8$/ : /^v\d+\.\d+\.\d+-/;
        assert.ok(
          entries.some((e) => kept.test(e)),
          `${rt.name === "node20" ? "babel's code cache" : "Node's compile cache"} in ${entries.join(", ")}`,
        );
        // Node 20 imports the .ts app through jiti, whose transforms are kept there too (v3 above was
        // served, not v1's or v2's cached transform).
        if (rt.name === "node20") assert.ok(readdirSync(join(cache, "jiti")).length > 0, "jiti's transform cache");
      });
    });

    it("a cache directory others may write is not used; the app still serves and reloads", async () => {
      await withTmp(async (tmp) => {
        const cache = join(tmp, `pounce-compile-cache-${uid}`);
        mkdirSync(cache);
        chmodSync(cache, 0o777);
        const args = (dir: string) => [versionedApp(dir, "v1"), "--workers", "1"];
        await withPounce(rt, args, { env: { TMPDIR: tmp } }, async (p, dir) => {
          assert.equal((await request(p.url())).body, "v1");
          await reloadTo(p, dir, "v2");
        });
        assert.deepEqual(readdirSync(cache), [], "nothing written where others may write");
      });
    });
  });
}
