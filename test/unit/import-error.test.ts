/**
 * Import errors that say where: the shapes each runtime gives (recorded from node 20.20, node 24.21,
 * bun 1.4.5 and deno 2.9.6 on this machine) become one `file:line:col: Reason` line. The black-box
 * proof on real runtimes is test/import-errors.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeImportFailure } from "../../src/worker/import-error.ts";

const cwd = "/srv/app";
const withStack = <E extends Error>(e: E, stack: string, extra: Record<string, unknown> = {}): E =>
  Object.assign(e, { stack }, extra);

describe("import errors: file, line, column and the runtime's reason", () => {
  it("Bun: an AggregateError of BuildMessages (position on each), counted", () => {
    const msg = (message: string, line: number, column: number) =>
      Object.assign(Object.create({ name: "BuildMessage" }), { message, position: { file: "/srv/app/app.ts", line, column } });
    const err = Object.assign(new AggregateError([], '4 errors building "/srv/app/app.ts"'), {
      errors: [msg('Expected "}" but found "new"', 4, 12), msg("x", 4, 16), msg("y", 4, 20), msg("z", 5, 1)],
    });
    assert.equal(describeImportFailure(err, cwd), 'app.ts:4:12: SyntaxError: Expected "}" but found "new" (and 3 more errors)');
  });

  it("Node: the decorated report (path:line, the source line, a caret) gives the column", () => {
    const stack =
      "file:///srv/app/lib/syn.mjs:3\n    return new Response(\"x\")) ;\n                            ^\n\nSyntaxError: Unexpected token ')'";
    const err = withStack(new SyntaxError("Unexpected token ')'"), stack);
    assert.equal(describeImportFailure(err, cwd), "lib/syn.mjs:3:29: SyntaxError: Unexpected token ')'");
  });

  it("jiti: the location at the end of the message", () => {
    const err = new Error("ParseError: Unexpected keyword 'return'.  \n /srv/app/app.ts:4:4");
    assert.equal(describeImportFailure(err, cwd), "app.ts:4:4: ParseError: Unexpected keyword 'return'.");
  });

  it("Deno: a SyntaxError wrapped in a TypeError, location in the message (also with a trailing internal frame)", () => {
    const text =
      "SyntaxError: Expected ',', got 'new'\n  |\n4 |     return new Response(\"x\");\n  |            ~~~\n    at file:///srv/app/app.ts:4:12";
    const err = Object.assign(new TypeError(text), { code: "ERR_MODULE_NOT_FOUND" });
    assert.equal(describeImportFailure(err, cwd), "app.ts:4:12: SyntaxError: Expected ',', got 'new'");
    const trailing = Object.assign(new TypeError(`${text} at ext:core/01_core.js:405:7`), { code: "ERR_MODULE_NOT_FOUND" });
    assert.equal(describeImportFailure(trailing, cwd), "app.ts:4:12: SyntaxError: Expected ',', got 'new'");
  });

  it("a throw while the module runs: the first frame in the user's files, never jiti's, a runtime's or pounce's", () => {
    const stack = [
      "Error: boom at import",
      "    at node:internal/modules/run_main:1:1",
      "    at eval_evalModule (/srv/app/node_modules/jiti/dist/jiti.cjs:1:184467)",
      "    at /srv/app/lib/helper.ts:2:7",
      "    at /srv/app/app.ts:1:203",
    ].join("\n");
    assert.equal(
      describeImportFailure(withStack(new Error("boom at import"), stack), cwd),
      "lib/helper.ts:2:7: Error: boom at import",
    );
    const deno = withStack(
      new TypeError("Cannot read properties of null (reading 'foo')"),
      "TypeError: Cannot read properties of null (reading 'foo')\n    at file:///srv/app/app.ts:2:6",
    );
    assert.equal(describeImportFailure(deno, cwd), "app.ts:2:6: TypeError: Cannot read properties of null (reading 'foo')");
  });

  it("outside the working directory the path stays absolute; without any location, the reason alone", () => {
    const err = withStack(new Error("boom"), "Error: boom\n    at /elsewhere/x.ts:1:2");
    assert.equal(describeImportFailure(err, cwd), "/elsewhere/x.ts:1:2: Error: boom");
    const bare = withStack(
      new Error("Cannot find module './nope.ts'\nRequire stack:\n- /srv/app/app.ts"),
      "Error: Cannot find module './nope.ts'\n    at /srv/app/app.ts:1:203",
      {
        code: "MODULE_NOT_FOUND",
      },
    );
    assert.equal(
      describeImportFailure(bare, cwd),
      "Error: Cannot find module './nope.ts'",
      "a loader's rewritten import line is no location",
    );
    assert.equal(describeImportFailure("a string", cwd), "a string");
  });
});
