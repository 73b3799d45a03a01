/**
 * `--uds PATH`: the unix socket's life, decided here and carried out by the workers' servers.
 *
 * Workers never bind PATH itself. Each binding goes to a name inside a private directory made next
 * to PATH (mkdtemp, mode 0700, so nobody else can plant or swap anything in it); once the worker
 * serves — and, for a new generation, once the whole generation is ready — the supervisor sets the
 * socket's mode and rename(2)s it over PATH. rename never follows a symlink at PATH (it replaces
 * the link itself), and bind(2) never follows one either. A connect() after the rename reaches the
 * new socket; the old generation keeps its listener, now nameless, and drains what it has.
 *
 * Where every worker serves one socket (Node: the cluster primary binds it once and hands
 * connections round-robin), all generations bind the same private name: a new generation joins
 * the socket already published, exactly as with a TCP port, and a rename happens only when the
 * socket had to be bound again (at boot, or after every worker was gone). Where each worker binds
 * its own listener (Bun, Deno), each gets its own name and one worker serves the socket.
 *
 * On a shutdown PATH is unlinked as the drain starts (after --shutdown-delay, if one is set) — new
 * connections fail at once, as a closed TCP port refuses them — but only while it is still the socket this supervisor published (same inode);
 * the private directory goes on exit.
 */
import { chmodSync, lstatSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { basename, dirname, join, resolve } from "node:path";
import type { RuntimeAdapter } from "../adapter.ts";
import type { Config } from "../config.ts";
import { describe, errors, type PounceError } from "../errors.ts";
import type { ListenTarget } from "../listen-target.ts";
import type { Note, Observer } from "./notes.ts";

/** sun_path holds 108 bytes, the terminating NUL included. */
const SUN_PATH_MAX = 107;
/** What the private name adds to the directory: `/.pounce-XXXXXX/` and a worker id. */
const PRIVATE_NAME_ROOM = 24;

/** --uds always sets the socket's mode. */
type UnixTarget = Extract<ListenTarget, { kind: "unix" }> & { mode: number };

/** The target for `--uds` (absolute path), or refuse in one line what cannot work. */
export function unixTarget(
  config: Config,
  cwd: string,
  adapter: Pick<RuntimeAdapter, "runtime" | "unixSocketShared">,
): UnixTarget {
  const path = resolve(cwd, config.uds);
  if (config.uds.endsWith("/")) throw errors.badValue("--uds", "must name a socket file, not a directory", config.uds);
  if (Buffer.byteLength(dirname(path)) + PRIVATE_NAME_ROOM > SUN_PATH_MAX || Buffer.byteLength(path) > SUN_PATH_MAX)
    throw errors.badValue(
      "--uds",
      `is too long for a unix socket (the kernel takes ${SUN_PATH_MAX} bytes; pounce binds a private name in the same directory first, so the directory may have at most ${SUN_PATH_MAX - PRIVATE_NAME_ROOM})`,
      config.uds,
    );
  if (!adapter.unixSocketShared && config.workers > 1)
    throw errors.udsWorkers(config.workers, adapter.runtime.split(" ")[0] ?? "");
  return { kind: "unix", path, mode: config.udsMode };
}

/** At boot: refuse PATH when something listens on it or it is not a socket (a symlink is replaced,
 *  never followed). A socket nobody listens on (left by a killed server) is replaced. */
export async function unixSocketInUse(path: string): Promise<PounceError | undefined> {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  if (st.isSymbolicLink()) return undefined;
  if (!st.isSocket()) return errors.notASocket(path, st.isDirectory() ? "a directory" : "a file that is not a socket");
  const live = await new Promise<boolean>((done) => {
    const c = connect({ path });
    c.once("connect", () => {
      c.destroy();
      done(true);
    });
    c.once("error", () => done(false));
  });
  return live ? errors.socketInUse(path) : undefined;
}

export class UnixSocket {
  readonly target: UnixTarget;
  readonly #shared: boolean;
  readonly #dir: string;
  /** Private names handed out and not yet published: worker id → name, generation. */
  readonly #issued = new Map<number, { bindPath: string; generation: number }>();
  /** The inode this supervisor last renamed over PATH. */
  #published: { dev: number; ino: number } | undefined;
  #note: (n: Note) => void = () => {};

  /** Makes the private directory next to PATH (fails with one line when that directory is missing). */
  constructor(target: UnixTarget, shared: boolean) {
    this.target = target;
    this.#shared = shared;
    try {
      this.#dir = mkdtempSync(join(dirname(target.path), ".pounce-"));
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
      throw errors.socketFailed(target.path, missing ? `directory ${dirname(target.path)} does not exist` : describe(err));
    }
  }

  /** The target a worker gets in its spec: the private name it binds. */
  bindTarget(worker: number, generation: number): UnixTarget {
    const bindPath = join(this.#dir, this.#shared ? "s" : String(worker));
    this.#issued.set(worker, { bindPath, generation });
    return { ...this.target, bindPath };
  }

  /** Publish what a generation bound (it just became the one that serves). */
  publishGeneration(generation: number): void {
    for (const [worker, issued] of this.#issued) {
      if (issued.generation === generation) this.#publish(worker);
      else if (issued.generation < generation) this.#issued.delete(worker);
    }
  }

  /** Publish what one worker bound (a replacement in the serving generation). */
  publishWorker(worker: number): void {
    if (this.#issued.has(worker)) this.#publish(worker);
  }

  #publish(worker: number): void {
    const issued = this.#issued.get(worker);
    if (!issued) return;
    if (!this.#shared) this.#issued.delete(worker);
    const from = issued.bindPath;
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(from);
    } catch {
      return; // nothing bound there now: this worker joined the socket already published
    }
    if (!st.isSocket()) return;
    try {
      chmodSync(from, this.target.mode);
      renameSync(from, this.target.path);
      this.#published = { dev: st.dev, ino: st.ino };
    } catch (err) {
      this.#note({ event: "unix_socket_error", path: this.target.path, message: describe(err) });
    }
  }

  /** Unlink PATH if it is still the socket this supervisor published. */
  unpublish(): void {
    const ours = this.#published;
    this.#published = undefined;
    if (!ours) return;
    try {
      const st = lstatSync(this.target.path);
      if (st.isSocket() && st.dev === ours.dev && st.ino === ours.ino) rmSync(this.target.path);
    } catch {
      // already gone, or replaced by someone else: leave it
    }
  }

  /** The private directory and any name still in it. */
  removePrivate(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** For messages and tests: the private directory's name. */
  get privateDir(): string {
    return basename(this.#dir);
  }

  /** Publication follows the supervisor's transitions; registered before the log and pid file, so
   *  PATH answers by the time "Ready to accept connections" is read. */
  observer(note: (n: Note) => void): Observer {
    this.#note = note;
    return (n) => {
      switch (n.event) {
        case "ready":
        case "reimported":
          this.publishGeneration(n.generation);
          return;
        case "worker_replacement_ready":
        case "worker_added":
          this.publishWorker(n.worker);
          return;
        // When the drain starts (at once, or after --shutdown-delay, during which serving goes on).
        case "shutting_down":
          this.unpublish();
          return;
        case "exiting":
          this.unpublish();
          this.removePrivate();
          return;
        default:
          return;
      }
    };
  }
}
