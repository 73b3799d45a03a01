/**
 * `--report DIR`'s latency.svg: every request as a dot (x: when it was due, y: its latency, log
 * scale), lost ones as red crosses along the top, and a line at each step (reload signal, cut-over,
 * bad deploy, SIGTERM). Self-contained SVG, no script.
 */
import { latencyOf } from "./latency.ts";
import type { Sample } from "./load-generator.ts";
import { classify, type RunMarks } from "./verdict.ts";

const W = 900;
const H = 360;
const PAD = { left: 60, right: 20, top: 30, bottom: 40 };

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function latencySvg(samples: Sample[], marks: RunMarks, title: string): string {
  const t0 = marks.startAt;
  const end = samples.reduce((t, s) => Math.max(t, s.done), Math.max(t0 + 1000, marks.shutdown?.exitAt ?? 0));
  const answered = samples.filter((s) => s.status !== null);
  const maxLat = answered.reduce((m, s) => Math.max(m, latencyOf(s)), 10);
  const minLat = 0.1;
  const x = (t: number) => PAD.left + ((t - t0) / (end - t0)) * (W - PAD.left - PAD.right);
  const y = (ms: number) => {
    const f = Math.log10(Math.max(minLat, ms) / minLat) / Math.log10(maxLat / minLat);
    return H - PAD.bottom - f * (H - PAD.top - PAD.bottom);
  };
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${PAD.left}" y="18" font-size="13">${esc(title)}</text>`,
  ];
  // Axes: a log latency scale, seconds along the bottom.
  for (let ms = 0.1; ms <= maxLat * 1.0001; ms *= 10) {
    out.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(ms).toFixed(1)}" y2="${y(ms).toFixed(1)}" stroke="#eee"/>`);
    out.push(
      `<text x="${PAD.left - 6}" y="${(y(ms) + 4).toFixed(1)}" text-anchor="end">${ms >= 1000 ? `${ms / 1000} s` : `${+ms.toFixed(1)} ms`}</text>`,
    );
  }
  const seconds = (end - t0) / 1000;
  const step = seconds > 60 ? 10 : seconds > 20 ? 5 : 1;
  for (let s = 0; s <= seconds; s += step)
    out.push(`<text x="${x(t0 + s * 1000).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${s}s</text>`);
  out.push(
    `<text x="${W / 2}" y="${H - 6}" text-anchor="middle">time since the load started (each request at its scheduled send time)</text>`,
  );
  const mark = (t: number, colour: string, label: string, dash = "") =>
    out.push(
      `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="${colour}"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
      ...(label ? [`<text x="${(x(t) + 3).toFixed(1)}" y="${PAD.top + 10}" fill="${colour}">${esc(label)}</text>`] : []),
    );
  for (const r of marks.reloads) {
    mark(r.signalAt, "#1f77b4", `reload ${r.number}`);
    if (r.cutoverAt !== null) mark(r.cutoverAt, "#2ca02c", "", "3,3");
  }
  if (marks.bad) mark(marks.bad.signalAt, "#ff7f0e", "bad deploy");
  if (marks.shutdown) mark(marks.shutdown.signalAt, "#555", "SIGTERM");
  for (const s of answered)
    out.push(`<circle cx="${x(s.sched).toFixed(1)}" cy="${y(latencyOf(s)).toFixed(1)}" r="1.3" fill="#333" fill-opacity="0.5"/>`);
  for (const s of samples) {
    const kind = classify(s, marks.reloads, marks.shutdown?.signalAt);
    if (!kind) continue;
    const cx = x(s.sched);
    const cy = PAD.top + 4;
    out.push(
      `<path d="M${(cx - 3).toFixed(1)} ${cy - 3}l6 6m0 -6l-6 6" stroke="#d62728" stroke-width="1.5"><title>${kind}</title></path>`,
    );
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
