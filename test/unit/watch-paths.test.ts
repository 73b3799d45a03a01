/** --reload's path filter: which changes count, which directories are never entered. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseServeArgs } from "../../src/cli/serve-command.ts";
import { resolveConfig } from "../../src/config.ts";
import { countsAsChange, extensionSet, isEditorTemp, isIgnoredDir } from "../../src/watch/paths.ts";

const defaults = extensionSet([]);

describe("watch: path filter", () => {
  it("counts the default source extensions, in the root and below", () => {
    for (const p of ["app.ts", "a.tsx", "a.mts", "a.cts", "a.js", "a.mjs", "a.cjs", "data.json", "lib/deep/x.ts", "App.TS"])
      assert.ok(countsAsChange(p, defaults), p);
    for (const p of ["index.html", "style.css", "README.md", "Makefile", "lib/x.txt"]) assert.ok(!countsAsChange(p, defaults), p);
  });

  it("--reload-include adds extensions (dot optional, case-insensitive)", () => {
    const exts = extensionSet(resolveConfig("app.ts", { "reload-include": "html, .CSS" }, {}).reloadInclude);
    assert.ok(countsAsChange("templates/index.html", exts));
    assert.ok(countsAsChange("s.css", exts));
    assert.ok(countsAsChange("app.ts", exts), "defaults stay");
    assert.throws(() => resolveConfig("app.ts", { "reload-include": ".ht/ml" }, {}), /--reload-include must be file extensions/);
  });

  it("never counts a path inside node_modules, .git, dist, build or a dot-directory", () => {
    for (const p of [
      "node_modules/x/index.js",
      ".git/HEAD.json",
      "dist/app.js",
      "build/a.js",
      ".cache/a.ts",
      "lib/node_modules/y.js",
    ])
      assert.ok(!countsAsChange(p, defaults), p);
    for (const d of ["node_modules", ".git", "dist", "build", ".vscode", ".idea"]) assert.ok(isIgnoredDir(d), d);
    for (const d of ["src", "lib", "templates", "distribution", "builder"]) assert.ok(!isIgnoredDir(d), d);
  });

  it("never counts an editor's swap, backup, lock or temporary file", () => {
    const temps = [
      ".app.ts.swp",
      ".app.ts.swo",
      ".app.ts.swx",
      "app.ts~",
      "4913",
      ".#app.ts",
      "#app.ts#",
      "app.ts.tmp",
      "app.ts___jb_tmp___",
    ];
    for (const name of temps) {
      assert.ok(isEditorTemp(name), name);
      assert.ok(!countsAsChange(`lib/${name}`, defaults), name);
    }
    assert.ok(!isEditorTemp("app.ts"));
  });

  it("--reload-dir is a list: repeated flags and comma-separated values add up", () => {
    const { flags } = parseServeArgs(["app.ts", "--reload", "--reload-dir", "templates", "--reload-dir=views,partials"]);
    assert.deepEqual(resolveConfig("app.ts", flags, {}).reloadDir, ["templates", "views", "partials"]);
    assert.deepEqual(resolveConfig("app.ts", {}, { POUNCE_RELOAD_DIR: "a, b" }).reloadDir, ["a", "b"]);
    assert.deepEqual(resolveConfig("app.ts", {}, {}).reloadDir, []);
    assert.equal(resolveConfig("app.ts", {}, { POUNCE_RELOAD: "1" }).reload, true);
  });
});
