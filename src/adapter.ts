/**
 * The seam between the runtime-neutral core and a runtime adapter (runtimes/<name>/).
 *
 * Supervisor side: the core's Supervisor decides policy (when to spawn, drain, kill, exit); the
 * adapter only carries it out: spawn a worker process or thread, deliver messages, kill, route signals.
 *
 * Worker side: the core's `runWorker` decides the lifecycle of one worker (load, serve, drain,
 * exit) and the drain's policy (its order, its graces); the adapter's WorkerHost supplies the runtime
 * pieces: import the app, bind an HTTP server around the core's handler, and the exact mechanics of
 * "stop accepting" and "close idle sockets".
 */

import type { ServeContext } from "./app.ts";
import type { Config } from "./config.ts";
import type { BindableTarget, ListenTarget } from "./listen-target.ts";
import type { DrainReason, SupervisorMessage, WorkerMessage, WorkerSpec } from "./protocol.ts";
import type { UnixDatagram } from "./systemd/datagram.ts";
import type { TlsMaterial } from "./tls/material.ts";
import type { ParserLimits, RequestLimits } from "./worker/limits.ts";

export type LifecycleSignal = "SIGHUP" | "SIGUSR1" | "SIGTERM" | "SIGINT" | ScaleSignal;
/** SIGTTIN adds a worker, SIGTTOU removes one (their default action stops the process: handle them). */
export type ScaleSignal = "SIGTTIN" | "SIGTTOU";

/** A listening socket this process holds but never accepts on: `fd` is handed to child processes. */
export interface HeldSocket {
  readonly fd: number;
  /** The bound TCP port (differs from the asked one when that was 0). */
  readonly port?: number;
}

export interface WorkerEvents {
  message(msg: WorkerMessage): void;
  /** The worker is gone (process exit or thread end). Called exactly once, and only after every
   *  message the worker sent before it went has been delivered to `message`. */
  exit(code: number | null, signal: string | null): void;
  /** When present, the worker's stdout and stderr are pipes and every chunk read from them comes
   *  here, all of it before `exit`. When absent, the worker writes to the supervisor's own. */
  output?(stream: "stdout" | "stderr", chunk: Uint8Array): void;
}

export interface WorkerHandle {
  /** OS pid where the worker is a process. */
  readonly pid?: number;
  send(msg: SupervisorMessage): void;
  /** Force-stop now (SIGKILL or terminate). `exit` still follows. */
  kill(): void;
  /** A warm worker (spawned with `mode: "warm"`) becomes the worker `spec` describes: the adapter
   *  answers from `spec` from now on (its TLS material) and sends it `assume`. Absent: warm workers
   *  are never taken, every reload spawns. */
  assume?(spec: WorkerSpec): void;
  /** Whether what the adapter fixed when it spawned this warm worker (uid/gid, command-line flags,
   *  inherited fds) is what `spec` asks for; false: the core kills it and spawns afresh. */
  canAssume?(spec: WorkerSpec): boolean;
}

export interface RuntimeAdapter {
  /** "node", "bun", "deno" — shown in logs. */
  readonly runtime: string;
  /** Whether two generations can listen on one address at once (else reloads stop-then-start). */
  readonly canOverlap: boolean;
  /** Why `canOverlap` is false, for the log line that says so. */
  readonly overlapUnavailableReason?: string;
  /** Whether every worker can serve one unix socket bound once (Node: the cluster primary owns it
   *  and hands connections round-robin). False where each worker binds its own listener (Bun,
   *  Deno: unix sockets have no SO_REUSEPORT), so a socket is served by one worker. */
  readonly unixSocketShared: boolean;
  /** Each worker binds the TCP port itself (reusePort: Bun, Deno), so it needs the right to bind it
   *  (a port below 1024 once --user dropped root); false where the supervisor binds it (Node). */
  readonly workersBindPort?: boolean;
  /** One-time checks before boot (e.g. warnings about kernel settings). */
  prepare?(config: Config, log: { info(msg: string): void; warn(msg: string): void }): void | Promise<void>;
  spawn(spec: WorkerSpec, events: WorkerEvents): WorkerHandle;
  /** `pounce wrap --listen`: bind and listen on `target` without ever accepting in this process (the
   *  wrapped commands accept from it, as fd 3). Rejects with a PounceError when it cannot listen. */
  holdListenSocket?(target: BindableTarget): Promise<HeldSocket>;
  /** Where the supervisor process itself accepts connections and hands them to workers (Node's
   *  cluster primary): stop the kernel completing new connections, hand every one it already
   *  accepted to the workers (which still serve as usual), then close the socket so that later
   *  connections are refused. Resolves once no accepted connection waits for a worker. The core
   *  calls it at shutdown before any worker drains, and bounds the wait. */
  closeSharedListener?(): Promise<void>;
  onSignal(signal: LifecycleSignal, handler: () => void): void;
  setTitle(title: string): void;
  exit(code: number): never;
  /** Unix datagram sockets from the supervisor process (systemd notify); undefined where the
   *  runtime cannot, and then `unixDatagramUnavailableReason` says why. */
  readonly unixDatagram?: UnixDatagram;
  readonly unixDatagramUnavailableReason?: string;
  /** Whether workers can serve on a socket inherited from systemd (LISTEN_FDS); else why not. */
  readonly canServeInheritedSocket?: boolean;
  readonly inheritedSocketUnavailableReason?: string;
  /** CLOCK_MONOTONIC in microseconds (systemd's MONOTONIC_USEC=); undefined where it cannot be read. */
  monotonicUsec?(): bigint;
}

