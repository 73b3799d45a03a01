/**
 * Node has no unix datagram socket (node:dgram is UDP only, node:net is stream only) and no FFI, so
 * the supervisor sends through systemd-notify(1), one short-lived child per message, with
 * `--pid=<supervisor pid>`: as root that child may (and does) put the supervisor's pid in the
 * datagram's credentials, so systemd's default NotifyAccess=main accepts it; as any other user the
 * kernel refuses that, systemd-notify sends with its own pid, and the unit needs NotifyAccess=all
 * (README, "systemd"). systemd-notify waits for systemd to have read the message (BARRIER=1) before
 * it exits, so systemd can still tell which unit the sender belonged to. Listening is not possible.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { DatagramSupport, UnixDatagram } from "../../src/systemd/datagram.ts";

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

function viaSystemdNotify(exe: string): UnixDatagram {
  return {
    sender: "helper",
    send(path, message) {
      return new Promise((resolve, reject) => {
        const lines = message.split("\n").filter(Boolean);
        const child = spawn(exe, [`--pid=${process.pid}`, ...lines], {
          env: { ...process.env, NOTIFY_SOCKET: path },
          stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
        });
        child.on("error", (err) => reject(new Error(`cannot run ${exe}: ${err.message}`)));
        child.on("close", (code) =>
          code === 0 ? resolve() : reject(new Error(`${exe} failed (exit code ${code}): ${stderr.trim() || "no message"}`)),
        );
      });
    },
    listen() {
      return Promise.reject(
        new Error("Node cannot listen on a unix datagram socket (node:dgram is UDP only): run pounce on Bun or Deno for this"),
      );
    },
  };
}

export function nodeUnixDatagram(): DatagramSupport {
  if (process.platform !== "linux")
    return { unixDatagramUnavailableReason: `systemd notify is for Linux (this is ${process.platform})` };
  // libuv's hrtime is CLOCK_MONOTONIC on Linux (checked against python's clock_gettime).
  const monotonicUsec = () => process.hrtime.bigint() / 1000n;
  const exe = onPath("systemd-notify");
  if (!exe)
    return {
      monotonicUsec,
      unixDatagramUnavailableReason:
        "Node has no unix datagram socket of its own and sends through systemd-notify(1), which is not on PATH (install systemd, or run pounce on Bun or Deno)",
    };
  return { unixDatagram: viaSystemdNotify(exe), monotonicUsec };
}
