/**
 * The HTTP side of a Deno worker: `Deno.serve({ reusePort: true })` around the core pipeline, and
 * the drain mechanics of separate SO_REUSEPORT listeners (DESIGN.md reload step 4, RUNTIMES.md §(b)):
 *  - from markDraining on, every response this worker sends carries `Connection: close` (Deno's
 *    HTTP/1.1 server then closes the socket after it), so kept-alive clients leave on their own;
 *  - on a reload, keep accepting for a short grace (the new generation's listeners already share the
 *    port, so this is no extra traffic), then `shutdown()`: the listener closes and the idle sockets
 *    that remain are closed by Deno. Closing at once would reset requests already on their way in on
 *    idle kept-alive sockets (pitfall 1). On a shutdown there is no other listener, so new connections
 *    must be refused: the listener closes at once.
 * A request counts as in flight from arrival until Deno reports its response (body included) sent or
 * abandoned (`info.completed`), so a streaming response counts until it ends.
 */
import type { RequestExtras, ServeOptions, ServerHandle } from "../../src/adapter.ts";
import { errors } from "../../src/errors.ts";
import { Deno, type DenoHttpServer, type DenoServeInfo } from "./deno-api.ts";

/** How long a reloading worker keeps accepting (answering with `Connection: close`) before closing. */
export const ACCEPT_GRACE_MS = 1_000;

export interface DenoServerHandle extends ServerHandle {
  /** Close the listener at once when draining starts (shutdown: nobody else will take the port). */
  closeListenerAtOnce(): void;
}

export function serveDeno(opts: ServeOptions): Promise<DenoServerHandle> {
  const { handle, requestStarted, requestFinished } = opts;
  let draining = false;
  let drainStarted = 0;
  let noGrace = false;
  let inFlight = 0;
  let shutdown: Promise<void> | undefined;
  let finished = false;
  let cut = false;

  const markClose = (res: Response): Response => {
    if (!draining) return res;
    try {
      res.headers.set("connection", "close");
      return res;
    } catch {
      // Immutable headers (Response.redirect, a proxied fetch response): copy them.
      const headers = new Headers(res.headers);
      headers.set("connection", "close");
      return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
    }
  };

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
    const addr = info.remoteAddr;
    const extras: RequestExtras = {
      remoteAddr: { transport: "tcp", hostname: addr.hostname, port: addr.port },
    };
    const result = handle(request, extras);
    return result instanceof Promise ? result.then(markClose) : markClose(result);
  };

  const startShutdown = (server: DenoHttpServer): Promise<void> => {
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

  return new Promise<DenoServerHandle>((resolve, reject) => {
    let server: DenoHttpServer;
    try {
      server = Deno.serve(
        {
          hostname: opts.host,
          port: opts.port,
          reusePort: true,
          onListen() {},
          onError(err) {
            // The core's pipeline already turns app errors into a 500; this is a last resort.
            void err;
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
    resolve({
      port: server.addr.port,
      markDraining() {
        if (draining) return;
        draining = true;
        drainStarted = Date.now();
        if (noGrace) void startShutdown(server);
      },
      closeListenerAtOnce() {
        noGrace = true;
        if (draining) void startShutdown(server);
      },
      async stopAccepting() {
        const wait = noGrace ? 0 : Math.max(0, drainStarted + ACCEPT_GRACE_MS - Date.now());
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        void startShutdown(server);
        // shutdown() closes the listener synchronously-ish; its promise waits for in-flight work too,
        // which the core awaits separately. One turn of the loop lets the close land.
        await new Promise((r) => setTimeout(r, 0));
      },
      closeIdle() {
        // Deno's shutdown() closes idle kept-alive sockets itself once the listener is closed.
      },
      closeAll() {
        // Deno.serve cannot cut connections short; exiting the process does (the core exits next).
        cut = true;
      },
      // `info.completed` settles before Deno has flushed the last bytes; only shutdown() resolving
      // says every response left. Until then report at least one, so the core lingers before exit.
      connections: () => (finished || cut ? 0 : shutdown ? Math.max(1, inFlight) : inFlight),
    });
  });
}
