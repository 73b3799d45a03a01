/**
 * `--listen`: the one socket every copy accepts from. The wrapper opens it once (through the
 * runtime adapter, which holds it without ever accepting) and removes a unix socket's file on exit.
 */
import { lstatSync, rmSync } from "node:fs";
import { connect } from "node:net";
import type { HeldSocket, RuntimeAdapter } from "../adapter.ts";
import { errors } from "../errors.ts";
import type { BindableTarget } from "../listen-target.ts";

export function describeTarget(t: BindableTarget, port?: number): string {
  if (t.kind === "unix") return `unix:${t.path}`;
  const host = t.host.includes(":") ? `[${t.host}]` : t.host;
  return `${host}:${port ?? t.port}`;
}

export async function openListen(adapter: RuntimeAdapter, target: BindableTarget): Promise<HeldSocket> {
  if (!adapter.holdListenSocket)
    throw errors.listenOn(describeTarget(target), `${adapter.runtime} cannot hold a listening socket for its children`);
  if (target.kind === "unix") await clearStaleSocket(target.path);
  return adapter.holdListenSocket(target);
}

/** A socket file nobody listens on is left from an earlier run: remove it. Anything else is refused. */
async function clearStaleSocket(path: string): Promise<void> {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  const label = `unix:${path}`;
  if (!st.isSocket()) throw errors.listenOn(label, "the path exists and is not a socket");
  const answers = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
  if (answers) throw errors.listenOn(label, "something already listens there");
  rmSync(path, { force: true });
}

export function removeSocketFile(target: BindableTarget | undefined): void {
  if (target?.kind === "unix") rmSync(target.path, { force: true });
}
