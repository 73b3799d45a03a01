/**
 * The HTTP side of a Deno worker: `Deno.serve({ reusePort: true })` around the core pipeline, and
 * the drain mechanics of separate SO_REUSEPORT listeners (DESIGN.md reload step 4, RUNTIMES.md §(b)):
 *  - from markDraining on, every response this worker sends carries `Connection: close` (Deno's
 *    HTTP/1.1 server then closes the socket after it), so kept-alive clients leave on their own;
 *  - stop accepting by stopping the listener alone (listener-stop.ts: shutdown(2) on its fd), then,
 *    once the worker holds no connection or after an idle grace, `server.shutdown()`. Deno's
 *    shutdown() alone would also close at once every connection with no request in progress,
 *    including fresh ones whose first request is on its way (a reset) and kept-alive ones a client is
 *    reusing (pitfall 1);
 *  - where the listener cannot be stopped alone (no --allow-ffi, not Linux): on a reload keep accepting with
 *    `Connection: close` for a grace, then shutdown(); on a shutdown, shutdown() at once (the port
 *    must refuse new connections, nobody else listens on it).
 * A request counts as in flight from arrival until Deno reports its response (body included) sent or
 * abandoned (`info.completed`), so a streaming response counts until it ends.
 */

import type { RequestExtras, ServeOptions, ServerHandle } from "../../src/adapter.ts";
import { errors } from "../../src/errors.ts";
import { withConnectionClose } from "../_shared/connection-close.ts";
import { Deno, type DenoHttpServer, type DenoServeInfo } from "./deno-api.ts";
import { acceptedConnections, findListenerFd, stopListener } from "./listener-stop.ts";

/** Fallback (no way to stop the listener alone): how long a reloading worker keeps accepting,
 *  answering with `Connection: close`, before `shutdown()` closes the listener and idle sockets. */
export const ACCEPT_GRACE_MS = 1_000;
/** After the listener stopped: how long connections with no request in progress are left open
 *  (a request may be on its way on them) before `shutdown()` closes them. */
export const IDLE_GRACE_MS = 1_000;
/** How often a draining worker checks whether it still holds any connection. */
const IDLE_POLL_MS = 50;

/** The adapter's part of the ServeContext. `remoteAddr` is read from Deno only when the app asks:
 *  the lookup (an op call and two allocations) was 3.5 % of a hello-world worker's CPU when eager. */
class DenoContext {
  #info: DenoServeInfo;
  #addr: RequestExtras["remoteAddr"] | undefined;
  constructor(info: DenoServeInfo) {
    this.#info = info;
  }
  get remoteAddr(): RequestExtras["remoteAddr"] {
    if (!this.#addr) {
      let addr: { hostname: string; port: number } | undefined;
      try {
        addr = this.#info.remoteAddr;
      } catch {
        // Deno forgets the address once the response is complete (a waitUntil task asking late).
      }
      this.#addr = { transport: "tcp", hostname: addr?.hostname ?? "", port: addr?.port ?? 0 };
    }
    return this.#addr;
  }
}

export interface DenoServerHandle extends ServerHandle {
  /** Close the listener at once when draining starts (shutdown: nobody else will take the port). */
  closeListenerAtOnce(): void;
  /** A drain order just arrived: start draining and, where the listener can be stopped alone, stop
   *  it now, before the core's drain bookkeeping (logs, IPC) delays it by several milliseconds. */
  drainOrdered(): void;
  /** The listener was stopped with shutdown(2): Deno's accept loop will reject once, expectedly. */
  readonly listenerStopped: boolean;
}

