/**
 * Errors that say where: a syntax error or a throwing import, at boot and on a reload, names the
 * file, line and column and the runtime's one-line reason — on every runtime row, never with a
 * stack of pounce's own frames. (The shapes each runtime gives: test/unit/import-error.test.ts.)
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { noneLeft, Pounce, request, withPounce, withTempDir, writeApp } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

const GOOD = 'export default { fetch: () => new Response("ok") };\n';
/** Line 3, column 15 (the `;`) is wrong whatever the parser (V8, SWC, Babel, Bun's, Deno's). */
const SYNTAX = "export default {\n  fetch() {\n    const x = ;\n    return new Response(x);\n  },\n};\n";
/** Imports lib/boom.ts, which throws on its line 2. */
const IMPORTS_BOOM = 'import { n } from "./lib/boom.ts";\nexport default { fetch: () => new Response(String(n)) };\n';
const BOOM = 'export const n = 1;\nthrow new Error("no database configured");\n';
/** An .mjs module with a syntax error at line 2, column 20, imported by the entry. */
const IMPORTS_BAD_MJS = 'import "./lib/bad.mjs";\nexport default { fetch: () => new Response("ok") };\n';
const BAD_MJS = "export const a = 1;\nexport const b = (2;\n";

function files(dir: string): void {
  mkdirSync(join(dir, "lib"), { recursive: true });
  writeApp(dir, "lib/boom.ts", BOOM);
  writeApp(dir, "lib/bad.mjs", BAD_MJS);
}

const CASES: Array<{ name: string; source: string; where: RegExp; entry?: string; bootOnly?: boolean }> = [
  { name: "a syntax error in the entry", source: SYNTAX, where: /app\.ts:3:15: \w*Error: \S/ },
  { name: "a throwing import", source: IMPORTS_BOOM, where: /lib\/boom\.ts:2:\d+: Error: no database configured/ },
  { name: "a syntax error in an imported .mjs", source: IMPORTS_BAD_MJS, where: /lib\/bad\.mjs:2:20: \w*Error: \S/ },
  // Named with its importer (Node 24 and Bun in the message, Deno with line and column).
  {
    name: "a module that cannot be found",
    source: 'import "./lib/nope.ts";\nexport default { fetch: () => new Response("ok") };\n',
    where: /app\.ts.*(Cannot find module|Module not found).*nope|(Cannot find module|Module not found).*nope.*app\.ts/,
  },
  // An .mjs entry: Node imports it natively on every version (no jiti), whose error has no location.
  {
    name: "a syntax error under an .mjs entry",
    entry: "app.mjs",
    source: IMPORTS_BAD_MJS,
    where: /lib\/bad\.mjs:2:20: \w*Error: \S/,
    bootOnly: true,
  },
];

/** One line, no frames, none of pounce's own paths. */
function oneLine(text: string): void {
  assert.doesNotMatch(text, /\n\s+at \S+/, `a stack trace was printed:\n${text}`);
  assert.doesNotMatch(text, /dist\/(src|runtimes)\//, `pounce's own files were named:\n${text}`);
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: import errors say where`, { concurrency: 3 }, () => {
    for (const c of CASES) {
      it(`at boot: ${c.name}`, async (t) => {
        const entry = c.entry ?? "app.ts";
        await withTempDir(async (dir) => {
          files(dir);
          writeApp(dir, entry, c.source);
          const p = await Pounce.start(rt, [entry], { cwd: dir, ready: false });
          try {
            await p.waitFor(/Failed to start: .*\n/, { timeoutMs: 30_000 }); // the pipe may deliver it after the exit
            const exit = await p.exited(30_000);
            assert.equal(exit.code, 1, p.output);
            const line = /Failed to start: (failed to import .*)/.exec(p.output)?.[1] ?? "";
            t.diagnostic(line);
            assert.match(line, c.where, `output:\n${p.output}`);
            oneLine(p.output);
            await noneLeft(p);
          } finally {
            p.kill();
          }
        });
      });
    }

    it("on reload: each case fails the reload with file:line:col, the old code keeps serving", async () => {
      await withTempDir(async (dir) => {
        files(dir);
        writeApp(dir, "app.ts", GOOD);
        await withPounce(rt, ["app.ts", "--workers", "2"], { dir, cwd: dir }, async (p) => {
          for (const c of CASES.filter((x) => !x.bootOnly)) {
            writeApp(dir, "app.ts", c.source);
            const mark = p.output.length;
            p.signal("SIGHUP");
            await p.waitFor("Reload failed — continuing with previous version", { from: mark, timeoutMs: 30_000 });
            const failure = p.output.slice(mark);
            const line = /failed to import app\.ts: (.*)/.exec(failure)?.[1] ?? "";
            assert.match(line, c.where, `${c.name}:\n${failure}`);
            assert.equal((failure.match(/failed to import/g) ?? []).length, 1, `printed more than once:\n${failure}`);
            oneLine(failure);
            assert.equal((await request(p.url("/"))).body, "ok");
          }
        });
      });
    });
  });
}
