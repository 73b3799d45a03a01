/**
 * Whether this platform lets two processes listen on one port (SO_REUSEPORT with load balancing:
 * Linux only, for Bun.serve and Deno.serve alike). Tests force the off-Linux path on Linux with
 * POUNCE_NO_REUSEPORT=1 (POUNCE_BUN_NO_REUSEPORT=1, its older Bun-only name, still works); operators
 * use --reload-strategy restart. Worker processes inherit the variable, so both sides agree.
 */
import process from "node:process";

export interface PortSharing {
  available: boolean;
  /** Why not, for messages: "forced off by POUNCE_NO_REUSEPORT=1" or "this is darwin". */
  why?: string;
}

export function portSharing(platform: string): PortSharing {
  for (const name of ["POUNCE_NO_REUSEPORT", "POUNCE_BUN_NO_REUSEPORT"])
    if (process.env[name] === "1") return { available: false, why: `forced off by ${name}=1` };
  return platform === "linux" ? { available: true } : { available: false, why: `this is ${platform}` };
}
