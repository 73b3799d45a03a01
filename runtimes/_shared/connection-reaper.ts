/**
 * The header and keep-alive timeouts where the runtime's server has no knob for them (Deno.serve has
 * none; Bun.serve's fixed ~10 s for a request head cannot be shortened): the worker looks at its own
 * connections and shuts down the ones that sit too long without a complete request head. Linux only,
 * through the runtime's FFI (the same SocketCalls as listener-fd.ts).
 *
 * Every `tick`, synchronously (the runtime's event loop cannot close or accept in between, so an fd
 * number cannot change hands under it): the TCP sockets of this process connected on the server's
 * port are listed (/proc/self/fd, getsockname), and for each the kernel's TCP_INFO says how many data
 * segments went out (none: no response yet) and how long ago data last went out and came in. A
 * connection with a request in flight (its peer port is one the adapter reports busy) is never
 * touched. Any other one is shut down (shutdown(2), so the runtime sees the end of the stream and
 * closes it itself) when
 *  - it has had no response yet and is older than the header timeout (a silent client, or a head
 *    still incomplete: slowloris), age counted from the tick that first saw it;
 *  - it has had a response, nothing came in after it, and it has been idle for the keep-alive
 *    timeout;
 *  - it has had a response, some bytes of a next head came in after it, and the header timeout has
 *    passed since the response;
 *  - it was answered with a refusal the runtime would not close on its own (`closeWhenAnswered`).
 * A connection upgraded away from HTTP (a WebSocket, `upgraded`) is left alone.
 * What this cannot see: bytes the runtime has read but not parsed. A client that sends a complete
 * head is served however slowly it sent it, if it finished within the header timeout.
 */
import { readdirSync } from "node:fs";
import type { SocketCalls } from "./listener-fd.ts";

export interface ReaperOptions {
  calls: SocketCalls;
  port: number;
  headerTimeoutMs: number;
  /** null: the runtime closes idle kept-alive connections itself. */
  keepAliveTimeoutMs: number | null;
  /** Peer ports of connections with a request in flight (asked only when one is a candidate). */
  busyPeers(): Set<number>;
  /** Peer ports of connections to close as soon as their answer has gone out (a refusal whose
   *  runtime would otherwise keep the connection to read the unread body); emptied as they close. */
  closeWhenAnswered?: Set<number>;
  /** Peer ports of connections that are no longer HTTP/1.1 request-response (a WebSocket after its
   *  101): never touched; dropped from the set once their connection is gone. */
  upgraded?: Set<number>;
}

export interface Reaper {
  /** Connections shut down so far (for the debug log and tests). */
  readonly reaped: number;
  stop(): void;
}

const AF_INET = 2;
const AF_INET6 = 10;
const SOL_TCP = 6;
const TCP_INFO = 11;
const SHUT_RDWR = 2;
/** struct tcp_info (linux/tcp.h), as 32-bit words: tcpi_last_data_sent at byte 44, last_data_recv at
 *  52, data_segs_out at 156 (Linux 4.6+). */
const LAST_DATA_SENT = 11;
const LAST_DATA_RECV = 13;
const DATA_SEGS_OUT = 39;
const INFO_WORDS = 64;

export function startReaper(o: ReaperOptions): Reaper {
  const c = o.calls;
  const addr = new Uint8Array(128);
  const len = new Uint32Array(1);
  const info = new Int32Array(INFO_WORDS);
  const infoLen = new Uint32Array(1);
  /** "fd/peerPort" → when a tick first saw it. */
  let seen = new Map<string, number>();
  let reaped = 0;
  const shortest = Math.min(o.headerTimeoutMs, o.keepAliveTimeoutMs ?? o.headerTimeoutMs);
  const tickMs = Math.max(50, Math.min(1_000, Math.floor(shortest / 8)));

  const portOf = (get: typeof c.getsockname, fd: number): number => {
    len[0] = addr.length;
    if (get(fd, addr, len) !== 0) return -1;
    const family = (addr[0] as number) | ((addr[1] as number) << 8);
    if (family !== AF_INET && family !== AF_INET6) return -1;
    return ((addr[2] as number) << 8) | (addr[3] as number);
  };

  const tick = () => {
    let fds: string[];
    try {
      fds = readdirSync("/proc/self/fd");
    } catch {
      return;
    }
    const now = Date.now();
    const next = new Map<string, number>();
    let busy: Set<number> | undefined;
    const peers = new Set<number>();
    for (const name of fds) {
      const fd = Number(name);
      if (fd <= 2 || portOf(c.getsockname, fd) !== o.port) continue;
      const peer = portOf(c.getpeername, fd);
      if (peer < 0) continue; // the listener (no peer) or not connected
      peers.add(peer);
      if (o.upgraded?.has(peer)) continue;
      const key = `${fd}/${peer}`;
      const first = seen.get(key) ?? now;
      next.set(key, first);
      infoLen[0] = INFO_WORDS * 4;
      if (c.getsockopt(fd, SOL_TCP, TCP_INFO, info, infoLen) !== 0) continue;
      const answered = (info[DATA_SEGS_OUT] as number) > 0;
      const sinceSent = info[LAST_DATA_SENT] as number;
      const sinceRecv = info[LAST_DATA_RECV] as number;
      let expired: boolean;
      if (answered && o.closeWhenAnswered?.has(peer)) expired = true;
      else if (!answered) expired = now - first >= o.headerTimeoutMs;
      else if (sinceRecv >= sinceSent) expired = o.keepAliveTimeoutMs !== null && sinceSent >= o.keepAliveTimeoutMs;
      else expired = sinceSent >= o.headerTimeoutMs;
      if (!expired) continue;
      busy ??= o.busyPeers();
      if (busy.has(peer)) continue;
      if (c.shutdown(fd, SHUT_RDWR) === 0) {
        reaped++;
        o.closeWhenAnswered?.delete(peer);
        next.delete(key);
      }
    }
    seen = next;
    if (o.upgraded) for (const peer of o.upgraded) if (!peers.has(peer)) o.upgraded.delete(peer);
  };

  const timer = setInterval(tick, tickMs);
  (timer as { unref?: () => void }).unref?.();
  return {
    get reaped() {
      return reaped;
    },
    stop: () => clearInterval(timer),
  };
}
