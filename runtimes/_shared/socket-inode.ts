/**
 * Find this process's fd for a listening socket by the socket's inode: /proc/net/{tcp,tcp6,unix}
 * list listening sockets with their inodes, /proc/self/fd/N links to `socket:[inode]`. Linux only;
 * for runtimes whose listener objects do not expose their fd.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const TCP_LISTEN = "0A";
const UNIX_LISTENING = "00010000"; // __SO_ACCEPTCON in /proc/net/unix's Flags column

/** Inodes of the listening sockets bound to `port` (TCP) or `path` (unix). */
export function listeningInodes(where: { port: number } | { path: string }): Set<string> {
  const out = new Set<string>();
  if ("port" in where) {
    for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      for (const line of readLines(file).slice(1)) {
        const c = line.trim().split(/\s+/);
        const local = c[1]?.split(":")[1];
        if (local && Number.parseInt(local, 16) === where.port && c[3] === TCP_LISTEN && c[9]) out.add(c[9]);
      }
    }
  } else {
    for (const line of readLines("/proc/net/unix").slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c[3] === UNIX_LISTENING && c[7] === where.path && c[6]) out.add(c[6]);
    }
  }
  return out;
}

/** The fd of this process that is one of `inodes`. */
export function socketFdByInode(inodes: Set<string>): number | undefined {
  if (inodes.size === 0) return undefined;
  for (const name of readdirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${name}`));
      if (m && inodes.has(m[1] as string)) return Number(name);
    } catch {
      // closed meanwhile
    }
  }
  return undefined;
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n");
  } catch {
    return [];
  }
}
