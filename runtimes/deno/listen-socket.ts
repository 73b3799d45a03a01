/**
 * `pounce wrap --listen` on Deno: a listening socket the wrapper holds and never accepts on.
 * `Deno.listen` accepts only when asked (`accept()`), so its listener is that socket as it is; only
 * its fd has to be found, by the socket's inode (/proc/net/* lists it, /proc/self/fd links to it).
 */
import type { HeldSocket } from "../../src/adapter.ts";
import { describe, errors } from "../../src/errors.ts";
import type { BindableTarget } from "../../src/listen-target.ts";
import { listeningInodes, socketFdByInode } from "../_shared/socket-inode.ts";

interface DenoListener {
  readonly addr: { port?: number; path?: string };
}
type DenoListen = (o: { hostname: string; port: number } | { transport: "unix"; path: string }) => DenoListener;

/** Held for the process's life (never accepted on, never closed). */
const held: DenoListener[] = [];

export async function holdListenSocket(target: BindableTarget): Promise<HeldSocket> {
  const label = target.kind === "unix" ? `unix:${target.path}` : `${target.host}:${target.port}`;
  const listen = (globalThis as unknown as { Deno: { listen: DenoListen } }).Deno.listen;
  let listener: DenoListener;
  try {
    listener = listen(
      target.kind === "unix" ? { transport: "unix", path: target.path } : { hostname: target.host, port: target.port },
    );
  } catch (err) {
    throw errors.listenOn(label, describe(err));
  }
  held.push(listener);
  const port = target.kind === "tcp" ? listener.addr.port : undefined;
  const fd = socketFdByInode(listeningInodes(target.kind === "unix" ? { path: target.path } : { port: port as number }));
  if (fd === undefined) throw errors.listenOn(label, "cannot find the listener's fd in /proc/self/fd (Linux only)");
  return { fd, port };
}
