/** Node's compile cache for pounce: only in a directory this user alone can write; workers' copy of it. */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { compileCacheEnv, forgetCompileCacheEnv, privateCacheDir } from "../../runtimes/node/compile-cache.ts";

const base = mkdtempSync(join(tmpdir(), "pounce-cc-"));
after(() => rmSync(base, { recursive: true, force: true }));
const name = `pounce-node-compile-cache-${process.getuid?.() ?? -1}`;

describe("compile cache directory", () => {
  it("is created private (0700) and used", () => {
    mkdirSync(join(base, "a"));
    const dir = privateCacheDir(join(base, "a"));
    assert.equal(dir, join(base, "a", name));
    assert.equal(statSync(dir as string).mode & 0o777, 0o700);
    assert.equal(privateCacheDir(join(base, "a")), dir, "an existing private directory is used again");
  });

  it("is refused when others can write it", () => {
    mkdirSync(join(base, "b", name), { recursive: true });
    chmodSync(join(base, "b", name), 0o777);
    assert.equal(privateCacheDir(join(base, "b")), undefined);
  });

  it("is refused when it is a symlink", () => {
    mkdirSync(join(base, "c", "elsewhere"), { recursive: true, mode: 0o700 });
    chmodSync(join(base, "c", "elsewhere"), 0o700);
    symlinkSync(join(base, "c", "elsewhere"), join(base, "c", name));
    assert.equal(privateCacheDir(join(base, "c")), undefined);
  });
});

describe("compile cache in a worker's environment", () => {
  it("nothing is added while the supervisor has not enabled it", () => {
    assert.deepEqual(compileCacheEnv({}), {});
  });

  it("the worker removes only what pounce added", () => {
    const added = { NODE_COMPILE_CACHE: "/x", POUNCE_COMPILE_CACHE: "1", OTHER: "y" };
    forgetCompileCacheEnv(added);
    assert.deepEqual(added, { OTHER: "y" });
    const own = { NODE_COMPILE_CACHE: "/operator" };
    forgetCompileCacheEnv(own);
    assert.deepEqual(own, { NODE_COMPILE_CACHE: "/operator" });
  });
});
