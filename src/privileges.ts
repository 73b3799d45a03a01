/**
 * --user / --group: the app runs as that user in every worker, across reloads; the supervisor keeps
 * root (it must, to start workers as that user again on each reload). What is checked here, before
 * anything starts: the names exist, pounce runs as root (else it cannot switch), and a port the
 * workers could not bind once root is dropped is refused. The adapter only passes uid/gid on at spawn.
 *
 * Every SO_REUSEPORT socket on a port must belong to one user (Linux refuses a second owner), which
 * holds because every worker of every generation runs as the same uid (--user is fixed at start).
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import type { Config } from "./config.ts";
import { PounceError } from "./errors.ts";

export interface RunAs {
  uid: number;
  gid: number;
  /** For messages: "nobody:nogroup". */
  label: string;
}

interface Entry {
  name: string;
  id: number;
  /** passwd: the primary group. */
  gid?: number;
}

function table(file: string, withGid: boolean): Entry[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(":"))
    .map((f) => ({ name: f[0] ?? "", id: Number(f[2]), gid: withGid ? Number(f[3]) : undefined }));
}

function find(entries: Entry[], wanted: string): Entry | undefined {
  if (/^\d+$/.test(wanted)) return entries.find((e) => e.id === Number(wanted)) ?? { name: wanted, id: Number(wanted) };
  return entries.find((e) => e.name === wanted);
}

/** pounce's effective uid, or undefined where it cannot be read (Deno without --allow-sys). */
export function effectiveUid(): number | undefined {
  try {
    return process.geteuid?.();
  } catch {
    return undefined;
  }
}

/** The uid/gid workers run as, or undefined without --user/--group. */
export function resolveRunAs(config: Config, euid: number | undefined = effectiveUid()): RunAs | undefined {
  if (!config.user && !config.group) return undefined;
  if (euid === undefined)
    throw new PounceError(
      "E_BAD_VALUE",
      "--user/--group: pounce cannot read its own uid (on Deno grant --allow-sys, or run with -A)",
    );
  if (euid !== 0)
    throw new PounceError(
      "E_BAD_VALUE",
      `--user/--group need pounce to start as root to switch its workers to another user (it runs as uid ${euid}): start it as root, or drop --user/--group`,
    );
  let uid = euid;
  let gid: number | undefined;
  let label = "root";
  if (config.user) {
    const u = find(table("/etc/passwd", true), config.user);
    if (!u)
      throw new PounceError(
        "E_BAD_VALUE",
        `--user ${config.user}: no such user in /etc/passwd (give a user name or a numeric uid)`,
      );
    uid = u.id;
    gid = u.gid;
    label = u.name;
  }
  if (config.group) {
    const g = find(table("/etc/group", false), config.group);
    if (!g)
      throw new PounceError(
        "E_BAD_VALUE",
        `--group ${config.group}: no such group in /etc/group (give a group name or a numeric gid)`,
      );
    gid = g.id;
    label += `:${g.name}`;
  }
  return { uid, gid: gid ?? 0, label };
}

/** The lowest port an unprivileged process may bind (Linux sysctl; 1024 where it cannot be read). */
export function unprivilegedPortStart(): number {
  try {
    const n = Number(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").trim());
    return Number.isInteger(n) ? n : 1024;
  } catch {
    return 1024;
  }
}

/**
 * Where each worker binds the port itself (Bun, Deno), a privileged port is out of reach once the
 * worker runs as another user: refuse at start, saying what to do. Where the supervisor binds it
 * (Node's cluster primary), the workers never need the privilege.
 */
export function checkPrivilegedPort(runAs: RunAs, port: number, workersBind: boolean, runtime: string): void {
  const start = unprivilegedPortStart();
  if (!workersBind || runAs.uid === 0 || port === 0 || port >= start) return;
  throw new PounceError(
    "E_BAD_VALUE",
    `--port ${port} with --user ${runAs.label}: on ${runtime} each worker binds the port itself, and ports below ${start} need root or CAP_NET_BIND_SERVICE, which the workers no longer have: use a port of ${start} or more behind a proxy (or lower net.ipv4.ip_unprivileged_port_start)`,
  );
}
