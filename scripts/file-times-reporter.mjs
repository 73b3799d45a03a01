// A test reporter for `npm test`: after the run, one line per test file with its wall time (first to
// last event) and its test count, slowest first, so the suite's time budget can be seen per file.
export default async function* fileTimes(source) {
  const files = new Map();
  for await (const event of source) {
    const file = event.data?.file?.replace(/^.*\/test\//, "test/");
    if (!file) continue;
    const now = performance.now();
    const f = files.get(file) ?? { first: now, last: now, tests: 0, ms: 0 };
    f.last = now;
    if ((event.type === "test:pass" || event.type === "test:fail") && event.data.nesting === 0) {
      f.tests++;
      f.ms += event.data.details?.duration_ms ?? 0;
    }
    files.set(file, f);
  }
  const rows = [...files].filter(([, f]) => f.tests > 0).sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((s, [, f]) => s + f.ms, 0);
  yield `\ntime per test file (sum of its top-level tests; ${(total / 1000).toFixed(0)} s in all):\n`;
  for (const [file, f] of rows)
    yield `${(f.ms / 1000).toFixed(1).padStart(7)} s  ${String(f.tests).padStart(3)} tests  ${file}\n`;
}
