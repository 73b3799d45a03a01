/** The config file: precedence (flags > env > file > defaults), validation, lookup, fresh loading. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { resolveConfig } from "../../src/config.ts";
import { findConfigFile, loadConfigFile } from "../../src/config-file.ts";
import { ConfigSource } from "../../src/config-source.ts";
import { PounceError } from "../../src/errors.ts";
import { resolveWorkdir, startDirectory } from "../../src/release-dir.ts";

const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), "pounce-cfg-"));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const file = (values: Record<string, unknown>) => ({ file: "/srv/pounce.config.ts", values });

/** The one line a PounceError prints, or a failure if `fn` did not throw one. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PounceError, `not a PounceError: ${err}`);
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  assert.fail("did not throw");
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PounceError, `not a PounceError: ${err}`);
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  assert.fail("did not reject");
}

describe("config precedence", () => {
  it("flag > POUNCE_ env > file > default", () => {
    const f = file({ workers: 3, reloadTimeout: 7, startupTimeout: 9, healthCheckPath: "/h" });
    const c = resolveConfig("app.ts", { workers: "2" }, { POUNCE_RELOAD_TIMEOUT: "5" }, f);
    assert.equal(c.workers, 2, "the flag beats env and file");
    assert.equal(c.reloadTimeout, 5, "env beats the file");
    assert.equal(c.startupTimeout, 9, "the file beats the default");
    assert.equal(c.healthCheckPath, "/h");
    assert.equal(c.shutdownTimeout, 10, "the default when nobody sets it");
  });

  it("legacy env (HOST, PORT, SHUTDOWN_TIMEOUT) comes after POUNCE_<NAME> and before the file", () => {
    const f = file({ shutdownTimeout: 30, port: 9000 });
    assert.equal(resolveConfig("a.ts", {}, { SHUTDOWN_TIMEOUT: "20" }, f).shutdownTimeout, 20);
    assert.equal(resolveConfig("a.ts", {}, { SHUTDOWN_TIMEOUT: "20", POUNCE_SHUTDOWN_TIMEOUT: "15" }, f).shutdownTimeout, 15);
    assert.equal(resolveConfig("a.ts", {}, { SHUTDOWN_TIMEOUT: "25" }).shutdownTimeout, 25);
    assert.equal(resolveConfig("a.ts", {}, { PORT: "8081" }, f).port, 8081);
    assert.match(
      errorOf(() => resolveConfig("a.ts", {}, { SHUTDOWN_TIMEOUT: "0" })),
      /^SHUTDOWN_TIMEOUT must be a positive/,
    );
  });

  it("entry: the positional one beats the file's; the file's serves when none is given", () => {
    assert.equal(resolveConfig("cli.ts", {}, {}, file({ entry: "file.ts" })).entry, "cli.ts");
    assert.equal(resolveConfig(undefined, {}, {}, file({ entry: "file.ts:api" })).entry, "file.ts:api");
    assert.match(
      errorOf(() => resolveConfig(undefined, {}, {})),
      /^missing entry/,
    );
    assert.match(
      errorOf(() => resolveConfig(undefined, {}, {}, file({ entry: 42 }))),
      /pounce\.config\.ts: entry must be/,
    );
  });

  it("file values of the right type: workers auto, booleans, strings, 0 where 0 is allowed", () => {
    const c = resolveConfig("a.ts", {}, {}, file({ workers: "auto", accessLog: true, logLevel: "debug", reloadStagger: 0 }));
    assert.ok(c.workers >= 1);
    assert.equal(c.accessLog, true);
    assert.equal(c.logLevel, "debug");
    assert.equal(c.reloadStagger, 0);
  });

  it("uds and udsMode from the file: the mode as an octal string or a number at its value", () => {
    const c = resolveConfig("a.ts", {}, {}, file({ uds: "/run/app.sock", udsMode: "0600" }));
    assert.equal(c.uds, "/run/app.sock");
    assert.equal(c.udsMode, 0o600);
    assert.equal(resolveConfig("a.ts", {}, {}, file({ udsMode: 0o640 })).udsMode, 0o640);
    assert.equal(resolveConfig("a.ts", {}, { POUNCE_UDS_MODE: "0666" }, file({ udsMode: 0o640 })).udsMode, 0o666);
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      "zero workers",
      { workers: 0 },
      /^\/srv\/pounce\.config\.ts: workers must be a whole number from 1 to 1024, or auto \(got 0\)$/,
    ],
    ["workers as a string", { workers: "4" }, /workers must be a number or "auto" \(got "4"\)/],
    ["negative timeout", { shutdownTimeout: -1 }, /shutdownTimeout must be a positive number of seconds \(got -1\)/],
    ["timeout as a string", { reloadTimeout: "30" }, /reloadTimeout must be a number \(got "30"\)/],
    ["health path without a slash", { healthCheckPath: "health" }, /healthCheckPath must start with \/ \(got "health"\)/],
    ["log level not one of the choices", { logLevel: "loud" }, /logLevel must be one of debug, info, warn, error/],
    ["boolean as a string", { accessLog: "yes" }, /accessLog must be true or false \(got "yes"\)/],
    ["port out of range", { port: 70000 }, /port must be an integer port from 0 to 65535 \(got 70000\)/],
    ["an object where a string goes", { host: { a: 1 } }, /host must be a string/],
    [
      "a mode above 0o777",
      { udsMode: 660 },
      /udsMode must be permission bits: an octal string such as "0660" or a number such as 0o660 \(got 660\)/,
    ],
    ["a mode that is not octal", { udsMode: "0689" }, /udsMode must be octal permission bits such as 0660 \(got "0689"\)/],
  ];
  for (const [name, values, message] of bad) {
    it(`a bad file value names the file, the field and the rule: ${name}`, () => {
      assert.match(
        errorOf(() => resolveConfig("a.ts", {}, {}, file(values))),
        message,
      );
    });
  }

  it("a flag or env value that overrides a bad file value is still checked first", () => {
    assert.match(
      errorOf(() => resolveConfig("a.ts", { workers: "0" }, {}, file({ workers: 2 }))),
      /^--workers must be/,
    );
  });
});

describe("config file lookup and loading", () => {
  it("finds pounce.config.ts|.mts|.js|.mjs in the directory, none is fine, two are an error", () => {
    const d = scratch();
    assert.equal(findConfigFile(d, ""), undefined);
    writeFileSync(join(d, "pounce.config.mjs"), "export default {};\n");
    assert.equal(findConfigFile(d, ""), join(d, "pounce.config.mjs"));
    writeFileSync(join(d, "pounce.config.ts"), "export default {};\n");
    assert.match(
      errorOf(() => findConfigFile(d, "")),
      /more than one config file in .* \(pounce\.config\.ts, pounce\.config\.mjs\)/,
    );
    assert.equal(findConfigFile(d, "pounce.config.ts"), join(d, "pounce.config.ts"), "--config picks one");
  });

  it("--config names a file relative to the working directory; a missing one is an error", () => {
    const d = scratch();
    mkdirSync(join(d, "conf"));
    writeFileSync(join(d, "conf/prod.ts"), "export default {};\n");
    assert.equal(findConfigFile(d, "conf/prod.ts"), join(d, "conf/prod.ts"));
    assert.match(
      errorOf(() => findConfigFile(d, "conf/nope.ts")),
      /^config file not found: .*conf\/nope\.ts/,
    );
  });

  it("loads TypeScript with a plain object or defineConfig, and checks field names", async () => {
    const d = scratch();
    const f = join(d, "pounce.config.ts");
    writeFileSync(f, "const n: number = 3;\nexport default { workers: n, healthCheckPath: '/health' };\n");
    assert.deepEqual((await loadConfigFile(f)).values, { workers: 3, healthCheckPath: "/health" });
    const index = join(import.meta.dirname, "../../src/index.ts");
    writeFileSync(f, `import { defineConfig } from ${JSON.stringify(index)};\nexport default defineConfig({ workers: 2 });\n`);
    assert.deepEqual((await loadConfigFile(f)).values, { workers: 2 });
    const g = join(d, "pounce.config.mts");
    writeFileSync(g, "export default { wrokers: 2 };\n");
    assert.match(await rejection(loadConfigFile(g)), /pounce\.config\.mts: unknown field "wrokers" \(did you mean workers\?\)$/);
    writeFileSync(g, "export default { 'health-check-path': '/h' };\n");
    assert.match(
      await rejection(loadConfigFile(g)),
      /unknown field "health-check-path" \(write it in camelCase: healthCheckPath\)/,
    );
    writeFileSync(g, "export default { config: 'other.ts' };\n");
    assert.match(await rejection(loadConfigFile(g)), /unknown field "config" \(config says where the config file is/);
    writeFileSync(g, "export default { zzz: 1 };\n");
    assert.match(
      await rejection(loadConfigFile(g)),
      /unknown field "zzz" \(known fields: entry, host, port, uds, udsMode, workers/,
    );
  });

  it("refuses a default export that is not an object, and a file that does not load, in one line", async () => {
    const d = scratch();
    const f = join(d, "pounce.config.js");
    writeFileSync(f, "export const workers = 2;\n");
    assert.match(
      await rejection(loadConfigFile(f)),
      /pounce\.config\.js: the default export must be an object.*\(got no default export\)/,
    );
    writeFileSync(f, "export default () => ({ workers: 2 });\n");
    assert.match(await rejection(loadConfigFile(f)), /\(got function\)/);
    writeFileSync(f, "export default { workers: 2,,, };\n");
    const msg = await rejection(loadConfigFile(f));
    assert.match(msg, /^cannot load config file .*pounce\.config\.js: .*Unexpected token \(at .*pounce\.config\.js:1:\d+\)$/);
    assert.ok(!msg.includes("\n"), msg);
  });

  for (const [ext, dep, typed, pkg] of [
    ["ts", "ts", ": number", ""],
    ["mts", "mts", ": number", ""],
    ["mjs", "mjs", "", ""],
    ["js", "js", "", '{"type":"module"}'],
  ] as const)
    it(`reads a .${ext} file and what it imports afresh every time${pkg ? " (in a type: module package)" : ""}`, async () => {
      const d = scratch();
      if (pkg) writeFileSync(join(d, "package.json"), pkg);
      const f = join(d, `pounce.config.${ext}`);
      writeFileSync(join(d, `shared.${dep}`), `export const N${typed} = 1;\n`);
      writeFileSync(f, `import { N } from './shared.${dep}';\nexport default { workers: N };\n`);
      assert.equal((await loadConfigFile(f)).values.workers, 1);
      writeFileSync(join(d, `shared.${dep}`), `export const N${typed} = 2;\n`);
      assert.equal((await loadConfigFile(f)).values.workers, 2, "an imported file was cached");
      writeFileSync(f, `import { N } from './shared.${dep}';\nexport default { workers: N + 1 };\n`);
      assert.equal((await loadConfigFile(f)).values.workers, 3, "the file itself was cached");
    });
});

describe("working directory through a symlink", () => {
  it("keeps $PWD when it names the same directory as the process's cwd, else the cwd", () => {
    const d = scratch();
    mkdirSync(join(d, "releases/v1"), { recursive: true });
    symlinkSync("releases/v1", join(d, "current"));
    const real = join(d, "releases/v1");
    assert.equal(startDirectory({ PWD: join(d, "current") }, real), join(d, "current"));
    assert.equal(startDirectory({ PWD: d }, real), real, "a $PWD that is another directory");
    assert.equal(startDirectory({}, real), real);
    assert.equal(startDirectory({ PWD: "relative/path" }, real), real);
  });

  it("re-resolves the directory at each read: a flip moves the next reading to the new release", async () => {
    const d = scratch();
    for (const v of ["v1", "v2"]) mkdirSync(join(d, "releases", v), { recursive: true });
    writeFileSync(join(d, "releases/v2/pounce.config.ts"), "export default { workers: 2 };\n");
    symlinkSync("releases/v1", join(d, "current"));
    const source = new ConfigSource({ entry: "app.ts", flags: {}, env: {}, startDir: join(d, "current") });
    const first = await source.load();
    assert.equal(first.cwd, join(d, "releases/v1"));
    assert.equal(first.file, undefined);
    assert.equal(first.config.workers, 1);
    rmSync(join(d, "current"));
    symlinkSync("releases/v2", join(d, "current"));
    const second = await source.reload();
    assert.equal(second.cwd, join(d, "releases/v2"));
    assert.equal(second.file, join(d, "releases/v2/pounce.config.ts"));
    assert.equal(second.config.workers, 2);
    rmSync(join(d, "current"));
    symlinkSync("releases/gone", join(d, "current"));
    assert.match(await rejection(source.reload()), /^working directory .*current does not resolve to a directory: /);
    assert.match(
      errorOf(() => resolveWorkdir(join(d, "current"))),
      /does not resolve/,
    );
  });

  it("a reload whose file changes host or port is refused, naming the file and the field", async () => {
    const d = scratch();
    const f = join(d, "pounce.config.ts");
    writeFileSync(f, "export default { port: 8100, workers: 1 };\n");
    const source = new ConfigSource({ entry: "app.ts", flags: {}, env: {}, startDir: d });
    assert.equal((await source.load()).config.port, 8100);
    writeFileSync(f, "export default { port: 8200, workers: 2 };\n");
    assert.match(
      await rejection(source.reload()),
      /pounce\.config\.ts: port cannot change on a reload \(8100 → 8200\); restart pounce to apply it$/,
    );
    writeFileSync(f, "export default { port: 8100, workers: 2, host: '0.0.0.0' };\n");
    assert.match(await rejection(source.reload()), /host cannot change on a reload \("127\.0\.0\.1" → "0\.0\.0\.0"\)/);
    writeFileSync(f, "export default { port: 8100, workers: 2 };\n");
    assert.equal((await source.reload()).config.workers, 2);
  });

  it("pidFile, logFormat, reloadStrategy, uds and udsMode are read once at start too", async () => {
    const d = scratch();
    const f = join(d, "pounce.config.ts");
    writeFileSync(f, "export default {};\n");
    const source = new ConfigSource({ entry: "app.ts", flags: {}, env: {}, startDir: d });
    await source.load();
    for (const [field, value] of [
      ["pidFile", "'/run/x.pid'"],
      ["logFormat", "'json'"],
      ["reloadStrategy", "'restart'"],
      ["uds", "'/run/app.sock'"],
      ["udsMode", "'0600'"],
    ]) {
      writeFileSync(f, `export default { ${field}: ${value} };\n`);
      assert.match(await rejection(source.reload()), new RegExp(`: ${field} cannot change on a reload`));
    }
  });

  it("a flag fixes a value whatever the file says later", async () => {
    const d = scratch();
    const f = join(d, "pounce.config.ts");
    writeFileSync(f, "export default { workers: 3 };\n");
    const source = new ConfigSource({ entry: "app.ts", flags: { port: "8300", workers: "2" }, env: {}, startDir: d });
    await source.load();
    writeFileSync(f, "export default { workers: 4, port: 9999 };\n");
    const next = await source.reload();
    assert.equal(next.config.workers, 2);
    assert.equal(next.config.port, 8300);
  });
});
