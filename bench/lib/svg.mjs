// Two small hand-written SVG charts: throughput per runtime (pounce vs the others), and p99 over time
// across reloads (log scale).
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const COLORS = ["#e4572e", "#29335c", "#7d8597", "#f3a712", "#3c6e71", "#a8c686"];
const font = 'font-family="sans-serif" font-size="11"';

/** groups: [{name, bars: [{label, value|NaN}]}] */
export function barChart(title, groups, unit) {
  const barW = 22;
  const gap = 26;
  const labels = groups[0]?.bars.map((b) => b.label) ?? [];
  const groupW = labels.length * barW + gap;
  const W = Math.max(520, 70 + groups.length * groupW + 20);
  const H = 300;
  const top = 40;
  const bottom = 230;
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.value)).filter(Number.isFinite));
  const y = (v) => bottom - (v / max) * (bottom - top);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${font}>`];
  out.push(
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`,
  );
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    out.push(`<line x1="60" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="55" y="${y(v) + 4}" text-anchor="end">${Math.round(v).toLocaleString("en")}</text>`);
  }
  out.push(
    `<text x="12" y="${(top + bottom) / 2}" transform="rotate(-90 12 ${(top + bottom) / 2})" text-anchor="middle">${esc(unit)}</text>`,
  );
  groups.forEach((g, gi) => {
    const x0 = 70 + gi * groupW;
    g.bars.forEach((b, bi) => {
      const x = x0 + bi * barW;
      if (Number.isFinite(b.value)) {
        out.push(
          `<rect x="${x}" y="${y(b.value)}" width="${barW - 3}" height="${bottom - y(b.value)}" fill="${COLORS[bi % COLORS.length]}"><title>${esc(`${g.name} ${b.label}: ${Math.round(b.value)}`)}</title></rect>`,
        );
      } else {
        out.push(`<text x="${x + 8}" y="${bottom - 4}" transform="rotate(-90 ${x + 8} ${bottom - 4})" fill="#999">n/a</text>`);
      }
    });
    out.push(
      `<text x="${x0 + (labels.length * barW) / 2}" y="${bottom + 16}" text-anchor="middle" font-weight="bold">${esc(g.name)}</text>`,
    );
  });
  labels.forEach((l, i) => {
    const x = 70 + (i % 3) * 170;
    const yy = bottom + 36 + Math.floor(i / 3) * 16;
    out.push(
      `<rect x="${x}" y="${yy - 9}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 14}" y="${yy}">${esc(l)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}

/** series: [{name, points: [[s, ms]], marks: [s], term: s}] */
export function p99Chart(title, series) {
  const W = 760;
  const H = 320;
  const left = 60;
  const right = W - 20;
  const top = 40;
  const bottom = 250;
  const pts = series.flatMap((s) => s.points);
  const tmax = Math.max(1, ...pts.map((p) => p[0]), ...series.map((s) => s.term ?? 0));
  const vmax = Math.max(10, ...pts.map((p) => p[1]).filter(Number.isFinite));
  const lo = Math.min(...pts.map((p) => p[1]).filter((v) => v > 0));
  const vmin = Number.isFinite(lo) ? 10 ** Math.floor(Math.log10(Math.max(0.01, lo))) : 0.1;
  const x = (t) => left + (t / tmax) * (right - left);
  const y = (v) =>
    bottom - ((Math.log10(Math.max(v, vmin)) - Math.log10(vmin)) / (Math.log10(vmax) - Math.log10(vmin))) * (bottom - top);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${font}>`];
  out.push(
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`,
  );
  for (let e = Math.round(Math.log10(vmin)); 10 ** e <= vmax * 1.01; e++) {
    out.push(`<line x1="${left}" x2="${right}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 5}" y="${y(10 ** e) + 4}" text-anchor="end">${10 ** e} ms</text>`);
  }
  for (let t = 0; t <= tmax; t += Math.max(1, Math.round(tmax / 10))) {
    out.push(`<text x="${x(t)}" y="${bottom + 14}" text-anchor="middle">${t}s</text>`);
  }
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    for (const m of s.marks ?? [])
      out.push(`<line x1="${x(m)}" x2="${x(m)}" y1="${top}" y2="${bottom}" stroke="${c}" stroke-dasharray="3,3" opacity="0.6"/>`);
    if (s.term !== undefined)
      out.push(
        `<line x1="${x(s.term)}" x2="${x(s.term)}" y1="${top}" y2="${bottom}" stroke="${c}" stroke-dasharray="8,3" opacity="0.6"/>`,
      );
    const d = s.points
      .filter((p) => Number.isFinite(p[1]))
      .map((p, j) => `${j ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
      .join("");
    out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="1.5"/>`);
    out.push(
      `<rect x="${left + i * 240}" y="${bottom + 26}" width="10" height="10" fill="${c}"/><text x="${left + 14 + i * 240}" y="${bottom + 35}">${esc(s.name)}</text>`,
    );
  });
  out.push(
    `<text x="${left}" y="${H - 8}" fill="#555">p99 per 250 ms of scheduled send time; short dashes = reload (SIGHUP / pm2 reload / kill+restart), long dashes = shutdown</text>`,
  );
  out.push("</svg>");
  return out.join("\n");
}
