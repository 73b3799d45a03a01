/** A worker's spec from its generation's configuration: for a spawn, a warm worker's spawn and its `assume`. */
import type { Config } from "../config.ts";
import type { RunAs } from "../privileges.ts";
import type { WorkerSpec } from "../protocol.ts";
import type { Core } from "./core.ts";
import { heartbeatInterval } from "./watchdog.ts";

type Placement = Pick<WorkerSpec, "id" | "generation" | "mode" | "file" | "exportName" | "cwd" | "listen" | "maxRequests">;

/** What a worker is told at spawn (or a warm worker on `assume`), from its generation's config. */
export function workerSpec(core: Core, c: Config, w: Placement): WorkerSpec {
  return specFrom(c, core.runAs, w);
}

/** The same before a supervisor exists (a worker started while the configuration is read: prespawn.ts). */
export function specFrom(c: Config, runAs: RunAs | undefined, w: Placement): WorkerSpec {
  return {
    ...w,
    entryLabel: c.entry,
    ...(c.tls ? { tls: c.tls } : {}),
    requestTimeoutMs: Math.round(c.requestTimeout * 1000),
    healthCheckPath: c.healthCheckPath,
    readyPath: c.readyPath,
    metricsPath: c.metricsPath,
    limits: {
      headerTimeoutMs: Math.round(c.headerTimeout * 1000),
      keepAliveTimeoutMs: Math.round(c.keepAliveTimeout * 1000),
      maxBodyBytes: c.maxBodySize,
      maxHeaderBytes: c.maxHeaderSize,
    },
    orphanTimeoutMs: Math.round(c.shutdownTimeout * 1000),
    supervisorPid: process.pid,
    logFormat: c.logFormat,
    logLevel: c.logLevel,
    accessLog: c.accessLog,
    heartbeatMs: heartbeatInterval(c.workerTimeout),
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
  };
}
