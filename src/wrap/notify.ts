/**
 * The NOTIFY_SOCKET the wrapper gives its copies (systemd's notify protocol, which gunicorn and
 * `pounce serve` speak): one unix datagram socket for the wrapper's life, bound before the first
 * copy starts. At most one copy is starting at a time, so a `READY=1` belongs to it; the kernel's
 * sender pid, where the runtime reports it, only rules out a copy that is not starting (a late
 * message from one that was given up on). Receiving datagrams is the runtime adapter's
 * `unixDatagram` (not every runtime has it: then `--ready notify` is refused, and copies get no
 * NOTIFY_SOCKET).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RuntimeAdapter } from "../adapter.ts";
import { describe, PounceError } from "../errors.ts";

export interface NotifySocket {
  readonly path: string;
  /** Unbind and remove the socket's directory (on exit). */
  close(): void;
}

/** Bind the copies' NOTIFY_SOCKET; undefined where the runtime cannot receive datagrams and none is required. */
export async function openNotifySocket(
  adapter: RuntimeAdapter,
  required: boolean,
  onReady: (senderPid: number | undefined) => void,
): Promise<NotifySocket | undefined> {
  const receiver = adapter.unixDatagram;
  const refuse = (why: string) => new PounceError("E_BAD_VALUE", `--ready notify needs to receive unix datagrams: ${why}`);
  if (!receiver) {
    if (required) throw refuse(adapter.unixDatagramUnavailableReason ?? `pounce on ${adapter.runtime} cannot`);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "pounce-wrap-"));
  const path = join(dir, "notify.sock");
  let handle: { close(): Promise<void> };
  try {
    handle = await receiver.listen(path, (text, sender) => {
      if (text.split("\n").some((line) => line.trim() === "READY=1")) onReady(sender.pid);
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (required) throw refuse(err instanceof Error ? err.message : describe(err));
    return undefined;
  }
  return {
    path,
    close() {
      void handle.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
