/** CLI and start-up errors: one clear line, the right exit code, never a stack trace. */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { cleanup, freePort, tempDir, versionedApp, withPounce, writeApp } from "./_harness.ts";
import { type Ran, runPounce } from "./_run.ts";
import { type Runtime, selectedRuntimes } from "./_runtimes.ts";

/** runPounce, with stdout and stderr together as `out` (most cases check both). */
async function run(
  rt: Runtime,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Ran & { out: string }> {
  const ran = await runPounce(rt, args, { timeoutMs: 30_000, ...opts });
  return { ...ran, out: ran.stdout + ran.stderr };
}

/** Stands for the app's path in the usage table (the file is made when the cases run). */
const APP = "<app>";

const noStack = (text: string) => assert.doesNotMatch(text, /\n\s+at .+:\d+/, `stack trace in:\n${text}`);

for (const rt of selectedRuntimes()) {
  // Short, independent processes: four at a time (none of these cases measures a tight time).
  describe(`${rt.name}: command line`, { concurrency: 4 }, () => {
    // One scratch folder for the file's short cases, made when the first of them runs.
    let dir = "";
    let app = "";
    before(() => {
      dir = tempDir();
      app = versionedApp(dir, "v1");
    });
    after(() => cleanup(dir));

    it("prints help and version", async () => {
      const help = await run(rt, ["--help"]);
      assert.equal(help.code, 0);
      for (const flag of ["--workers", "--reload-timeout", "--shutdown-timeout", "--health-check-path", "--log-format"])
        assert.match(help.stdout, new RegExp(flag));
      const version = await run(rt, ["--version"]);
      assert.equal(version.code, 0);
      assert.match(version.stdout, /^pounce \d+\.\d+\.\d+/);
    });

    const usage: Array<[string, string[], RegExp, Record<string, string>?]> = [
      ["zero shutdown timeout", [APP, "--shutdown-timeout", "0"], /--shutdown-timeout must be a positive number/],
      ["negative reload timeout", [APP, "--reload-timeout=-5"], /--reload-timeout must be a positive number/],
      ["negative reload stagger", [APP, "--reload-stagger=-1"], /--reload-stagger must be 0 or a positive number/],
      ["non-numeric timeout", [APP, "--startup-timeout", "soon"], /--startup-timeout must be a positive number/],
      ["bad port", [APP, "--port", "70000"], /--port must be an integer port/],
      ["unknown flag", [APP, "--bogus"], /unknown option --bogus/],
      ["missing entry file", ["nope/missing-app.ts"], /entry file not found: nope\/missing-app\.ts/],
      ["no entry", [], /missing entry/],
      ["bad workers", [APP, "--workers", "0"], /--workers must be a whole number/],
      ["bad env value", [app], /POUNCE_SHUTDOWN_TIMEOUT must be a positive number/, { POUNCE_SHUTDOWN_TIMEOUT: "-1" }],
      ["bad log format", [APP, "--log-format", "xml"], /--log-format must be one of text, json/],
    ];
    for (const [name, args, message, env] of usage) {
      it(`exits 2 with one line for a usage error: ${name}`, async () => {
        const r = await run(
          rt,
          args.map((a) => (a === APP ? app : a)),
          { env },
        );
        assert.equal(r.code, 2, r.out);
        const lines = r.stderr.trim().split("\n");
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0] as string, message);
        assert.match(lines[0] as string, /^pounce: error: /);
      });
    }

    it("exits 1 with the cause when the entry exports no fetch", async () => {
      const file = writeApp(dir, "nofetch.ts", "export default { hello: 1 };\n");
      const r = await run(rt, [file, "--port", "0"]);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /Failed to start: .*nofetch\.ts has no fetch handler/);
      noStack(r.out);
    });

    it("exits 1 with the cause when the entry does not import", async () => {
      const file = writeApp(dir, "broken.ts", "export default { fetch( {\n");
      const r = await run(rt, [file, "--port", "0"]);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /Failed to start: failed to import/);
      noStack(r.out);
    });

    it("exits 1 when the port is in use", async () => {
      const port = await freePort();
      const blocker = createServer().listen(port, "127.0.0.1");
      await new Promise((r) => blocker.once("listening", r));
      try {
        const r = await run(rt, [app, "--port", String(port)]);
        assert.equal(r.code, 1, r.out);
        assert.match(r.out, new RegExp(`address 127\\.0\\.0\\.1:${port} is already in use`));
        noStack(r.out);
      } finally {
        blocker.close();
      }
    });

    it("exits 1 when a worker is not ready within --startup-timeout", async () => {
      const file = writeApp(
        dir,
        "hang.ts",
        "await new Promise((r) => setTimeout(r, 20000));\nexport default { fetch: () => new Response('x') };\n",
      );
      const started = Date.now();
      const r = await run(rt, [file, "--port", "0", "--startup-timeout", "1"]);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /not ready within startup_timeout \(1\.0s\)/);
      assert.ok(Date.now() - started < 10_000);
    });

    it("accepts `serve`, named exports, extension-less entries, .mjs and .js", async () => {
      writeApp(dir, "named.ts", "export const api = { fetch: () => new Response('named') };\n");
      writeApp(dir, "plain.mjs", "export default { fetch: () => new Response('mjs') };\n");
      writeApp(dir, "func.js", "export function fetch() { return new Response('js-fn'); }\n");
      const cases: Array<[string[], string]> = [
        [["serve", `${dir}/named.ts:api`], "named"],
        [[`${dir}/named:api`], "named"],
        [[`${dir}/plain.mjs`], "mjs"],
        [[`${dir}/func.js`], "js-fn"],
      ];
      // Independent servers on their own ports: started side by side.
      await Promise.all(
        cases.map(([args, body]) =>
          withPounce(rt, args, { dir }, async (p) => {
            const res = await fetch(p.url("/"));
            assert.equal(await res.text(), body, `pounce ${args.join(" ")}`);
          }),
        ),
      );
    });

    it("serves a Hono app and TypeScript that needs more than type stripping (enum)", async () => {
      writeApp(
        dir,
        "hono-app.ts",
        `import { Hono } from "hono";
enum Color { Red = "red", Blue = "blue" }
const app = new Hono();
app.get("/", (c) => c.text("hono " + Color.Blue));
export default app;
`,
      );
      await withPounce(rt, [`${dir}/hono-app.ts`], { dir, cwd: process.cwd() }, async (p) => {
        const res = await fetch(p.url("/"));
        assert.equal(await res.text(), "hono blue");
      });
    });
  });
}
