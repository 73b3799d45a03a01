/**
 * `pounce wrap --listen` on Bun: a listening socket the wrapper holds and never accepts on. Bun's
 * listeners accept as soon as the event loop runs, so the socket is opened with node:net, its fd
 * duplicated through libc's dup(2) and the server closed again in the same synchronous turn: the
 * duplicate stays listening, and no event loop polls it. A unix socket is bound under a temporary
 * name and renamed into place before the close (which unlinks the name it was bound to).
 */
import { renameSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { HeldSocket } from "../../src/adapter.ts";
import { describe, errors } from "../../src/errors.ts";
import type { BindableTarget } from "../../src/listen-target.ts";
import { LIBC_NAMES } from "../_shared/listener-fd.ts";

interface BunFfi {
  dlopen(
    name: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): {
    symbols: Record<string, (...a: unknown[]) => number>;
  };
}

async function libcDup(): Promise<((fd: number) => number) | undefined> {
  let ffi: BunFfi;
  try {
    const specifier = "bun:ffi";
    ffi = await import(specifier);
  } catch {
    return undefined;
  }
  for (const name of LIBC_NAMES) {
    try {
      const dup = ffi.dlopen(name, { dup: { args: ["i32"], returns: "i32" } }).symbols.dup;
      if (dup) return (fd) => dup(fd);
    } catch {
      // not this libc
    }
  }
  return undefined;
}

export async function holdListenSocket(target: BindableTarget): Promise<HeldSocket> {
  const label = target.kind === "unix" ? `unix:${target.path}` : `${target.host}:${target.port}`;
  const dup = await libcDup();
  if (!dup) throw errors.listenOn(label, "needs bun:ffi and libc's dup (Linux)");
  const server: Server = createServer();
  const tmp = target.kind === "unix" ? `${target.path}.${process.pid}.tmp` : "";
  let fd: number;
  let port: number | undefined;
  // Bun reports a listen error (address in use, no such directory) as an 'error' event, later.
  const failed = new Promise<Error>((resolve) => {
    server.once("error", resolve);
    setTimeout(() => resolve(new Error("Bun gave no fd for the listener")), 2_000).unref();
  });
  try {
    if (target.kind === "unix") server.listen(tmp);
    else server.listen({ host: target.host, port: target.port });
    const own = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof own !== "number" || own < 0) throw await failed;
    fd = dup(own);
    if (fd < 0) throw new Error("dup(2) failed");
    if (target.kind === "unix") renameSync(tmp, target.path);
    else port = (server.address() as { port: number }).port;
  } catch (err) {
    if (tmp) rmSync(tmp, { force: true });
    server.close();
    throw errors.listenOn(label, describe(err));
  }
  server.close(); // the same turn: Bun's loop never polled it
  return { fd, port };
}
