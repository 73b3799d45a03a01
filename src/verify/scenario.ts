/**
 * The rehearsal, step by step: start the app under pounce, load it, steady; each reload (the same
 * code again, or --next); the bad deploy (must be refused while the old code keeps serving); then a
 * graceful shutdown with requests in flight. Returns the samples and the marks the verdict reads.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ResolvedEntry } from "../entry.ts";
import { packageRoot } from "../package-root.ts";
import { pickFreePort } from "../supervisor/free-port.ts";
import { AppUnderTest, type LogLine } from "./app-under-test.ts";
import { DeployDir } from "./deploy-files.ts";
import { LoadGenerator, now, type Sample } from "./load-generator.ts";
import type { RequestSpec } from "./request-plan.ts";
import type { BadDeployMark, ReloadMark, RunMarks } from "./verdict.ts";

export interface ScenarioOptions {
  app: ResolvedEntry;
  next: ResolvedEntry | undefined;
  serveArgs: string[];
  cwd: string;
  host: string;
  rate: number;
  freshShare: number;
  maxConnections: number;
  timeoutMs: number;
  plan: RequestSpec[];
  reloads: number;
  steadyMs: number;
  /** Bounds on each wait, from the serve options (startup, reload and shutdown timeouts). */
  startupTimeoutMs: number;
  reloadTimeoutMs: number;
  shutdownTimeoutMs: number;
}

export type Step =
  | { kind: "start" }
  | { kind: "steady" }
  | { kind: "reload"; number: number }
  | { kind: "bad" }
  | { kind: "shutdown" };

export interface RunResult {
  samples: Sample[];
  marks: RunMarks;
  logs: LogLine[];
  other: string[];
  /** Set when the app never became ready: nothing was measured. */
  bootError?: string;
}

/** A slack on top of pounce's own timeouts, so verify never gives up before pounce does. */
const SLACK_MS = 10_000;

export async function runScenario(o: ScenarioOptions, onStep: (s: Step, load?: LoadGenerator) => void): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "pounce-verify-"));
  const deploys = new DeployDir(dir, appModuleUrl());
  const port = await pickFreePort(o.host);
  let deploy = 1;
  deploys.deploy(o.app, deploy);
  onStep({ kind: "start" });
  const app = new AppUnderTest({ entry: deploys.entry, serveArgs: o.serveArgs, host: o.host, port, dir, cwd: o.cwd });
  const marks: RunMarks = { startAt: now(), reloads: [], bad: null, shutdown: null, forceStopped: 0 };
  // The app runs in its own process group: if verify is interrupted, it takes the app down with it.
  const interrupted = (signal: NodeJS.Signals) => {
    app.kill();
    rmSync(dir, { recursive: true, force: true });
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const ready = await app.waitForLog((l) => l.event === "ready" || l.event === "boot_failed", o.startupTimeoutMs + SLACK_MS);
    if (ready?.event !== "ready") {
      const why = ready?.msg ?? (app.exited ? "pounce exited during start-up" : "pounce did not become ready in time");
      return { samples: [], marks, logs: app.logs, other: app.other, bootError: String(why) };
    }
    const load = new LoadGenerator({ ...o, host: clientHost(o.host), port });
    marks.startAt = now();
    load.start();
    const steady = async () => {
      onStep({ kind: "steady" }, load);
      await pause(o.steadyMs);
    };
    await steady();
    const reloadWait = o.startupTimeoutMs + o.reloadTimeoutMs + SLACK_MS;
    for (let n = 1; n <= o.reloads && !app.exited; n++) {
      onStep({ kind: "reload", number: n }, load);
      deploy++;
      deploys.deploy(o.next ?? o.app, deploy);
      const signalAt = now();
      const r = await app.reload(reloadWait);
      const mark: ReloadMark = {
        number: n,
        deploy,
        signalAt,
        outcome: r.outcome,
        cutoverAt: r.entry?.cutover_at ? Date.parse(r.entry.cutover_at) : null,
        cutoverMs: r.entry?.cutover_ms ?? null,
        durationMs: r.entry?.duration_ms ?? null,
        error: r.entry?.error ?? (r.outcome === "failed" && !r.entry ? "pounce exited" : null),
      };
      marks.reloads.push(mark);
      if (r.outcome !== "complete") {
        deploy--; // the previous code keeps serving
        deploys.restore(deploy);
      }
      await steady();
    }
    if (!app.exited) {
      onStep({ kind: "bad" }, load);
      deploys.deployBad();
      const signalAt = now();
      const r = await app.reload(reloadWait);
      const bad: BadDeployMark = {
        signalAt,
        outcome: r.outcome === "failed" ? "refused" : r.outcome === "timeout" ? "timeout" : "accepted",
        error: r.entry?.error ?? null,
      };
      marks.bad = bad;
      deploys.restore(deploy);
      await steady();
    }
    onStep({ kind: "shutdown" }, load);
    // SIGTERM goes right after a request is written, so at least one is in flight (bounded wait).
    await Promise.race([load.nextSend(), pause(2000)]);
    const inFlightAtSignal = load.inFlight;
    const settled = load.stop(); // scheduling stops before the signal goes
    const signalAt = now();
    const exit = await app.stop(o.shutdownTimeoutMs + SLACK_MS);
    await settled;
    marks.shutdown = {
      signalAt,
      exitAt: exit?.at ?? null,
      exitCode: exit?.code ?? null,
      exitSignal: exit?.signal ?? null,
      inFlightAtSignal,
    };
    marks.forceStopped = app.count("worker_force_stop");
    return { samples: load.samples, marks, logs: app.logs, other: app.other };
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    app.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where the client connects: a wildcard listen address is reached on loopback. */
function clientHost(host: string): string {
  return host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
}

/** pounce's own src/app module, which the deploy wrappers use to pick the app out of its module. */
function appModuleUrl(): string {
  const js = join(packageRoot(), "dist/src/app.js");
  return pathToFileURL(existsSync(js) && !import.meta.url.endsWith(".ts") ? js : join(packageRoot(), "src/app.ts")).href;
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
