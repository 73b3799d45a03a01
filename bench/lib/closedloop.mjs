// Fallback closed-loop keep-alive generator (when wrk is absent): node closedloop.mjs URL SECONDS CONNS
// Prints one JSON line {rps, p50, p99, errors, requests}.
import http from "node:http";

const [url, seconds, conns] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
const lat = [];
let errors = 0;
const end = performance.now() + seconds * 1000;
async function loop() {
  while (performance.now() < end) {
    const t = performance.now();
    await new Promise((resolve) => {
      http
        .get(url, { agent }, (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode === 200) lat.push(performance.now() - t);
            else errors++;
            resolve();
          });
        })
        .on("error", () => {
          errors++;
          resolve();
        });
    });
  }
}
await Promise.all(Array.from({ length: conns }, loop));
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
console.log(JSON.stringify({ rps: lat.length / seconds, p50: q(0.5), p99: q(0.99), errors, requests: lat.length + errors }));
agent.destroy();
