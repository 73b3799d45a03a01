/**
 * Which runtime runs pounce: what picks the adapter. Read from the globals each runtime defines
 * (Deno's `Deno`, Bun's `process.versions.bun`; Bun and Deno also look like Node, so those first):
 * a library for this one string cost 9–18 ms of start-up on Bun and Deno (bench/FINDINGS.md).
 */
import process from "node:process";

export type RuntimeName = "node" | "bun" | "deno" | "";

export function runtimeName(): RuntimeName {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined || process.versions.bun !== undefined) return "bun";
  if (process.versions.node !== undefined) return "node";
  return "";
}
