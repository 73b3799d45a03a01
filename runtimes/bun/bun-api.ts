/**
 * The slice of Bun's API the Bun adapter uses, typed here so the package builds with Node's types
 * only (no @types/bun). Reached through globalThis: nothing in src/ ever names `Bun`.
 */
export interface BunSocketAddress {
  address: string;
  family: "IPv4" | "IPv6";
  port: number;
}

export interface BunServer {
  readonly port: number;
  readonly pendingRequests: number;
  stop(closeActiveConnections?: boolean): Promise<void>;
  closeIdleConnections?(): void;
  requestIP(request: Request): BunSocketAddress | null;
  timeout?(request: Request, seconds: number): void;
  /** Take the request's connection as a WebSocket; true when done (only with a websocket handler). */
  upgrade?(request: Request, options?: unknown): boolean;
}

/** The slice of Bun's ServerWebSocket pounce touches. */
export interface BunServerWebSocket {
  close(code?: number, reason?: string): void;
}

export interface BunWebSocketHandler {
  open?(ws: BunServerWebSocket): unknown;
  close?(ws: BunServerWebSocket, code: number, reason: string): unknown;
  [handler: string]: unknown;
}

export interface BunServeOptions {
  hostname?: string;
  port?: number;
  reusePort?: boolean;
  /** A unix socket path instead of hostname/port. */
  unix?: string;
  idleTimeout?: number;
  tls?: { cert: string; key: string; passphrase?: string; ca?: string };
  /** Bun's WebSocket handler (open/message/close/drain…), required for `server.upgrade()`. */
  websocket?: BunWebSocketHandler;
  maxRequestBodySize?: number;
  development?: boolean;
  fetch(request: Request, server: BunServer): Response | Promise<Response>;
  error?(err: Error): Response | Promise<Response>;
}

export interface BunSubprocess {
  readonly pid: number;
  /** With stdio "pipe". */
  readonly stdout?: ReadableStream<Uint8Array> | number | null;
  readonly stderr?: ReadableStream<Uint8Array> | number | null;
  send(msg: unknown): void;
  kill(signal?: string | number): void;
  disconnect?(): void;
}

export interface BunSpawnOptions {
  argv0?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  stdio?: Array<"inherit" | "ignore" | "pipe">;
  serialization?: "json" | "advanced";
  ipc?(message: unknown, subprocess: BunSubprocess): void;
  onExit?(subprocess: BunSubprocess, exitCode: number | null, signalCode: string | null, error?: Error): void;
}

export interface BunApi {
  version: string;
  serve(options: BunServeOptions): BunServer;
  spawn(cmd: string[], options?: BunSpawnOptions): BunSubprocess;
}

export const Bun = (globalThis as unknown as { Bun: BunApi }).Bun;
