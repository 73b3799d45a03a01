/**
 * The runtime rows of the lifecycle suite: how to start pounce on each runtime. Select with
 * POUNCE_TEST_RUNTIMES=node20,node24,bun,deno (default: all). A row whose runtime is missing fails.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..");
const BIN = resolve(ROOT, "bin/pounce.mjs");

export interface Runtime {
  name: string;
  /** The executable, for availability checks. */
  exe: string;
  /** argv to run `pounce <args…>` on this runtime. */
  argv(args: string[]): string[];
  /** Worker processes are separate processes with titles (false for thread-based adapters). */
  workerProcesses: boolean;
}

const node20 = process.env.POUNCE_NODE20 ?? "/usr/bin/node";
const node24 = process.env.POUNCE_NODE24 ?? resolve(ROOT, ".runtimes/node_modules/.bin/node");
const bun = process.env.POUNCE_BUN ?? resolve(ROOT, "node_modules/.bin/bun");
const deno = process.env.POUNCE_DENO ?? resolve(ROOT, "node_modules/.bin/deno");

export const ALL_RUNTIMES: Runtime[] = [
  { name: "node20", exe: node20, argv: (a) => [node20, BIN, ...a], workerProcesses: true },
  { name: "node24", exe: node24, argv: (a) => [node24, BIN, ...a], workerProcesses: true },
  { name: "bun", exe: bun, argv: (a) => [bun, BIN, ...a], workerProcesses: true },
  // Deno: no --unstable-net here on purpose — pounce gives it to its worker processes itself.
  { name: "deno", exe: deno, argv: (a) => [deno, "run", "-A", BIN, ...a], workerProcesses: true },
];

export function selectedRuntimes(): Runtime[] {
  const wanted = (process.env.POUNCE_TEST_RUNTIMES ?? ALL_RUNTIMES.map((r) => r.name).join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return wanted.map((name) => {
    const rt = ALL_RUNTIMES.find((r) => r.name === name);
    if (!rt) throw new Error(`unknown runtime row ${name} (known: ${ALL_RUNTIMES.map((r) => r.name).join(", ")})`);
    if (!existsSync(rt.exe)) throw new Error(`${name}: ${rt.exe} is missing — run the set-up (see README)`);
    return rt;
  });
}
