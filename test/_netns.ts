/**
 * Running a test file in child mode inside a fresh network (and mount) namespace, so
 * tcp_migrate_req can be switched on or made read-only without touching the host's setting.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

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
