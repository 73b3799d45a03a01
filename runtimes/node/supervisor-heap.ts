/**
 * The cluster primary's V8 young generation stays at its starting size. Under load the primary
 * allocates for every connection it hands to a worker and every IPC message, and V8 then doubles
 * the new space, up to 2 x 16 MiB on Node 20 and 2 x 64 MiB on Node 24, and keeps it: the
 * supervisor's memory rose by 20–40 MiB over 200 reloads under load (npm run soak, bench/FINDINGS.md
 * "Supervisor RSS across reloads"). The supervisor needs no allocation throughput, so its new space
 * does not grow. `--semi-space-growth-factor` is read by V8 each time it would grow the new space,
 * so setting it at run time takes effect (probed on Node 20 and 24). Only this process: workers
 * are started with their own flags.
 */
import v8 from "node:v8";

export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString("--semi-space-growth-factor=1");
}
