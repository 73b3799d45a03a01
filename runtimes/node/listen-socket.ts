/**
 * `pounce wrap --listen` on Node: a listening socket the wrapper holds and never accepts on. Any
 * `net.Server` would accept in this process (libuv polls a listener from its first listen), so the
 * socket is only bound here, through Node's own TCP/Pipe handles, and a one-shot helper process
 * (this same node, given the socket as fd 3) calls listen(2) on it and exits before its event loop
 * ever polls. From then on the socket listens for as long as any process holds it.
 */
import { spawn } from "node:child_process";
import { getSystemErrorName } from "node:util";
import type { HeldSocket } from "../../src/adapter.ts";
import { errors } from "../../src/errors.ts";
import type { BindableTarget } from "../../src/listen-target.ts";

interface BoundHandle {
  readonly fd: number;
  /** TCP: (host, port); Pipe: (path). */
  bind(hostOrPath: string, port?: number): number;
  bind6?(host: string, port: number, flags: number): number;
  getsockname?(out: { port?: number }): number;
}
type HandleClass = new (type: number) => BoundHandle;
interface Bindings {
  tcp: { TCP: HandleClass; constants: { SERVER: number } };
  pipe: { Pipe: HandleClass; constants: { SERVER: number } };
}

/** Held for the process's life: a handle that is collected would close its fd. */
const held: BoundHandle[] = [];

function bindings(): Bindings {
  const binding = (process as unknown as { binding(name: string): unknown }).binding;
  return {
    tcp: binding("tcp_wrap") as Bindings["tcp"],
    pipe: binding("pipe_wrap") as Bindings["pipe"],
  };
}

export async function holdListenSocket(target: BindableTarget): Promise<HeldSocket> {
  const b = bindings();
  const label = target.kind === "unix" ? `unix:${target.path}` : `${target.host}:${target.port}`;
  let handle: BoundHandle;
  let err: number;
  if (target.kind === "unix") {
    handle = new b.pipe.Pipe(b.pipe.constants.SERVER);
    err = handle.bind(target.path);
  } else {
    handle = new b.tcp.TCP(b.tcp.constants.SERVER);
    err = target.host.includes(":") ? (handle.bind6?.(target.host, target.port, 0) ?? -1) : handle.bind(target.host, target.port);
  }
  if (err !== 0) throw errors.listenOn(label, describeUv(err));
  let port: number | undefined;
  if (target.kind === "tcp") {
    // libuv defers a bind's EADDRINUSE to listen: an unbound socket reports port 0 here (and
    // listen(2) would bind it to a random port).
    const out: { port?: number } = {};
    handle.getsockname?.(out);
    port = out.port;
    if (!port || (target.port !== 0 && port !== target.port)) throw errors.listenOn(label, "EADDRINUSE (address already in use)");
  }
  held.push(handle);
  await listenInHelper(handle.fd, label);
  return { fd: handle.fd, port };
}

function describeUv(err: number): string {
  try {
    return getSystemErrorName(err);
  } catch {
    return `error ${err}`;
  }
}

/** listen(2) on `fd` in a child that exits from the listen callback, before it could accept. */
function listenInHelper(fd: number, label: string): Promise<void> {
  const code =
    "require('net').createServer().listen({ fd: 3 }, () => process.exit(0)).on('error', (e) => { process.stderr.write(String(e.message)); process.exit(1); })";
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "ignore", "pipe", fd] });
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    child.on("error", (e) => reject(errors.listenOn(label, e.message)));
    child.on("exit", (status) =>
      status === 0 ? resolve() : reject(errors.listenOn(label, stderr.trim() || `listen helper exited with ${status}`)),
    );
  });
}
