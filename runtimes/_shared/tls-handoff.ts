/**
 * How a worker gets its TLS key: never on its command line (Bun and Deno workers get their spec as
 * an argument, which any local user can read in /proc/<pid>/cmdline) nor in its environment (which
 * the app's own child processes would inherit). The spec a worker is started with carries the TLS
 * material without its PEM texts; when the worker is about to serve, it asks on its IPC channel
 * (`tls-wanted`) and the supervisor side answers with the PEM the supervisor checked (`tls-material`).
 */
import type { WorkerSpec } from "../../src/protocol.ts";
import type { TlsMaterial } from "../../src/tls/material.ts";
import type { AdapterSupervisorMessage, AdapterWorkerMessage } from "./adapter-messages.ts";

/** The spec as it goes on the worker's command line or environment: no PEM in it. */
export function specWithoutSecrets(spec: WorkerSpec): WorkerSpec {
  if (!spec.tls) return spec;
  const { serial, notAfter } = spec.tls;
  return { ...spec, tls: { cert: "", key: "", serial, notAfter } };
}

/** Supervisor side: answer a worker's `tls-wanted` with the spec's material. */
export function answerTls(
  spec: WorkerSpec,
  msg: AdapterWorkerMessage,
  send: (answer: AdapterSupervisorMessage) => void,
): boolean {
  if (msg.type !== "tls-wanted") return false;
  if (spec.tls) send({ type: "tls-material", tls: spec.tls });
  return true;
}

/** Worker side: ask for the material once, and resolve with the answer. */
export function tlsRequester(sendAdapter: (msg: AdapterWorkerMessage) => void): {
  request(): Promise<TlsMaterial>;
  answered(msg: AdapterSupervisorMessage): boolean;
} {
  let resolve: ((tls: TlsMaterial) => void) | undefined;
  let asked: Promise<TlsMaterial> | undefined;
  return {
    request() {
      asked ??= new Promise<TlsMaterial>((r) => {
        resolve = r;
        sendAdapter({ type: "tls-wanted" });
      });
      return asked;
    },
    answered(msg) {
      if (msg.type !== "tls-material") return false;
      resolve?.(msg.tls);
      return true;
    },
  };
}
