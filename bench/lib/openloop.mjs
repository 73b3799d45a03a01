// Open-loop fixed-rate HTTP/1.1 client: requests are scheduled at a fixed rate whatever the server
// does, and each latency is measured from its *scheduled* send time, so a stall shows as queueing
// delay instead of silently slowing the client (coordinated omission).
//   node openloop.mjs '{"port":P,"rate":R,"seconds":S,"conns":C,"closeRate":r,"out":"file.csv"}'
// rate R over up to C kept-alive sockets, plus r/s on a fresh connection each (Connection: close).
// SIGUSR2 stops scheduling early. Writes CSV: sched_ms,done_ms,kind(k|c),status-or-error,body,sent_ms.
import { writeFileSync } from "node:fs";
import net from "node:net";

const cfg = JSON.parse(process.argv[2]);
const host = "127.0.0.1";
const timeoutMs = cfg.timeoutMs ?? 10_000;
const path = cfg.path ?? "/";
const now = () => performance.timeOrigin + performance.now();
const records = [];
const record = (sched, kind, result, body, sent = 0) =>
  records.push(`${sched.toFixed(3)},${now().toFixed(3)},${kind},${result},${body},${sent.toFixed(3)}`);

const KA_REQ = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
const CLOSE_REQ = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

/** Minimal response parser: calls done(status, body, close) per response. */
function parser(done) {
  let buf = "";
  return (chunk) => {
    buf += chunk.toString("latin1");
    for (;;) {
      const h = buf.indexOf("\r\n\r\n");
      if (h < 0) return;
      const head = buf.slice(0, h);
      const status = Number(head.slice(9, 12));
      const lower = head.toLowerCase();
      const cl = /content-length:\s*(\d+)/.exec(lower);
      const close = /connection:\s*close/.test(lower);
      let body;
      let rest;
      if (cl) {
        const n = Number(cl[1]);
        if (buf.length < h + 4 + n) return;
        body = buf.slice(h + 4, h + 4 + n);
        rest = buf.slice(h + 4 + n);
      } else if (/transfer-encoding:\s*chunked/.test(lower)) {
        const end = buf.indexOf("\r\n0\r\n\r\n", h);
        if (end < 0 && !buf.slice(h + 4).startsWith("0\r\n\r\n")) return;
        const stop = end < 0 ? h + 4 + 5 : end + 7;
        body = buf
          .slice(h + 4, stop)
          .replace(/^[0-9a-f]+\r\n/i, "")
          .replace(/\r\n0\r\n\r\n$/, "");
        rest = buf.slice(stop);
      } else {
        body = "";
        rest = buf.slice(h + 4);
      }
      buf = rest;
      done(status, body, close);
    }
  };
}

const clean = (s) =>
  s
    .replace(/[\s,]+/g, " ")
    .trim()
    .slice(0, 24);

// --- kept-alive pool ---
const idle = [];
const all = new Set();
const queue = [];
let qHead = 0;

function openSocket() {
  const s = net.connect({ host, port: cfg.port });
  s.setNoDelay(true);
  s.inflight = null; // scheduled time of the request on it
  s.dead = false;
  all.add(s);
  const drop = (err) => {
    if (s.dead) return;
    s.dead = true;
    all.delete(s);
    const i = idle.indexOf(s);
    if (i >= 0) idle.splice(i, 1);
    if (s.inflight !== null) record(s.inflight, "k", err, "", s.sentAt);
    s.inflight = null;
    s.destroy();
    pump();
  };
  s.on("connect", () => {
    idle.push(s);
    pump();
  });
  s.on(
    "data",
    parser((status, body, close) => {
      if (s.inflight === null) return;
      record(s.inflight, "k", status, clean(body), s.sentAt);
      s.inflight = null;
      if (close) {
        s.dead = true;
        all.delete(s);
        s.end();
      } else idle.push(s);
      pump();
    }),
  );
  s.on("error", (e) => drop(e.code ?? "error"));
  s.on("close", () => drop("closed"));
  s.on("end", () => drop("eof"));
  s.drop = drop;
}

function pump() {
  while (qHead < queue.length) {
    const s = idle.pop();
    if (!s) {
      if (all.size < cfg.conns) openSocket();
      return;
    }
    s.inflight = queue[qHead++];
    s.sentAt = now();
    s.write(KA_REQ);
  }
  if (qHead > 4096) {
    queue.splice(0, qHead);
    qHead = 0;
  }
}

// --- connection per request ---
let closeOutstanding = 0;
function oneShot(sched) {
  closeOutstanding++;
  let settled = false;
  const sent = now();
  const s = net.connect({ host, port: cfg.port });
  const finish = (result, body) => {
    if (settled) return;
    settled = true;
    closeOutstanding--;
    clearTimeout(timer);
    record(sched, "c", result, body, sent);
    s.destroy();
  };
  const timer = setTimeout(() => finish("timeout", ""), timeoutMs);
  s.on("connect", () => s.write(CLOSE_REQ));
  s.on(
    "data",
    parser((status, body) => finish(status, clean(body))),
  );
  s.on("error", (e) => finish(e.code ?? "error", ""));
  s.on("close", () => finish("closed", ""));
}

// --- scheduler ---
const start = now() + 20;
const stopAt = start + cfg.seconds * 1000;
let stopped = false;
let sent = 0;
let sentClose = 0;
process.on("SIGUSR2", () => (stopped = true));
function tick() {
  const t = Math.min(now(), stopAt);
  if (t >= start) {
    const due = Math.floor(((t - start) * cfg.rate) / 1000);
    while (sent < due) queue.push(start + (sent++ * 1000) / cfg.rate);
    if (cfg.closeRate > 0) {
      const dueC = Math.floor(((t - start) * cfg.closeRate) / 1000);
      while (sentClose < dueC) oneShot(start + (sentClose++ * 1000) / cfg.closeRate);
    }
    pump();
  }
  // kept-alive requests stuck past the timeout fail as "timeout"
  const limit = now() - timeoutMs;
  for (const s of all) if (s.inflight !== null && s.sentAt < limit) s.drop("timeout");
  if (stopped || now() >= stopAt) return finish();
  setTimeout(tick, 1);
}
async function finish() {
  // requests in flight get their timeout; requests still queued (no socket could take them) 1 s more
  const t = now();
  const deadline = t + timeoutMs + 500;
  const queueDeadline = t + 1000;
  const busy = () =>
    closeOutstanding > 0 || [...all].some((s) => s.inflight !== null) || (qHead < queue.length && now() < queueDeadline);
  while (now() < deadline && busy()) {
    const limit = now() - timeoutMs;
    for (const s of all) if (s.inflight !== null && s.sentAt < limit) s.drop("timeout");
    pump();
    await new Promise((r) => setTimeout(r, 10));
  }
  for (let i = qHead; i < queue.length; i++) record(queue[i], "k", "unsent", "");
  for (const s of all) s.destroy();
  writeFileSync(cfg.out, `${records.join("\n")}\n`);
  console.log(`DONE ${records.length}`);
  process.exit(0);
}
setTimeout(tick, 0);
