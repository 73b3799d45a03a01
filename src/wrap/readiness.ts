/**
 * When a new copy counts as ready, from the signal the operator named: a file it creates or touches,
 * a unix socket it binds anew (a socket file that is not the one there when the copy started, and
 * that accepts), or, without one, a warm-up time. A READY=1 on the copy's NOTIFY_SOCKET is handled
 * by the wrapper (notify.ts) and counts in every mode. Each watcher reports once, then stops.
 */
import { statSync } from "node:fs";
import { connect } from "node:net";
import type { ReadySignal } from "./options.ts";

/** How the copy proved ready, for the log line. */
export type ReadyVia =
  | { kind: "notify" }
  | { kind: "file"; path: string }
  | { kind: "socket"; path: string }
  | { kind: "warmup"; seconds: number };

export function describeVia(via: ReadyVia): string {
  switch (via.kind) {
    case "notify":
      return "READY=1 on its NOTIFY_SOCKET";
    case "file":
      return `ready file ${via.path} touched`;
    case "socket":
      return `new socket ${via.path} accepts`;
    case "warmup":
      return `warm-up of ${via.seconds.toFixed(1)}s elapsed`;
  }
}

const POLL_MS = 25;

/** Start watching for `signal` (READY=1 aside); `onReady` is called at most once. Returns a stop. */
export function watchReady(signal: ReadySignal, startedAt: number, onReady: (via: ReadyVia) => void): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
  const fire = (via: ReadyVia) => {
    if (stopped) return;
    stop();
    onReady(via);
  };
  switch (signal.kind) {
    case "notify":
      break;
    case "warmup":
      timer = setTimeout(() => fire({ kind: "warmup", seconds: signal.seconds }), signal.seconds * 1000);
      break;
    case "file": {
      const poll = () => {
        if (stopped) return;
        if (touchedSince(signal.path, startedAt)) return fire({ kind: "file", path: signal.path });
        timer = setTimeout(poll, POLL_MS);
      };
      poll();
      break;
    }
    case "socket": {
      const before = inode(signal.path);
      let trying = false;
      const poll = () => {
        if (stopped) return;
        const now = inode(signal.path);
        if (now !== undefined && now !== before && !trying) {
          trying = true;
          accepts(signal.path).then((ok) => {
            trying = false;
            if (ok) fire({ kind: "socket", path: signal.path });
          });
        }
        timer = setTimeout(poll, POLL_MS);
      };
      poll();
      break;
    }
  }
  return stop;
}

function touchedSince(path: string, since: number): boolean {
  try {
    const st = statSync(path);
    return Math.max(st.mtimeMs, st.ctimeMs) >= since - 5;
  } catch {
    return false;
  }
}

function inode(path: string): string | undefined {
  try {
    const st = statSync(path);
    return st.isSocket() ? `${st.dev}:${st.ino}` : undefined;
  } catch {
    return undefined;
  }
}

function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 1000);
    s.once("connect", () => {
      clearTimeout(t);
      s.end();
      resolve(true);
    });
    s.once("error", () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}
