/**
 * The package as users get it: `npm pack` of this checkout is published to a throw-away registry on
 * 127.0.0.1 (test/_registry.mjs, a child process; every other package comes from the public registry
 * through it), and then, in fresh directories outside the checkout, the README's commands run the
 * way a user types them — `npx pounce app.ts` after `npm install pounce hono` (Node rows), `bunx
 * pounce app.ts` (Bun row), `deno run -A npm:pounce app.ts` (Deno row), and the installed bin run
 * directly after `npm install ./pounce-<v>.tgz` (every row). Each serves 200, reloads on SIGHUP sent
 * to the pid the README says to signal, and stops on SIGTERM with exit 0 and nothing left behind.
 * Needs network to registry.npmjs.org (for hono, citty, …).
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort, request, waitUntil } from "./_harness.ts";
import { ROOT, type Runtime, selectedRuntimes } from "./_runtimes.ts";

const BIN_DIR = join(ROOT, "node_modules/.bin");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const TARBALL = `${pkg.name}-${pkg.version}.tgz`;
/** What ships: anything else in the tarball (tests, bench, fixtures, sources) is a failure. */
const SHIPPED = /^(bin\/|dist\/src\/|dist\/runtimes\/|dist\/bundle\/|docs\/|examples\/|README\.md$|LICENSE$|package\.json$)/;

const work = mkdtempSync(join(tmpdir(), "pounce-install-"));
let registry: ChildProcess | undefined;
let registryLog = "";
let registryUrl = "";
let packed: { size: number; unpackedSize: number; files: { path: string }[] };

function liveInGroup(pgid: number): string[] {
  const out = execFileSync("ps", ["-e", "-o", "pgid=,stat=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[0]) === pgid && !(f[1] ?? "").startsWith("Z"))
    .map((f) => f.slice(2).join(" "));
}

/** The environment of a user whose npm, bun and deno know only the test registry and temp caches. */
function userEnv(dir: string, rt: Runtime): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|bun_|deno_|pounce_)/i.test(k)) env[k] = v;
  const userconfig = join(dir, ".user-npmrc");
  writeFileSync(userconfig, "");
  // The runtime under test is the one first on PATH (npx and the bin's shebang find `node` there).
  return {
    ...env,
    PATH: [dirname(rt.exe), "/usr/bin", env.PATH].join(":"),
    npm_config_registry: registryUrl,
    npm_config_userconfig: userconfig,
    npm_config_cache: join(dir, ".npm-cache"),
    npm_config_fund: "false",
    npm_config_audit: "false",
    npm_config_update_notifier: "false",
    BUN_CONFIG_REGISTRY: registryUrl,
    BUN_INSTALL_CACHE_DIR: join(dir, ".bun-cache"),
    NPM_CONFIG_REGISTRY: registryUrl,
    DENO_DIR: join(dir, ".deno-dir"),
    NO_COLOR: "1",
  };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): string {
  return execFileSync(cmd, args, { cwd, env, encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
}

/** A fresh directory outside the checkout (npm must not find pounce's own package.json above it). */
function freshDir(name: string, app: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `app-${name}`, private: true }));
  writeFileSync(join(dir, "app.ts"), app);
  return dir;
}
const plainApp = (v: string) => `export default { fetch: () => new Response(${JSON.stringify(v)}) };\n`;
const honoApp = (v: string) =>
  `import { Hono } from "hono";\nconst app = new Hono();\napp.get("/", (c) => c.text(${JSON.stringify(v)}));\nexport default app;\n`;

/**
 * Start `cmd args` (as a user would, in its own process group), then: 200 with v1; rewrite app.ts to
 * v2 and SIGHUP the pid `signalPid` picks from the output (the one the README says to signal);
 * 200 with v2; SIGTERM it; the command exits 0 and its process group is empty. Returns the output.
 */
