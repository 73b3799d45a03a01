#!/usr/bin/env node
// Probe: does Deno.serve's HTTP/2 server lose streams on shutdown(), and is it the client's answering
// GOAWAY that does it? No pounce involved: two `Deno.serve({ reusePort, cert, key })` processes on one
// port (B stays, A calls `server.shutdown()` after 2 s, like a reload), a node:http2 load (8 sessions
// x 4 streams, a new session after a GOAWAY) that accounts for every stream as the suite's
// test/_h2-load.ts does: answered, refused (REFUSED_STREAM), lost (anything else). Each round is run
// twice: as node:http2 behaves (on a GOAWAY it calls session.close(), which sends a GOAWAY back), and
// with that answering GOAWAY suppressed (the session's goaway() made a no-op). A counts the requests
// its handler answered; a lost stream whose request A answered was processed and never delivered.
//
//   node bench/tools/deno-h2-goaway.mjs [--rounds 5] [--wait-idle] [--deno PATH]
//
// --wait-idle: A calls shutdown() only at a moment with no request in flight (what pounce does).
// Prints one line per round and mode, then a sample of lost streams with what the client saw.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const rounds = Number(arg("rounds", 5));
const waitIdle = process.argv.includes("--wait-idle");
const deno = arg("deno", resolve(import.meta.dirname, "../../node_modules/.bin/deno"));
const dir = mkdtempSync(join(tmpdir(), "pounce-deno-h2-goaway-"));
const cert = join(dir, "cert.pem");
const key = join(dir, "key.pem");
const made = spawnSync("openssl", [
  "req",
  "-x509",
  "-newkey",
  "rsa:2048",
  "-nodes",
  "-keyout",
  key,
  "-out",
  cert,
  "-days",
  "1",
  "-subj",
  "/CN=127.0.0.1",
  "-addext",
  "subjectAltName=IP:127.0.0.1",
]);
if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);

const SERVER = `
const [port, name, shutMs, waitIdle] = Deno.args;
let inFlight = 0, answered = 0;
const server = Deno.serve({
  hostname: "127.0.0.1", port: Number(port), reusePort: true,
  cert: Deno.readTextFileSync(${JSON.stringify(cert)}), key: Deno.readTextFileSync(${JSON.stringify(key)}),
  onListen() { console.log("listening"); },
}, async (_req, info) => {
  inFlight++;
  info.completed.finally(() => inFlight--);
  await new Promise((r) => setTimeout(r, 5));
  answered++;
  return new Response(name);
});
if (Number(shutMs) > 0) setTimeout(async () => {
  if (waitIdle === "1") while (inFlight > 0) await new Promise((r) => setTimeout(r, 0));
  const atShutdown = inFlight;
  await server.shutdown();
  console.log(JSON.stringify({ inFlightAtShutdown: atShutdown, answered }));
  Deno.exit(0);
}, Number(shutMs));
`;
writeFileSync(join(dir, "server.ts"), SERVER);
const ca = readFileSync(cert);

const freePort = () =>
  new Promise((r) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => r(port));
    });
  });

function server(port, name, shutMs) {
  const child = spawn(
    deno,
    ["run", "-A", "--unstable-net", join(dir, "server.ts"), String(port), name, String(shutMs), waitIdle ? "1" : "0"],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  const listening = new Promise((r) => child.stdout.on("data", (d) => (out += d).includes("listening") && r()));
  const exited = new Promise((r) => child.once("exit", () => r(out)));
  return { child, listening, exited };
}

/** The load for `ms`; with `answerGoaway` false each session's goaway() is a no-op. */
function load(url, ms, answerGoaway) {
  const r = { answered: 0, byServer: {}, refused: 0, lost: [] };
  const until = Date.now() + ms;
  let open = 0;
  return new Promise((done) => {
    const connection = () => {
      let cur;
      const session = () => {
        if (cur && !cur.s.closed && !cur.s.destroyed && cur.goaways.length === 0) return cur;
        const s = http2.connect(url, { ca });
        if (!answerGoaway) s.goaway = () => {};
        const c = { s, goaways: [], eofAt: 0 };
        s.on("error", () => {});
        s.on("goaway", (code, last) => c.goaways.push({ code, last, at: Date.now() }));
        s.on("connect", (_s, sock) => sock.on("end", () => (c.eofAt = Date.now())));
        cur = c;
        return c;
      };
      const send = (retry) => {
        if (!retry && Date.now() >= until) return;
        let c = session();
        let st;
        try {
          st = c.s.request({ ":path": "/" });
        } catch {
          c.goaways.push({ code: -1, last: -1, at: Date.now() });
          c = session();
          st = c.s.request({ ":path": "/" });
        }
        open++;
        let status = 0;
        let body = "";
        let error;
        st.on("response", (h) => (status = Number(h[":status"])));
        st.setEncoding("utf8");
        st.on("data", (d) => (body += d));
        st.on("error", (e) => (error = e.code ?? e.message));
        st.on("close", () => {
          open--;
          if (status === 200 && st.rstCode === 0 && !error) {
            r.answered++;
            r.byServer[body] = (r.byServer[body] ?? 0) + 1;
            send(false);
          } else if (status === 0 && st.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) {
            r.refused++;
            send(true);
          } else {
            const g = c.goaways.map((x) => `${x.last}@+${x.at - (c.goaways[0]?.at ?? 0)}ms`).join(" ");
            const eof = c.eofAt ? `EOF @+${c.eofAt - (c.goaways[0]?.at ?? c.eofAt)}ms` : "no EOF yet";
            r.lost.push(`stream ${st.id}: rstCode ${st.rstCode}, status ${status}, GOAWAYs ${g || "none"}, ${eof}`);
            send(false);
          }
          if (open === 0 && Date.now() >= until) done(r);
        });
      };
      for (let i = 0; i < 4; i++) send(false);
      return () => cur?.s.close();
    };
    const closers = Array.from({ length: 8 }, connection);
    setTimeout(() => done(r), ms + 10_000).unref();
    void closers;
  });
}

const samples = [];
const totals = { answered: 0, notAnswered: 0 };
try {
  for (let round = 1; round <= rounds; round++) {
    for (const answerGoaway of [true, false]) {
      const port = await freePort();
      const b = server(port, "B", 0);
      const a = server(port, "A", 2000);
      await Promise.all([a.listening, b.listening]);
      const r = await load(`https://127.0.0.1:${port}`, 3000, answerGoaway);
      b.child.kill();
      const aOut = JSON.parse((await a.exited).trim().split("\n").pop());
      const processedUndelivered = aOut.answered - (r.byServer.A ?? 0);
      console.log(
        `round ${round}, client ${answerGoaway ? "answers GOAWAY (node:http2 default)" : "GOAWAY answer suppressed      "}: ` +
          `A had ${aOut.inFlightAtShutdown} in flight at shutdown(); answered ${r.answered}, refused ${r.refused}, ` +
          `lost ${r.lost.length} (A answered ${processedUndelivered} request(s) the client never got)`,
      );
      if (answerGoaway) totals.answered += r.lost.length;
      else totals.notAnswered += r.lost.length;
      samples.push(...r.lost.slice(0, 2));
    }
  }
  console.log(
    `lost in total: ${totals.answered} with the client's answering GOAWAY, ${totals.notAnswered} without (${rounds} round(s) each${waitIdle ? ", shutdown() at no request in flight" : ""})`,
  );
  for (const s of samples.slice(0, 6)) console.log(`  ${s}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
