/**
 * `net.ipv4.tcp_migrate_req` for adapters whose generations each own a SO_REUSEPORT listener (Bun,
 * Deno). When such a listener closes, connections still in its accept queue are reset, unless this
 * Linux (≥ 5.14) setting lets the kernel hand them to a sibling listener (RUNTIMES.md pitfall 3).
 * pounce turns it on where it may (root, writable /proc/sys) and says so; otherwise it warns once
 * with the remedy. Runtime-neutral: node:fs only.
 */
import { readFileSync, writeFileSync } from "node:fs";

export const TCP_MIGRATE_REQ = "/proc/sys/net/ipv4/tcp_migrate_req";

export type MigrateReqState = "on" | "enabled" | "off" | "absent";

/**
 * Ensure the sysctl is 1 where pounce may set it. `info` gets the line when pounce turned it on;
 * `warn` gets the remedy when it stays off. Returns what it found or did.
 */
export function ensureTcpMigrateReq(
  info: (msg: string) => void,
  warn: (msg: string) => void,
  path: string = TCP_MIGRATE_REQ,
): MigrateReqState {
  let value: string;
  try {
    value = readFileSync(path, "utf8").trim();
  } catch (err) {
    if (process.platform === "linux") {
      // ENOENT: a kernel before 5.14. Anything else says why it could not be read (on Deno without
      // -A: "Requires all access to …").
      const code = (err as { code?: unknown })?.code;
      const why =
        code === "ENOENT" ? "Linux < 5.14" : `cannot read ${path}: ${String((err as Error)?.message ?? err).split("\n")[0]}`;
      warn(
        `net.ipv4.tcp_migrate_req is not available (${why}): each reload may reset a few connections that were queued on an old worker's listener`,
      );
    }
    return "absent";
  }
  if (value === "1") return "on";
  try {
    writeFileSync(path, "1");
    if (readFileSync(path, "utf8").trim() === "1") {
      info("Set net.ipv4.tcp_migrate_req=1 so connections queued on a closing worker's listener move to a live one");
      return "enabled";
    }
  } catch {
    // not root, or /proc/sys read-only (a container): fall through to the warning
  }
  warn(
    "net.ipv4.tcp_migrate_req is 0: each reload may reset a few connections queued on an old worker's listener. " +
      "Enable it: `sysctl -w net.ipv4.tcp_migrate_req=1` (persist in /etc/sysctl.d/), " +
      'Kubernetes `securityContext.sysctls: [{name: net.ipv4.tcp_migrate_req, value: "1"}]`, ' +
      "or `docker run --sysctl net.ipv4.tcp_migrate_req=1`",
  );
  return "off";
}
