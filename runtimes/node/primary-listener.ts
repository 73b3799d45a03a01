/**
 * The cluster primary's listening sockets, and how a shutdown closes them without resetting what
 * the kernel had already accepted.
 *
 * In round-robin mode the primary accepts every connection and hands it to a worker. Node's
 * RoundRobinHandle closes its socket when the last worker leaves it: the connections still in the
 * kernel's accept queue, and those the primary accepted and still queues for a worker, are reset —
 * after the client sent its request, so it cannot know whether a retry is safe. Here the primary
 * closes the socket itself first, while the workers still take connections:
 *  1. listen(0) again on the live socket: from then on the kernel keeps at most one completed
 *     connection in the accept queue and drops further SYNs (the client retransmits one about a
 *     second later and is refused, which is safe to retry, once the socket is closed);
 *  2. once a turn of the event loop has accepted everything queued under the old backlog, the
 *     socket is closed right after the next accept (the queue is empty at that moment), or after a
 *     quiet QUIET_MS without one;
 *  3. `closeListeners` resolves once every connection the primary accepted has been taken by a
 *     worker (cluster's own `accepted` acks, read from the workers' internal messages).
 * The handles are found as cluster makes them: its RoundRobinHandle listens through
 * `net.createServer`, called from node:internal/cluster/round_robin_handle.
 */
import type { EventEmitter } from "node:events";
import net from "node:net";

/** With no connection arriving for this long, the accept queue is taken to be empty. */
const QUIET_MS = 20;

interface ListenHandle {
  onconnection: (err: number, handle: unknown) => void;
  listen(backlog: number): number;
  close(cb?: () => void): void;
}

interface Listener {
  handle: ListenHandle;
  closed: boolean;
  /** Set while closing: called after each accept. */
  afterAccept?: () => void;
}

const listeners = new Set<Listener>();
/** Connections the primary accepted, and those a worker took (acked as accepted). */
let accepted = 0;
let taken = 0;
const settled = new Set<() => void>();
let watching = false;

/** Find the round-robin listening handles as cluster creates them (call once, in the primary). */
export function watchPrimaryListeners(): void {
  if (watching) return;
  watching = true;
  const create = net.createServer;
  const patched = function (this: unknown, ...args: Parameters<typeof net.createServer>) {
    const server = create.apply(this, args);
    if (new Error().stack?.includes("cluster/round_robin_handle")) {
      // Ours runs before the RoundRobinHandle's own 'listening' listener, which sets the
      // handle's onconnection and detaches it from the server: wrap that a tick later.
      server.once("listening", () => {
        const handle = (server as unknown as { _handle: ListenHandle })._handle;
        process.nextTick(() => adopt(handle));
      });
    }
    return server;
  };
  (net as { createServer: typeof net.createServer }).createServer = patched as typeof net.createServer;
}

function adopt(handle: ListenHandle): void {
  const l: Listener = { handle, closed: false };
  listeners.add(l);
  const distribute = handle.onconnection;
  handle.onconnection = (err, conn) => {
    if (!err && conn) accepted++;
    distribute(err, conn);
    l.afterAccept?.();
  };
  const close = handle.close.bind(handle);
  handle.close = (cb) => {
    if (l.closed) return;
    l.closed = true;
    listeners.delete(l);
    close(cb);
    // The RoundRobinHandle closed it (its last worker left): what it still queued is gone with it.
    if (!l.afterAccept) taken = accepted;
    check();
  };
}

/** Count the connections workers took: cluster's ack of a `newconn` (call for every worker). */
export function countTakenConnections(child: EventEmitter): void {
  child.on("internalMessage", (msg: { cmd?: string; ack?: number; accepted?: boolean }) => {
    if (msg?.cmd === "NODE_CLUSTER" && msg.ack !== undefined && msg.accepted === true) {
      taken++;
      check();
    }
  });
}

function check(): void {
  if (taken < accepted || [...listeners].some((l) => !l.closed)) return;
  for (const done of settled) done();
  settled.clear();
}

/**
 * Close every listening socket of the primary so that new connections are refused, handing what was
 * accepted to the workers first; resolves once every accepted connection was taken by a worker.
 * The caller bounds the wait (a worker that dies holding one never acks it).
 */
export function closeListeners(): Promise<void> {
  for (const l of listeners) if (!l.afterAccept) closeAfterQueue(l);
  return new Promise<void>((resolve) => {
    settled.add(resolve);
    check();
  });
}

function closeAfterQueue(l: Listener): void {
  let quiet: ReturnType<typeof setTimeout> | undefined;
  const closeNow = () => {
    clearTimeout(quiet);
    l.afterAccept = () => {};
    l.handle.close();
  };
  // Until the event loop has polled once more, the queue may still hold what the old backlog let
  // in; an accept then is not known to have emptied it.
  l.afterAccept = () => {};
  l.handle.listen(0);
  setImmediate(() =>
    setImmediate(() => {
      if (l.closed) return;
      l.afterAccept = closeNow;
      quiet = setTimeout(closeNow, QUIET_MS);
    }),
  );
}