async function serveReloadStop(
  dir: string,
  env: NodeJS.ProcessEnv,
  cmd: string,
  args: string[],
  app: (v: string) => string,
  signalPid: (output: string, started: number) => number,
): Promise<string> {
  const port = await freePort();
  writeFileSync(join(dir, "app.ts"), app("v1"));
  const proc = spawn(cmd, [...args, "--port", String(port)], {
    cwd: dir,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (d) => (out += d));
  proc.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const group = proc.pid as number;
  const seen = (re: RegExp, what: string, ms: number) =>
    waitUntil(
      `${what}:\n${out}`,
      () => {
        if (proc.exitCode !== null && !re.test(out)) throw new Error(`exited ${proc.exitCode} before ${what}:\n${out}`);
        return re.test(out);
      },
      ms,
    );
  try {
    await seen(/Ready to accept connections/, "ready", 45_000);
    const v1 = await request(`http://127.0.0.1:${port}/`);
    assert.deepEqual([v1.status, v1.body], [200, "v1"], out);
    const pid = signalPid(out, group);
    writeFileSync(join(dir, "app.ts"), app("v2"));
    process.kill(pid, "SIGHUP");
    await seen(/Graceful reload complete/, "the reload", 20_000);
    const v2 = await request(`http://127.0.0.1:${port}/`);
    assert.deepEqual([v2.status, v2.body], [200, "v2"], out);
    process.kill(pid, "SIGTERM");
    assert.equal(await Promise.race([exited, new Promise((r) => setTimeout(() => r("still running"), 15_000))]), 0, out);
    assert.match(out, /All workers stopped/);
    await waitUntil(`nothing left of ${cmd}'s process group`, () => liveInGroup(group).length === 0, 10_000);
    return out;
  } finally {
    try {
      process.kill(-group, "SIGKILL");
    } catch {}
  }
}

/** pounce's own pid, from its start line (under npx the process the user started is npm). */
const pounceOwnPid = (out: string) => Number(/Starting pounce .*, pid (\d+)\n/.exec(out)?.[1]);
const startedPid = (_out: string, started: number) => started;

describe("the package as published", { timeout: 150_000 }, () => {
  before(async () => {
    const json = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    packed = JSON.parse(json)[0];
    registry = spawn(process.execPath, [join(ROOT, "test/_registry.mjs")], { stdio: ["pipe", "pipe", "inherit"] });
    registry.stdout?.on("data", (d) => (registryLog += d));
    await waitUntil("the registry is listening", () => /listening \d+/.test(registryLog) || registry?.exitCode !== null);
    registryUrl = `http://127.0.0.1:${/listening (\d+)/.exec(registryLog)?.[1]}/`;
    const host = registryUrl.replace(/^http:/, "");
    run(
      "npm",
      ["publish", join(work, TARBALL), `--${host}:_authToken=test`],
      work,
      userEnv(work, selectedRuntimes()[0] as Runtime),
    );
  });
  after(() => {
    registry?.kill("SIGTERM");
    rmSync(work, { recursive: true, force: true });
  });

  it("ships bin, dist/src, dist/runtimes, dist/bundle (start-up bundle), docs, examples, README, LICENSE: no tests, bench, sources or install scripts; under the README's size bound", () => {
    const paths = packed.files.map((f) => f.path);
    assert.deepEqual(
      paths.filter((p) => !SHIPPED.test(p)),
      [],
    );
    for (const p of ["LICENSE", "bin/pounce.mjs", "dist/src/cli/main.js", "dist/runtimes/deno/worker-main.js", "docs/bun.md"])
      assert.ok(paths.includes(p), `${p} is in the package`);
    // The files a process starts from are the start-up bundle's (scripts/bundle.mjs), not tsc's.
    for (const p of ["dist/src/cli/main.js", "dist/runtimes/node/index.js", "dist/runtimes/bun/worker-main.js"])
      assert.match(readFileSync(join(ROOT, p), "utf8"), /from "(\.\.\/)+bundle\/[^"]+\.js"/, `${p} is bundled`);
    assert.ok(!paths.some((p) => p.endsWith(".ts") && !p.endsWith(".d.ts") && !p.startsWith("examples/")), "no .ts sources");
    assert.deepEqual(
      Object.keys(pkg.scripts).filter((s) => /^(pre|post)?install$|^prepare$/.test(s)),
      [],
      "no install-time scripts",
    );
    assert.match(readFileSync(join(ROOT, "LICENSE"), "utf8"), /^MIT License/);
    assert.equal(pkg.license, "MIT");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const bound = /stays\s+under\s+(\d+)\s+kB\s+packed\s+and\s+(\d+)\s+kB\s+unpacked/.exec(readme);
    assert.ok(bound, "the README states the size bound");
    assert.ok(packed.size < Number(bound[1]) * 1000, `packed ${packed.size} B < ${bound[1]} kB`);
    assert.ok(packed.unpackedSize < Number(bound[2]) * 1000, `unpacked ${packed.unpackedSize} B < ${bound[2]} kB`);
    // The figures the README states are this package's, give or take what other changes add.
    const stated = /is\s+(\d+)\s+kB\s+packed\s+and\s+(\d+)\s+kB\s+unpacked/.exec(readme);
    assert.ok(stated, "the README states the size");
    const near = (said: string, bytes: number) => Math.abs(Number(said) * 1000 - bytes) / bytes < 0.2;
    assert.ok(near(stated[1] as string, packed.size), `README says ${stated[1]} kB packed, npm pack: ${packed.size} B`);
    assert.ok(
      near(stated[2] as string, packed.unpackedSize),
      `README says ${stated[2]} kB unpacked, npm pack: ${packed.unpackedSize} B`,
    );
  });

  it("the README's dependency list names every dependency and only those; hono is there only as @hono/node-server's peer", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const table = /\*\*Dependencies\*\*[^\n]*\n\n((?:\|.*\n)+)/.exec(readme)?.[1] ?? "";
    const listed = [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    assert.deepEqual(listed.sort(), Object.keys(pkg.dependencies).sort());
    assert.match(readme, /`unenv` is not among them: /);
    const importsHono = packed.files
      .map((f) => f.path)
      .filter((p) => p.startsWith("dist/") && p.endsWith(".js"))
      .filter((p) => /(from |import\()"hono(\/[^"]*)?"/.test(readFileSync(join(ROOT, p), "utf8")));
    assert.deepEqual(importsHono, [], "pounce never imports hono");
    const nodeServer = JSON.parse(readFileSync(join(ROOT, "node_modules/@hono/node-server/package.json"), "utf8"));
    assert.ok(nodeServer.peerDependencies?.hono, "@hono/node-server has hono as a peer dependency");
  });

  it("every relative link in README.md and docs/*.md names a file that is in the package", () => {
    const paths = new Set(packed.files.map((f) => f.path));
    const broken: string[] = [];
    for (const doc of ["README.md", ...[...paths].filter((p) => /^docs\/.*\.md$/.test(p))]) {
      const text = readFileSync(join(ROOT, doc), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target as string)) continue;
        const file = join(dirname(doc), (target as string).split("#")[0] as string).replace(/\/$/, "");
        if (!paths.has(file)) broken.push(`${doc}: ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  for (const rt of selectedRuntimes()) {
    const node = rt.name.startsWith("node");
    const command = node
      ? "npm install pounce hono; npx pounce app.ts"
      : rt.name === "bun"
        ? "bunx pounce app.ts"
        : "deno run -A npm:pounce app.ts";
    const target = node ? "pounce's own pid (npm does not pass SIGHUP on)" : rt.name === "bun" ? "bunx's pid" : "deno's pid";
    it(`${rt.name}: \`${command}\` from the registry serves, reloads on SIGHUP to ${target}, stops on SIGTERM`, async () => {
      const dir = freshDir(`registry-${rt.name}`, node ? honoApp("v1") : plainApp("v1"));
      const env = userEnv(dir, rt);
      const mark = registryLog.length;
      if (node) {
        run("npm", ["install", "pounce", "hono"], dir, env);
        for (const dev of Object.keys(pkg.devDependencies))
          assert.ok(!existsSync(join(dir, "node_modules", dev)), `dev dependency ${dev} was not installed`);
        const out = await serveReloadStop(dir, env, "npx", ["pounce", "app.ts"], honoApp, (o) => {
          assert.match(o, /pounce was started by npm .*a reload must signal pounce itself \(pid \d+/);
          const own = pounceOwnPid(o);
          assert.ok(own > 0 && liveInGroup(own).length === 0, `pounce's pid ${own} is not npx's (its group)`);
          return own;
        });
        assert.match(out, new RegExp(`Starting pounce ${pkg.version} \\(node v${rt.name.slice(4)}\\.`));
      } else if (rt.name === "bun") {
        const out = await serveReloadStop(dir, env, join(BIN_DIR, "bunx"), ["pounce", "app.ts"], plainApp, startedPid);
        assert.match(out, /Starting pounce .* \(bun \d/);
      } else {
        // Deno (2.9) will not install a version younger than its minimum dependency age (24 h by
        // default) and says how to override it: so right after a publish, the command is refused.
        assert.throws(
          () => run(rt.exe, ["run", "-A", "npm:pounce", "app.ts"], dir, { ...env, DENO_DIR: join(dir, ".deno-fresh") }),
          (e: { stderr?: string }) =>
            /Could not find npm package 'pounce' matching/.test(e.stderr ?? "") &&
            /minimum dependency age/.test(e.stderr ?? "") &&
            /--minimum-dependency-age/.test(e.stderr ?? ""),
        );
        await fetch(`${registryUrl}-/test/age?hours=48`, { method: "POST" }); // as if published two days ago
        const out = await serveReloadStop(dir, env, rt.exe, ["run", "-A", "npm:pounce", "app.ts"], plainApp, startedPid);
        assert.match(out, /Starting pounce .* \(deno \d/);
      }
      assert.match(registryLog.slice(mark), new RegExp(`GET /pounce/-/${TARBALL} 200`), "pounce came from the registry");
    });
  }

  let tarballApp = "";
  for (const rt of selectedRuntimes()) {
    const [cmd, args, shown] =
      rt.name === "bun"
        ? [rt.exe, ["node_modules/pounce/bin/pounce.mjs"], "bun node_modules/pounce/bin/pounce.mjs"]
        : rt.name === "deno"
          ? [rt.exe, ["run", "-A", "node_modules/pounce/bin/pounce.mjs"], "deno run -A node_modules/pounce/bin/pounce.mjs"]
          : ["node_modules/.bin/pounce", [], "node_modules/.bin/pounce"];
    it(`${rt.name}: \`npm install ./${TARBALL} hono\`, then \`${shown} app.ts\` serves, reloads on SIGHUP, stops on SIGTERM`, async () => {
      if (!tarballApp) {
        tarballApp = freshDir("tarball", honoApp("v1"));
        run("npm", ["install", join(work, TARBALL), "hono"], tarballApp, userEnv(tarballApp, rt));
      }
      const out = await serveReloadStop(tarballApp, userEnv(tarballApp, rt), cmd, [...args, "app.ts"], honoApp, startedPid);
      assert.doesNotMatch(out, /pounce was started by/);
      assert.match(
        out,
        new RegExp(`Starting pounce ${pkg.version} \\(${rt.name === "bun" ? "bun" : rt.name === "deno" ? "deno" : "node"}`),
      );
    });
  }

  for (const rt of selectedRuntimes()) {
    it(`${rt.name}: a checkout that was not built says in one line to run \`npm run build\``, () => {
      const dir = join(work, `unbuilt-${rt.name}`);
      mkdirSync(join(dir, "bin"), { recursive: true });
      copyFileSync(join(ROOT, "bin/pounce.mjs"), join(dir, "bin/pounce.mjs"));
      copyFileSync(join(ROOT, "package.json"), join(dir, "package.json"));
      const argv = rt.argv(["app.ts"]).map((a) => (a === join(ROOT, "bin/pounce.mjs") ? join(dir, "bin/pounce.mjs") : a));
      let err: { status?: number; stderr?: string } = {};
      try {
        execFileSync(argv[0] as string, argv.slice(1), {
          cwd: dir,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
          timeout: 20_000,
        });
      } catch (e) {
        err = e as typeof err;
      }
      assert.equal(err.status, 1, `exit code (stderr: ${err.stderr})`);
      assert.equal(err.stderr, "pounce: error: dist/ is missing — run `npm run build` in the pounce checkout\n");
    });
  }
});
