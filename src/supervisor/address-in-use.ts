/**
 * At boot, refuse an address that something else already listens on. Bun's and Deno's workers bind
 * with SO_REUSEPORT, which lets any socket of the same user that also sets it join the listener: a
 * second pounce (a stale instance, a misconfigured service) would start silently and take part of
 * the traffic. A probe WITHOUT SO_REUSEPORT cannot join anyone: the kernel refuses it (EADDRINUSE)
 * while any listener, of any process, holds the port on that address or on one overlapping it
 * (0.0.0.0 and 127.0.0.1, `::` and either). node:net never sets SO_REUSEPORT unless asked, on Node,
 * Bun and Deno alike (checked on each), so one check serves every runtime.
 *
 * Runs once, before the first worker spawns; later generations join their own listeners as designed.
 * `--port 0` needs no probe: pickFreePort's exclusive bind already found the port free.
 */
import { createServer } from "node:net";
import { errors, type PounceError } from "../errors.ts";

/** The port-in-use error when `host:port` already has a listener; undefined when it is free. Any other
 *  bind failure (no such local address, a privileged port) is left to the workers to report as today. */
export function addressInUse(host: string, port: number): Promise<PounceError | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (err: NodeJS.ErrnoException) =>
      resolve(err.code === "EADDRINUSE" ? errors.portInUse(host, port) : undefined),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}
