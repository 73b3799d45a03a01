/**
 * The container examples say what they do: examples/Dockerfile's environment starts pounce, its
 * HEALTHCHECK command passes while serving and fails from the first moment of a SIGTERM (the
 * shutdown delay), and examples/kubernetes.yaml's grace period covers delay + shutdown timeout.
 * (No Docker engine here: the image itself is not built; what runs in it is run for real.)
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { versionedApp, withPounce } from "./_harness.ts";
import { ROOT, selectedRuntimes } from "./_runtimes.ts";

const dockerfile = readFileSync(resolve(ROOT, "examples/Dockerfile"), "utf8").replace(/\\\n\s*/g, " ");

function dockerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of dockerfile.split("\n").filter((l) => l.startsWith("ENV "))) {
    for (const m of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[m[1] as string] = m[2] as string;
  }
  return env;
}

function healthcheck(port: number): number | null {
  const m = /^HEALTHCHECK .*? CMD (\[.*\])$/m.exec(dockerfile);
  assert.ok(m, "examples/Dockerfile has an exec-form HEALTHCHECK");
  const argv = (JSON.parse(m[1] as string) as string[]).map((a) => a.replace(":8000/", `:${port}/`));
  return spawnSync(argv[0] as string, argv.slice(1), { timeout: 5_000 }).status;
}

describe("examples/kubernetes.yaml", () => {
  it("terminationGracePeriodSeconds is above the shutdown delay plus the shutdown timeout", () => {
    const yaml = readFileSync(resolve(ROOT, "examples/kubernetes.yaml"), "utf8");
    const num = (re: RegExp) => Number(re.exec(yaml)?.[1]);
    const grace = num(/terminationGracePeriodSeconds: (\d+)/);
    const delay = num(/POUNCE_SHUTDOWN_DELAY, value: "(\d+)"/);
    const timeout = num(/POUNCE_SHUTDOWN_TIMEOUT, value: "(\d+)"/);
    assert.ok(grace > delay + timeout, `${grace} > ${delay} + ${timeout}`);
    assert.equal(delay, Number(dockerEnv().POUNCE_SHUTDOWN_DELAY), "the Dockerfile and the Deployment agree");
  });
});

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: examples/Dockerfile`, () => {
    it("its environment serves; its HEALTHCHECK passes, then fails as soon as SIGTERM arrives; exit 0", async () => {
      const env: Record<string, string> = { ...dockerEnv(), POUNCE_HOST: "127.0.0.1", POUNCE_SHUTDOWN_DELAY: "1" };
      assert.equal(env.POUNCE_HEALTH_CHECK_PATH, "/health");
      await withPounce(
        rt,
        (dir) => [versionedApp(dir, "v1")],
        { env },
        async (p) => {
          assert.equal(healthcheck(p.port), 0, "HEALTHCHECK passes while serving");
          const mark = p.output.length;
          p.signal("SIGTERM");
          await p.waitFor('"event":"shutdown_delayed"', { from: mark });
          assert.equal(healthcheck(p.port), 1, "HEALTHCHECK fails during the shutdown delay");
          assert.equal((await p.exited()).code, 0);
        },
      );
    });
  });
}
