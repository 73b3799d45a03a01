/**
 * The slice of the `Deno` namespace this adapter uses, typed here so the repo's tsc (which has Node's
 * types only) can build runtimes/deno without pulling Deno's lib. Read from globalThis at use, so
 * importing this module on another runtime is harmless.
 */
export type DenoNetAddr = { transport: "tcp" | "udp"; hostname: string; port: number } | { transport: "unix"; path: string };

export interface DenoServeInfo {
  remoteAddr: DenoNetAddr;
  /** Settles once the response, body included, is sent (rejects when it could not be). */
  completed: Promise<void>;
}

export interface DenoHttpServer {
  readonly addr: DenoNetAddr;
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}

export interface DenoServeOptions {
  hostname?: string;
  port?: number;
  reusePort?: boolean;
  /** A unix socket instead of hostname/port. */
  path?: string;
  transport?: "tcp" | "unix";
  /** PEM: serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN). */
  cert?: string;
  key?: string;
  onListen?(addr: DenoNetAddr): void;
  onError?(err: unknown): Response | Promise<Response>;
}

export type DenoPermissionName = "read" | "write" | "net" | "env" | "run" | "sys" | "ffi" | "import";
export type DenoPermissionDescriptor = { name: DenoPermissionName; command?: string; path?: string; variable?: string };

export interface DenoApi {
  readonly pid: number;
  readonly args: string[];
  readonly build: { os: string };
  readonly mainModule: string;
  readonly errors: { AddrInUse: new () => Error; NotCapable?: new () => Error; PermissionDenied?: new () => Error };
  readonly stderr: { writeSync(p: Uint8Array): number };
  readonly permissions: { querySync(d: DenoPermissionDescriptor): { state: "granted" | "denied" | "prompt" } };
  execPath(): string;
  cwd(): string;
  exit(code?: number): never;
  addSignalListener(signal: string, handler: () => void): void;
  serve(options: DenoServeOptions, handler: (req: Request, info: DenoServeInfo) => Response | Promise<Response>): DenoHttpServer;
  /** Writable: the Deno adapter wraps it to count the sockets the app upgrades (websocket.ts). */
  upgradeWebSocket(request: Request, options?: unknown): { socket: WebSocket; response: Response };
  readTextFileSync(path: string): string;
  writeTextFileSync(path: string, data: string): void;
  openSync(path: string, options: { read?: boolean; write?: boolean }): DenoFile;
}

export interface DenoFile {
  seekSync(offset: number | bigint, whence: number): number | bigint;
  writeSync(p: Uint8Array): number;
  close(): void;
}

export const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

/** Write all of `bytes` (writeSync may write only part). */
export function writeAllSync(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += w.writeSync(bytes.subarray(off));
}
