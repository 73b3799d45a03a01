/**
 * `pounce --help` and `pounce <command> --help`: the usage line, every option of the option table
 * with its env name and default, the commands, the signals, examples; plain text into a pipe,
 * within 100 columns. Also the command line's word-level errors (one entry, control flags).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { envName, OPTIONS } from "../src/config.ts";
import { cleanup, tempDir, versionedApp } from "./_harness.ts";
import { runPounce } from "./_run.ts";
import { selectedRuntimes } from "./_runtimes.ts";

function fitsAndPlain(text: string): void {
  assert.ok(!text.includes(String.fromCharCode(27)), "colour codes written to a pipe");
  for (const line of text.split("\n")) assert.ok(line.length <= 100, `line over 100 columns (${line.length}): ${line}`);
}

const flat = (text: string) => text.replace(/\s+/g, " ");

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: help`, { concurrency: 4 }, () => {
    let dir = "";
    let app = "";
    before(() => {
      dir = tempDir();
      app = versionedApp(dir, "v1");
    });
    after(() => cleanup(dir));

    it("pounce --help: usage, every option with env and default, commands, signals, examples", async () => {
      const r = await runPounce(rt, ["--help"]);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split("\n");
      assert.equal(lines[0], "Usage: pounce [serve] <entry>[:export] [options]");
      fitsAndPlain(r.stdout);
      const text = flat(r.stdout);
      for (const o of OPTIONS) {
        const row = new RegExp(
          `--${o.flag}\\b[^(]*(\\([^)]*\\)[^(]*)*\\(env ${envName(o)}${(o.legacyEnv ?? []).map((e) => `, ${e}`).join("")}; default ${o.default === "" ? "off" : o.default.replace(/\./g, "\\.")}\\)`,
        );
        assert.match(text, row, `--${o.flag} without its env name and default`);
      }
      for (const cmd of ["serve", "reload", "stop", "status"]) assert.match(r.stdout, new RegExp(`^ {2}${cmd} +\\S`, "m"));
      for (const sig of ["SIGHUP, SIGUSR1", "SIGTERM, SIGINT", "SIGTTIN, SIGTTOU"])
        assert.match(r.stdout, new RegExp(`^ {2}${sig} +\\S`, "m"));
      for (const env of ["POUNCE_PRESPAWN=0", "POUNCE_TRACE_STARTUP=1"])
        assert.match(r.stdout, new RegExp(`^ {2}${env} +\\S`, "m"));
      const examples = lines.slice(lines.indexOf("Examples:") + 1).filter((l) => l.startsWith("  pounce "));
      assert.equal(examples.length, 2, r.stdout);
      const serve = await runPounce(rt, ["serve", "--help"]);
      assert.equal(serve.stdout, r.stdout);
    });

    for (const [cmd, flags] of [
      ["reload", ["--pid-file <file>", "--pid <n>", "--wait-drained", "--timeout <s>"]],
      ["stop", ["--pid-file <file>", "--pid <n>", "--timeout <s>"]],
      ["status", ["--pid-file <file>", "--pid <n>", "--json"]],
    ] as const) {
      it(`pounce ${cmd} --help`, async () => {
        const r = await runPounce(rt, [cmd, "--help"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^Usage: pounce ${cmd} `));
        fitsAndPlain(r.stdout);
        for (const f of flags) assert.match(r.stdout, new RegExp(`^ {2}${f.replace(/[<>]/g, "\\$&")} `, "m"));
        assert.match(r.stdout, /\nExamples:\n {2}pounce /);
      });
    }

    const usage: Array<[string, string[], RegExp]> = [
      ["two entries", ["<app>", "other.ts"], /^pounce: error: one entry expected, got 2: .*app\.ts other\.ts/],
      ["a control command without a server", ["reload"], /^pounce: error: pounce reload needs the server: --pid-file FILE/],
      ["an unknown control flag", ["stop", "--pidfile", "x"], /^pounce: error: unknown option --pidfile/],
      [
        "an argument to a control command",
        ["status", "app.ts"],
        /^pounce: error: pounce status takes no arguments, got "app.ts"/,
      ],
      ["a bad --timeout", ["reload", "--pid", "1", "--timeout", "soon"], /--timeout must be a positive number of seconds/],
    ];
    for (const [name, args, message] of usage) {
      it(`exits 2 with one line: ${name}`, async () => {
        const r = await runPounce(
          rt,
          args.map((a) => (a === "<app>" ? app : a)),
          { env: { POUNCE_PID_FILE: "" } },
        );
        assert.equal(r.code, 2, r.stdout + r.stderr);
        const lines = r.stderr.trim().split("\n");
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0] as string, message);
      });
    }
  });
}
