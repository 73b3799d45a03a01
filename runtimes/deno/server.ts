/**
 * The HTTP side of a Deno worker: `Deno.serve({ reusePort: true })` around the core pipeline. The
 * drain itself is ../_shared/reuse-port-drain.ts; Deno's parts are: from the drain order on, every
 * response carries `Connection: close` (Deno's HTTP/1.1 server then closes the socket after it); the
 * listener closed alone (../_shared/listener-fd.ts, libc through Deno's FFI: --allow-ffi, Linux);
 * `server.shutdown()` as the runtime's stop, called only when no request is in flight (HTTP/2: see
 * the drain below). Deno cannot cut connections short: at the deadline the process exit does.
 * A request counts as in flight from arrival until Deno reports its response (body included) sent or
 * abandoned (`info.completed`), so a streaming response counts until it ends.
 */

import type { RequestExtras, ServeOptions, ServerHandle } from "../../src/adapter.ts";
import { listenFailure } from "../../src/errors.ts";
import { withConnectionClose } from "../_shared/connection-close.ts";
import { listenerControl } from "../_shared/listener-fd.ts";
import { portSharing } from "../_shared/reuse-port.ts";
import { ReusePortDrain } from "../_shared/reuse-port-drain.ts";
import { Deno, type DenoHttpServer, type DenoServeInfo, type DenoServeOptions } from "./deno-api.ts";
import { denoConnectionLimits, markResponse, type ResponseMarks } from "./limits.ts";
import { denoSocketCalls } from "./socket-calls.ts";
import { denoTls } from "./tls.ts";
import { denoWebSockets } from "./websocket.ts";

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
      let addr: DenoServeInfo["remoteAddr"] | undefined;
      try {
        addr = this.#info.remoteAddr;
      } catch {
        // Deno forgets the address once the response is complete (a waitUntil task asking late).
      }
      // On a unix socket Deno reports the server's own path; the client has no name.
      this.#addr =
        addr?.transport === "unix"
          ? { transport: "unix", path: "" }
          : { transport: "tcp", hostname: addr?.hostname ?? "", port: addr?.port ?? 0 };
    }
    return this.#addr;
  }
}

export function serveDeno(opts: ServeOptions): Promise<ServerHandle> {
  const { handle, requestStarted, requestFinished } = opts;
  let inFlight = 0;
  const live = new Set<DenoServeInfo>();
  const marks: ResponseMarks = { closeWhenAnswered: new Set(), upgraded: new Set() };
  let drainer: ReusePortDrain | undefined;
  const webSockets = denoWebSockets(opts.socketOpened, opts.socketClosed);

  const markClose = (res: Response, info: DenoServeInfo): Response => {
    markResponse(res, info, marks);
    return drainer?.draining ? withConnectionClose(res) : res;
  };

  const onRequest = (request: Request, info: DenoServeInfo): Response | Promise<Response> => {
    requestStarted();
    inFlight++;
    live.add(info);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight--;
      live.delete(info);
      requestFinished();
      drainer?.requestFinished();
    };
    info.completed.then(finish, finish);
    const result = handle(request, new DenoContext(info) as unknown as RequestExtras);
    return result instanceof Promise ? result.then((res) => markClose(res, info)) : markClose(result, info);
  };

  return new Promise<ServerHandle>((resolve, reject) => {
    const target = opts.listen;
    // The supervisor refuses socket activation here first (the adapter says canServeInheritedSocket).
    if (target.kind === "fd") return reject(listenFailure(target, "Deno.serve takes no fd", false));
    const where: DenoServeOptions =
      target.kind === "tcp"
        ? {
            hostname: target.host,
            port: target.port,
            // Linux shares the port between generations; elsewhere reloads stop-then-start, and a
            // clash with another process must stay a clear "port in use".
            reusePort: portSharing(Deno.build.os).available,
          }
        : { path: target.bindPath ?? target.path, transport: "unix" };
    let server: DenoHttpServer;
    try {
      server = Deno.serve(
        {
          ...where,
          ...denoTls(opts.tls, target.kind === "unix"),
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
      return reject(listenFailure(target, e?.message ?? String(err), e?.name === "AddrInUse"));
    }
    const addr = server.addr;
    const port = addr.transport === "unix" ? 0 : addr.port;
    denoConnectionLimits(opts.limits, port, live, marks);
    const control = listenerControl(
      denoSocketCalls(),
      target.kind === "tcp" ? { kind: "tcp", port } : { kind: "unix", path: target.bindPath ?? target.path },
    );

    const drain = new ReusePortDrain({
      closeListenerAlone: (last) => control?.detach(last) === true,
      stop: () => webSockets.allClosed().then(() => server.shutdown()),
      held: () => control?.connections(),
      // Deno's HTTP/2 server closes a connection at once when the client answers the GOAWAY that
      // shutdown() sends with a GOAWAY of its own (node:http2 clients do), its open streams
      // unanswered although the GOAWAY named them processed (probed on Deno 2.9.6). So shutdown()
      // waits for a moment with no request in flight. Streams the client sends before the GOAWAY
      // reaches it are still cut that way; nothing here can help that (bench/tools/deno-h2-goaway.mjs).
      requestsInFlight: () => inFlight,
    });
    drainer = drain;

    resolve({
      port,
      drain: (order) => drain.drain(order),
      stopAccepting: () => drain.stopAccepting(),
      closeIdle: () => drain.closeIdle(),
      // Deno.serve cannot cut connections short; exiting the process does (the core exits next).
      closeAll: () => drain.closeAll(() => {}),
      // `info.completed` settles before Deno has flushed the last bytes; only shutdown() resolving
      // says every response left (the drain reports one at least until then).
      connections: () => drain.connections(inFlight),
      closeWebSockets: webSockets.closeAll,
    });
  });
}
