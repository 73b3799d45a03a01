// One progress line on stderr: the case running and an estimate of the time left.
const tty = process.stderr.isTTY;
let plannedTotal = 0;
let doneEst = 0;
let current = null;
let caseStart = 0;
let timer;
const t0 = Date.now();

export function plan(seconds) {
  plannedTotal += seconds;
}

function line() {
  const spent = (Date.now() - caseStart) / 1000;
  const left = Math.max(0, plannedTotal - doneEst - Math.min(spent, current?.est ?? 0));
  const el = ((Date.now() - t0) / 1000).toFixed(0);
  return `[bench ${el}s] ${current?.name ?? ""} — ~${Math.ceil(left)}s left`;
}

export function step(name, est) {
  if (current) doneEst += current.est;
  current = { name, est };
  caseStart = Date.now();
  if (tty) {
    process.stderr.write(`\r\x1b[K${line()}`);
    if (!timer) timer = setInterval(() => process.stderr.write(`\r\x1b[K${line()}`), 1000).unref();
  } else process.stderr.write(`${line()}\n`);
}

export function note(msg) {
  process.stderr.write(`${tty ? "\r\x1b[K" : ""}${msg}\n`);
  if (tty && current) process.stderr.write(line());
}

export function done() {
  clearInterval(timer);
  if (tty) process.stderr.write("\r\x1b[K");
}