/** What the adapter passes with each request: merged into the app's ServeContext. */
export type RequestExtras = Partial<ServeContext> & {
  remoteAddr: ServeContext["remoteAddr"];
  /** Whether the app took this request's connection as a WebSocket (Bun's `server.upgrade()`):
   *  a handler that then returns nothing is no error. Absent where an upgrade answers a Response. */
  upgraded?: () => boolean;
};

export interface ServeOptions {
  /** Where to listen; `fd`: an inherited socket (systemd socket activation), already this
   *  process's own fd (only where the adapter says `canServeInheritedSocket`). */
  listen: ListenTarget;
  /** Serve HTTPS with these PEM contents (HTTP/2 beside HTTP/1.1 by ALPN where the runtime's server
   *  can); absent: plain HTTP. */
  tls?: TlsMaterial;
  /** The core's request pipeline; `extras` are merged into the ServeContext (runtime specifics). */
  handle(request: Request, extras: RequestExtras): Response | Promise<Response>;
  /** Called when a request arrives and when its response has been completely sent (or abandoned). */
  requestStarted(): void;
  requestFinished(): void;
  /** The app's `websocket` export, handed to the runtime's server as its WebSocket handling: Bun —
   *  the handler object its `serve()` takes; Node — `{ server }`, a `ws` WebSocketServer made with
   *  `{ noServer: true }` (as @hono/node-server's `serve` takes it), or crossws's Node adapter.
   *  Deno needs none. */
  webSocket?: unknown;
  /** Called when a WebSocket on this worker opens and when it has closed (drain accounting). */
  socketOpened(): void;
  socketClosed(): void;
  /** The core's hostile-client limits: the adapter applies the timeouts and the header cap, with
   *  its runtime's knobs or its own connection tracking (runtimes/<rt>/limits.ts). */
  limits: RequestLimits;
}

/**
 * Why a worker drains and the graces the core grants it, handed to the server the moment the
 * drain order arrives (the core's policy; the adapter only carries it out).
 */
export interface DrainOrder {
  reason: DrainReason;
  /** Only where the listener cannot be closed without also closing idle kept-alive sockets (a
   *  reusePort server's stop()/shutdown()): keep accepting this long, answering `Connection: close`,
   *  so kept-alive clients leave on a response instead of a reset. 0 on a shutdown: nobody else
   *  listens on the port, so it must refuse new connections at once. */
  acceptGraceMs: number;
  /** No other listener takes the port's new connections while this worker drains (a shutdown, a
   *  stop-then-start reload): what the kernel has queued on this worker's listener is accepted and
   *  served before it closes, not left to a sibling (on a rolling reload the new generation listens). */
  lastListener: boolean;
  /** Counted from the order: how long a kept-alive socket with no request in flight stays open (a
   *  request may be on its way on it) before `closeIdle()` may close it. */
  idleGraceMs: number;
}

export interface ServerHandle {
  /** The bound TCP port (differs from the requested one when that was 0); 0 for a unix socket. */
  readonly port: number;
  /** The drain order arrived; called at once, before any logging or IPC. From now on every
   *  response, including in-flight ones whose headers are unsent, carries `Connection: close`; the
   *  listener stops now where it can be stopped alone, else after `acceptGraceMs`. Called again when
   *  a shutdown overtakes a reload drain: the shorter graces of the new order apply. */
  drain(order: DrainOrder): void;
  /** Resolves once no new connection reaches this worker (the stop `drain` began). */
  stopAccepting(): Promise<void>;
  /** Close kept-alive connections that have no request in flight, from the end of the idle grace on. */
  closeIdle(): void;
  /** Cut every connection now (deadline reached). */
  closeAll(): void;
  /** Open client connections. */
  connections(): number;
  /** Close every open WebSocket now with this close code and reason (the core says when). */
  closeWebSockets(code: number, reason: string): void;
}

export interface WorkerHost {
  readonly spec: WorkerSpec;
  /** Which limits the runtime's parser enforces itself; the core's pipeline checks the rest. */
  readonly parserLimits: ParserLimits;
  send(msg: WorkerMessage): void;
  onMessage(handler: (msg: SupervisorMessage) => void): void;
  /** The supervisor vanished (killed): the worker drains on its own. Registered before the import,
   *  so a worker that is still starting hears it too. */
  onSupervisorGone(handler: () => void): void;
  /** Uncaught errors outside a request; and lifecycle signals aimed at the worker, which it ignores. */
  onFatal(handler: (err: unknown) => void): void;
  importApp(file: string): Promise<Record<string, unknown>>;
  /** A warm worker, before it reports `warm`: load what importing `file` (the entry as it was when
   *  the warm worker started) will need — the TypeScript loader for a .ts file —, never the app
   *  itself. Absent: nothing beyond the worker's own modules. */
  warmUp?(file: string): Promise<void>;
  serve(options: ServeOptions): Promise<ServerHandle>;
  setTitle(title: string): void;
  /** Write a log line directly (only when the supervisor is gone). */
  writeLine(line: string): void;
  /** Exit once the messages already sent (the last log lines, `idle`, `failed`) have left. */
  exit(code: number): void;
}
