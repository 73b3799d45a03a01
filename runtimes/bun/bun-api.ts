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
}

export interface BunServeOptions {
  hostname?: string;
  port?: number;
  reusePort?: boolean;
  /** A unix socket path instead of hostname/port. */
  unix?: string;
  idleTimeout?: number;
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
