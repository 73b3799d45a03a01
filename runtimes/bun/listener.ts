/**
 * Stop a Bun.serve listener without touching its connections. `server.stop()` does both at once: it
 * closes the listener and every kept-alive socket with no request in progress — including one a
 * client is reusing right now, whose request then gets a reset (RUNTIMES.md pitfall 1).
 *
 * On Linux pounce finds the listener's fd (/proc/net/tcp* inode → /proc/self/fd) right after
 * listening, and at drain time puts a fresh, unbound socket in its place with dup2(2) (libc through
 * bun:ffi). That closes the listening socket — the kernel refuses new connections, or with
 * net.ipv4.tcp_migrate_req=1 hands queued ones to a sibling listener — and drops it from Bun's event
 * loop, while Bun keeps serving the connections it has; its later `stop()` closes the placeholder.
 * (shutdown(2) on the fd instead would leave the fd in the loop, which then spins: measured 0.8 s of
 * CPU per second, against 5 ms with dup2.) Where any piece is missing, `detachListener` returns false
 * and the caller falls back to `stop()` after an accept grace.
 *
 * The same fd also gets TCP_DEFER_ACCEPT switched off (see listenerControl).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: unknown, len: number): number;
  dup2(oldfd: number, newfd: number): number;
  close(fd: number): number;
}

const LIBC_NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libc.so"];
const AF_INET = 2;
const SOCK_STREAM = 1;
const IPPROTO_TCP = 6;
const TCP_DEFER_ACCEPT = 9;

let libc: Libc | null | undefined;
let toPointer: ((view: ArrayBufferView) => unknown) | undefined;

async function loadLibc(): Promise<Libc | null> {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== "linux") return null;
  let ffi: {
    dlopen(name: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Libc };
    ptr(view: ArrayBufferView): unknown;
  };
  try {
    const specifier = "bun:ffi";
    ffi = await import(specifier);
  } catch {
    return null;
  }
  for (const name of LIBC_NAMES) {
    try {
      libc = ffi.dlopen(name, {
        socket: { args: ["i32", "i32", "i32"], returns: "i32" },
        setsockopt: { args: ["i32", "i32", "i32", "ptr", "i32"], returns: "i32" },
        dup2: { args: ["i32", "i32"], returns: "i32" },
        close: { args: ["i32"], returns: "i32" },
      }).symbols;
      toPointer = ffi.ptr;
      break;
    } catch {
      // not this libc
    }
  }
  return libc;
}

/** Inodes of TCP sockets bound locally to `port`: listening ones, or the others (connections). */
function socketInodes(port: number, listening: boolean): Set<string> {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[1] local address, cols[3] state (0A = LISTEN), cols[9] inode (0 once closed by us)
      if (cols.length > 9 && cols[1]?.endsWith(hexPort) && (cols[3] === "0A") === listening && cols[9] !== "0")
        inodes.add(cols[9] as string);
    }
  }
  return inodes;
}

/** This process's fds whose socket inode is in `inodes`. */
function ownFds(inodes: Set<string>): number[] {
  const fds: number[] = [];
  if (inodes.size === 0) return fds;
  for (const name of readdirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${name}`));
      if (m && inodes.has(m[1] as string)) fds.push(Number(name));
    } catch {
      // closed meanwhile
    }
  }
  return fds;
}

/** This process's listening TCP socket on `port`, as an fd. */
function listenerFd(port: number): number | undefined {
  return ownFds(socketInodes(port, true))[0];
}

/** Client connections this process holds on `port` (Linux /proc; undefined where unreadable). Read
 *  only while draining: it scans the namespace's TCP table and this process's fds. */
export function openConnections(port: number): number | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    return ownFds(socketInodes(port, false)).length;
  } catch {
    return undefined;
  }
}

export interface ListenerControl {
  /** Close the listening socket now, leaving the connections; false if that failed. */
  detach(): boolean;
}

/** Prepare to detach the listener on `port`; null where that is not possible here. */
export async function listenerControl(port: number): Promise<ListenerControl | null> {
  try {
    const c = await loadLibc();
    if (!c) return null;
    const fd = listenerFd(port);
    if (fd === undefined) return null;
    // Bun listens with TCP_DEFER_ACCEPT: a connection whose first bytes have not arrived yet stays
    // in the kernel (SYN-RECV on the server side, established for the client), so closing the
    // listener resets it even though the client connected before the drain. Accept at once instead,
    // so every connection that reached this worker is served.
    if (toPointer) c.setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, toPointer(new Int32Array(1)), 4);
    let done = false;
    return {
      detach() {
        if (done) return true;
        const placeholder = c.socket(AF_INET, SOCK_STREAM, 0);
        if (placeholder < 0) return false;
        const ok = c.dup2(placeholder, fd) === fd;
        c.close(placeholder);
        done = ok;
        return ok;
      },
    };
  } catch {
    return null;
  }
}
