/**
 * Running a test file in child mode inside a fresh network (and mount) namespace, so
 * tcp_migrate_req can be switched on or made read-only without touching the host's setting.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { versionedApp } from "./_files.ts";
import { withPounce } from "./_fixture.ts";
import { startLoad } from "./_http.ts";
import type { Runtime } from "./_runtimes.ts";

export const MIGRATE = "/proc/sys/net/ipv4/tcp_migrate_req";

/** Why namespaced runs are impossible here, or undefined when they are possible. */
export function canUseNetns(): string | undefined {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "needs root (unshare --net)";
  if (!existsSync(MIGRATE)) return "kernel without net.ipv4.tcp_migrate_req (< 5.14)";
  const probe = spawnSync("unshare", ["--net", "--mount", "true"], { encoding: "utf8" });
  if (probe.status !== 0) return `unshare --net --mount failed: ${probe.stderr.trim() || probe.error?.message}`;
  return undefined;
}

/** Run `file` with `envVar=mode` inside a new namespace; resolves with the JSON line it prints. */
export function inNetns(file: string, envVar: string, mode: "on" | "off"): Promise<Record<string, unknown>> {
  // "off" is a container without --sysctl: /proc/sys is read-only, so pounce can only warn.
  const ro = mode === "off" ? "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && " : "";
  const script = `ip link set lo up && ${ro}exec "$0" "$@"`;
  return new Promise((resolve, reject) => {
    const child = spawn("unshare", ["--net", "--mount", "sh", "-c", script, process.execPath, file], {
      env: { ...process.env, [envVar]: mode },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (code !== 0 || !line) return reject(new Error(`netns child (${mode}) exit ${code}:\n${out}\n${err}`));
      resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

/**
 * Child mode of a tcp_migrate_req case (run by inNetns): boot pounce on `rt`, reload it `reloads`
 * times back to back under connection-per-request load, print one JSON line with what was seen.
 */
export async function measureMigrate(rt: Runtime, mode: "on" | "off", reloads: number): Promise<void> {
  const before = readFileSync(MIGRATE, "utf8").trim();
  const report = await withPounce(
    rt,
    (dir) => [versionedApp(dir, "v0"), "--workers", "2"],
    async (p, dir) => {
      const sysctl = readFileSync(MIGRATE, "utf8").trim();
      const loading = startLoad(p.port, { keepAlive: 0, perRequest: 8, durationMs: 60_000, maxRequests: 100_000 });
      await loading.seen(200);
      for (let i = 1; i <= reloads; i++) {
        versionedApp(dir, `v${i}`);
        const mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor("Graceful reload complete", { from: mark, timeoutMs: 10_000 });
      }
      // A tail of connections after the last reload, onto the last generation alone.
      await loading.seen(loading.result.ok + loading.result.failed + 500);
      const res = await loading.stop();
      return {
        mode,
        before,
        sysctl,
        reloads,
        ok: res.ok,
        failed: res.failed,
        errors: res.errors,
        enabledLine: /Set net\.ipv4\.tcp_migrate_req=1/.test(p.output),
        warnedLine: /net\.ipv4\.tcp_migrate_req is 0: .*sysctl -w .*securityContext\.sysctls.*docker run --sysctl/.test(p.output),
      };
    },
  );
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
