/**
 * A real systemd-style notify socket for tests: an AF_UNIX datagram socket (a path or an abstract
 * `@name`) bound by a python3 child with SO_PASSCRED, reporting each datagram with the sender's pid
 * from the kernel's SCM_CREDENTIALS and the receiver's CLOCK_MONOTONIC at arrival (µs).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

const RECEIVER = `
import json, os, socket, struct, sys, time
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\\0" + path[1:] if path.startswith("@") else path)
print(json.dumps({"listening": True}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(12))  # passed fds (BARRIER=1) are dropped, so closed
    now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    pid = None
    for level, kind, cdata in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", cdata[:12])[0]
    print(json.dumps({"text": data.decode(), "pid": pid, "mono": now}), flush=True)
`;

export interface Datagram {
  text: string;
  /** The sender's pid from SCM_CREDENTIALS. */
  pid: number;
  /** The receiver's CLOCK_MONOTONIC at arrival, µs. */
  mono: bigint;
  /** VAR=VALUE lines. */
  fields: Record<string, string>;
}

export class NotifyReceiver {
  readonly messages: Datagram[] = [];
  readonly #proc: ChildProcess;
  #waiters: Array<() => void> = [];

  private constructor(proc: ChildProcess) {
    this.#proc = proc;
  }

  static async start(path: string): Promise<NotifyReceiver> {
    const proc = spawn("python3", ["-u", "-c", RECEIVER, path], { stdio: ["ignore", "pipe", "inherit"] });
    const r = new NotifyReceiver(proc);
    const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
    const listening = new Promise<void>((resolve, reject) => {
      proc.once("exit", (code) => reject(new Error(`notify receiver exited (${code}) before listening`)));
      lines.on("line", (line) => {
        const m = JSON.parse(line, (k, v) => (k === "mono" ? BigInt(v) : v));
        if (m.listening) return resolve();
        const fields: Record<string, string> = {};
        for (const l of String(m.text).split("\n")) {
          const eq = l.indexOf("=");
          if (eq > 0) fields[l.slice(0, eq)] = l.slice(eq + 1);
        }
        r.messages.push({ ...m, fields });
        for (const w of r.#waiters.splice(0)) w();
      });
    });
    await listening;
    return r;
  }

  /** pounce's own messages: without systemd-notify(1)'s BARRIER=1 handshakes. */
  get notifications(): Datagram[] {
    return this.messages.filter((m) => m.fields.BARRIER === undefined);
  }

  /** Wait until a notification has the field `name` (the `nth` such, 1-based); returns it. */
  async waitFor(name: string, nth = 1, timeoutMs = 15_000): Promise<Datagram> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hits = this.notifications.filter((m) => m.fields[name] !== undefined);
      if (hits.length >= nth) return hits[nth - 1] as Datagram;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no ${name}= (#${nth}) within ${timeoutMs} ms; got ${JSON.stringify(this.notifications.map((m) => m.text))}`,
        );
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  stop(): void {
    this.#proc.kill("SIGKILL");
  }
}

/** This process's CLOCK_MONOTONIC in µs (Node's hrtime is CLOCK_MONOTONIC on Linux). */
export const monotonicNow = () => process.hrtime.bigint() / 1000n;
