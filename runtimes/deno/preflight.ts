/**
 * Before pounce touches anything on Deno, check the permissions it needs, so that a missing one is a
 * one-line error (exit 2, a usage mistake) rather than Deno's NotCapable stack from deep inside a
 * dependency. Imported first by bin/pounce.mjs on Deno; queries never prompt.
 *
 * Needed: read (pounce's files, the app, /proc), env (configuration, PORT, NO_COLOR…), net (workers
 * listen; `--port 0` probes a free port), run (the supervisor starts `deno` worker processes).
 * Optional: write (process titles through /proc/self/mem, --pid-file, turning on tcp_migrate_req).
 */
import { Deno, type DenoPermissionDescriptor, writeAllSync } from "./deno-api.ts";

export const REQUIRED: Array<{ flag: string; descriptor: () => DenoPermissionDescriptor }> = [
  { flag: "--allow-read", descriptor: () => ({ name: "read" }) },
  { flag: "--allow-env", descriptor: () => ({ name: "env" }) },
  { flag: "--allow-net", descriptor: () => ({ name: "net" }) },
  { flag: "--allow-run", descriptor: () => ({ name: "run", command: Deno.execPath() }) },
];

export function missingPermissions(): string[] {
  const missing: string[] = [];
  for (const p of REQUIRED) {
    let state = "denied";
    try {
      state = Deno.permissions.querySync(p.descriptor()).state;
    } catch {
      // execPath() itself may need a permission on some versions: count it as missing
    }
    if (state !== "granted") missing.push(p.flag);
  }
  return missing;
}

/** Exit 2 with one line when a required permission is missing. */
export function preflight(): void {
  const missing = missingPermissions();
  if (missing.length === 0) return;
  const line =
    `pounce: error: missing Deno permission${missing.length > 1 ? "s" : ""} ${missing.join(" ")} — ` +
    "run `deno run -A <pounce> app.ts`, or grant at least --allow-read --allow-env --allow-net --allow-run (see docs/deno.md)\n";
  writeAllSync(Deno.stderr, new TextEncoder().encode(line));
  Deno.exit(2);
}