export function serveDeno(opts: ServeOptions): Promise<DenoServerHandle> {
  const { handle, requestStarted, requestFinished } = opts;
  let draining = false;
  let drainStarted = 0;
  let noGrace = false;
  let inFlight = 0;
  let listenerStopped = false;
  let listenerClosed = false;
  let shutdown: Promise<void> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  let cut = false;

  const markClose = (res: Response): Response => (draining ? withConnectionClose(res) : res);

  const onRequest = (request: Request, info: DenoServeInfo): Response | Promise<Response> => {
    requestStarted();
    inFlight++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight--;
      requestFinished();
    };
    info.completed.then(finish, finish);
    const result = handle(request, new DenoContext(info) as unknown as RequestExtras);
    return result instanceof Promise ? result.then(markClose) : markClose(result);
  };

  return new Promise<DenoServerHandle>((resolve, reject) => {
    let server: DenoHttpServer;
    try {
      server = Deno.serve(
        {
          hostname: opts.host,
          port: opts.port,
          // Linux shares the port between generations; elsewhere reloads stop-then-start, and a
          // clash with another process must stay a clear "port in use".
          reusePort: Deno.build.os === "linux",
          onListen() {},
          onError() {
            // The core's pipeline already turns app errors into a 500; this is a last resort.
            return new Response("Internal Server Error", { status: 500 });
          },
        },
        onRequest,
      );
    } catch (err) {
      const e = err as Error;
      if (e?.name === "AddrInUse") return reject(errors.portInUse(opts.host, opts.port));
      return reject(errors.listenFailed(opts.host, opts.port, e?.message ?? String(err)));
    }
    const port = server.addr.port;
    const listenerFd = findListenerFd(port);

    const startShutdown = (): Promise<void> => {
      clearTimeout(idleTimer);
      shutdown ??= server.shutdown().then(
        () => {
          finished = true;
        },
        () => {
          finished = true;
        },
      );
      return shutdown;
    };
    /** Stop accepting: the listener alone where possible, else shutdown() (listener + idle sockets). */
    const closeListener = (): void => {
      if (listenerClosed) return;
      listenerClosed = true;
      listenerStopped = stopListener(listenerFd);
      if (!listenerStopped) void startShutdown();
    };

    function markDraining(): void {
      if (draining) return;
      draining = true;
      drainStarted = Date.now();
      if (noGrace) closeListener();
    }

    resolve({
      port,
      get listenerStopped() {
        return listenerStopped;
      },
      markDraining,
      drainOrdered() {
        markDraining();
        if (listenerFd !== undefined) closeListener();
      },
      closeListenerAtOnce() {
        noGrace = true;
        if (draining) closeListener();
      },
      async stopAccepting() {
        if (!listenerClosed && !noGrace && listenerFd === undefined) {
          // Fallback: shutdown() will also close idle sockets, so first let kept-alive clients see
          // `Connection: close` on a response while new connections are still accepted.
          const wait = Math.max(0, drainStarted + ACCEPT_GRACE_MS - Date.now());
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        closeListener();
        // One turn of the loop lets the close land.
        await new Promise((r) => setTimeout(r, 0));
      },
      closeIdle() {
        if (shutdown || idleTimer) return;
        // shutdown() once this worker holds no connection at all (nothing can be on its way), or
        // when the idle grace is over, whichever comes first.
        const poll = () => {
          idleTimer = undefined;
          if (shutdown) return;
          const held = listenerStopped ? acceptedConnections(port) : undefined;
          if (held === 0 || Date.now() >= drainStarted + IDLE_GRACE_MS) return void startShutdown();
          idleTimer = setTimeout(
            poll,
            held === undefined ? Math.max(0, drainStarted + IDLE_GRACE_MS - Date.now()) : IDLE_POLL_MS,
          );
        };
        poll();
      },
      closeAll() {
        // Deno.serve cannot cut connections short; exiting the process does (the core exits next).
        cut = true;
      },
      // `info.completed` settles before Deno has flushed the last bytes; only shutdown() resolving
      // says every response left. Until then report at least one, so the core lingers before exit.
      connections: () => (finished || cut ? 0 : listenerClosed ? Math.max(1, inFlight) : inFlight),
    });
  });
}
