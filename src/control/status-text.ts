/** `pounce status`'s human-readable view of a state file (the --json view is the file itself). */
import type { ReloadEntry, ServerState } from "./state.ts";

export function uptimeSeconds(state: ServerState, now = Date.now()): number {
  return Math.max(0, Math.round((now - Date.parse(state.started_at)) / 1000));
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

const ms = (n: number | null) => (n === null ? "?" : n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`);

function reloadLine(r: ReloadEntry): string {
  const gen = r.generation === null ? "" : `generation ${r.generation}, `;
  const head = `#${r.number} (${r.cause}, ${gen}started ${r.started_at})`;
  switch (r.outcome) {
    case "in-progress":
      return `${head}: in progress`;
    case "cut-over":
      return `${head}: serving since ${ms(r.cutover_ms)}, old workers draining`;
    case "complete":
      return `${head}: complete — serving after ${ms(r.cutover_ms)}, drained after ${ms(r.duration_ms)}`;
    case "failed":
      return `${head}: failed after ${ms(r.duration_ms)} — ${r.error ?? "unknown cause"}`;
  }
}

export function statusText(state: ServerState, now = Date.now()): string {
  const lines = [
    `pounce ${state.phase}, pid ${state.pid}, up ${formatDuration(uptimeSeconds(state, now))}`,
    `  entry        ${state.entry}${state.runtime ? ` (${state.runtime})` : ""}`,
  ];
  if (state.url) lines.push(`  listening    ${state.url}`);
  lines.push(`  generation   ${state.generation ?? "none yet"}`);
  lines.push(`  workers      ${state.workers.length}`);
  if (state.workers.length > 0) {
    const rows = [["ID", "PID", "GEN", "STATE", "IN FLIGHT"]];
    for (const w of state.workers)
      rows.push([
        String(w.id),
        String(w.pid ?? "-"),
        String(w.generation),
        w.state,
        w.in_flight === null ? "-" : String(w.in_flight),
      ]);
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? [];
    for (const r of rows)
      lines.push(
        `    ${r
          .map((c, i) => c.padEnd(widths[i] as number))
          .join("  ")
          .trimEnd()}`,
      );
  }
  lines.push(`  last reload  ${state.last_reload ? reloadLine(state.last_reload) : "none"}`);
  if (state.exit_code !== null) lines.push(`  exit code    ${state.exit_code}`);
  return `${lines.join("\n")}\n`;
}
