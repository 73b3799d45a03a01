/**
 * HTTPS on every runtime: a renewed certificate goes live with SIGHUP under load with no failed
 * request, a bad one is refused while the old generation keeps serving, health and the request
 * timeout work over TLS, and a bad pair at start is a one-line error.
 */
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import tls from "node:tls";
import { type Certs, makeCerts, PASSPHRASE } from "./_certs.ts";
import { versionedApp, withPounce, withTempDir, writeApp } from "./_harness.ts";
import { handshake, httpsRequest, startHttpsLoad } from "./_https.ts";
import { runPounce } from "./_run.ts";
import { selectedRuntimes } from "./_runtimes.ts";

/** Replace `file` the way a renewal does: write beside it, rename over it. */
function replace(file: string, from: string): void {
  copyFileSync(from, `${file}.new`);
  renameSync(`${file}.new`, file);
}

/** The TLS files the server is started with (live.pem, live.key), from a fresh CA, serial A1. */
function served(dir: string): { certs: Certs; cert: string; key: string } {
  const certs = makeCerts(dir);
  const cert = join(dir, "live.pem");
  const key = join(dir, "live.key");
  copyFileSync(certs.leaf("first", "A1"), cert);
  copyFileSync(certs.keyFile, key);
  return { certs, cert, key };
}

/** An app that answers /leak with whether a PEM private key is in its argv or its environment. */
function leakApp(dir: string): string {
  return writeApp(
    dir,
    "app.ts",
    `import process from "node:process";
const LEAK = "PRIVATE" + " KEY";
export default {
  fetch(request: Request): Response {
    if (new URL(request.url).pathname !== "/leak") return new Response("v1");
    return Response.json({ argv: process.argv.join(" ").includes(LEAK), env: JSON.stringify(process.env).includes(LEAK) });
  },
};
`,
  );
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: TLS`, () => {
    it("a renewed certificate goes live with SIGHUP under HTTPS load: 0 failed requests, serial A1 → B2", async (t) => {
      let tls!: ReturnType<typeof served>;
      const args = (dir: string) => {
        tls = served(dir);
        return [versionedApp(dir, "v1"), "--workers", "2", "--tls-cert", tls.cert, "--tls-key", tls.key];
      };
      await withPounce(rt, args, async (p) => {
        const ca = tls.certs.caPem;
        assert.equal((await handshake(p.port, ca)).serial, "A1");
        const running = startHttpsLoad(p.port, ca, { keepAlive: 8, perRequest: 2, durationMs: 40_000 });
        await running.seen(100);
        replace(tls.cert, tls.certs.leaf("renewed", "B2"));
        const mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor("TLS certificate", { from: mark });
        await p.waitFor("Running 2 worker(s) on generation 1", { from: mark, timeoutMs: 30_000 });
        await running.seen(running.result.ok + running.result.failed + 200);
        const result = await running.stop();
        t.diagnostic(`${result.ok} ok, ${result.failed} failed`);
        assert.deepEqual(result.errors, {}, `failed requests: ${JSON.stringify(result.errors)}`);
        assert.ok(result.ok > 200, `only ${result.ok} requests`);
        assert.match(p.output.slice(mark), /TLS certificate .*live\.pem: serial B2, valid until /);
        for (let i = 0; i < 6; i++)
          assert.equal((await handshake(p.port, ca)).serial, "B2", "new connections get the new certificate");
      });
    });

    it("a bad certificate on reload (expired, another key, missing file) is refused; the old one keeps serving", async () => {
      let tls!: ReturnType<typeof served>;
      const args = (dir: string) => {
        tls = served(dir);
        return [versionedApp(dir, "v1"), "--workers", "2", "--tls-cert", tls.cert, "--tls-key", tls.key];
      };
      await withPounce(rt, args, async (p) => {
        const ca = tls.certs.caPem;
        const good = join(tls.certs.dir, "first.pem");
        const cases: Array<[string, () => void, RegExp]> = [
          ["expired", () => replace(tls.cert, tls.certs.leaf("expired", "E0", -1)), /live\.pem expired on .* \(serial E0\)/],
          ["another key", () => replace(tls.key, tls.certs.otherKeyFile), /live\.key does not match the certificate .*live\.pem/],
          ["missing", () => rmSync(tls.cert), /live\.pem does not exist/],
        ];
        for (const [what, breakIt, why] of cases) {
          replace(tls.cert, good);
          replace(tls.key, tls.certs.keyFile);
          breakIt();
          const mark = p.output.length;
          p.signal("SIGHUP");
          const at = await p.waitFor("Reload failed — continuing with previous version", { from: mark });
          const line = p.output.slice(at).split("\n")[0] as string;
          assert.match(line, why, `${what}: ${line}`);
          assert.doesNotMatch(p.output.slice(mark), /Spawning 2 worker\(s\) \(generation 1\)/, `${what}: nothing started`);
          assert.equal((await handshake(p.port, ca)).serial, "A1", `${what}: the old certificate serves`);
          assert.equal((await httpsRequest(`https://127.0.0.1:${p.port}/`, ca)).body, "v1");
        }
        // Put right, the next reload goes through.
        replace(tls.cert, tls.certs.leaf("fixed", "F3"));
        replace(tls.key, tls.certs.keyFile);
        const mark = p.output.length;
        p.signal("SIGHUP");
        await p.waitFor("Running 2 worker(s) on generation 1", { from: mark, timeoutMs: 30_000 });
        assert.equal((await handshake(p.port, ca)).serial, "F3");
      });
    });

    it("health and the request timeout work over HTTPS; an encrypted key opens with POUNCE_TLS_KEY_PASSPHRASE", async () => {
      let certs!: Certs;
      const args = (dir: string) => {
        certs = makeCerts(dir);
        return [
          versionedApp(dir, "v1"),
          "--tls-cert",
          certs.leaf("a", "A1"),
          "--tls-key",
          certs.encryptedKeyFile,
          "--health-check-path",
          "/healthz",
          "--request-timeout",
          "1",
        ];
      };
      await withPounce(rt, args, { env: { POUNCE_TLS_KEY_PASSPHRASE: PASSPHRASE } }, async (p) => {
        assert.match(p.output, new RegExp(`Ready to accept connections on https://127\\.0\\.0\\.1:${p.port} `));
        const base = `https://127.0.0.1:${p.port}`;
        const health = await httpsRequest(`${base}/healthz`, certs.caPem);
        assert.equal(health.status, 200);
        assert.equal(JSON.parse(health.body).status, "ok");
        const slow = await httpsRequest(`${base}/slow?ms=4000`, certs.caPem);
        assert.equal(slow.status, 504);
        assert.equal((await httpsRequest(`${base}/`, certs.caPem)).body, "v1");
        assert.equal((await handshake(p.port, certs.caPem)).serial, "A1");
      });
    });

    it("--tls-ca sends the intermediate after a leaf-only certificate; the key is on no command line or environment", async () => {
      let certs!: Certs;
      const args = (dir: string) => {
        certs = makeCerts(dir);
        const { intermediateFile, leafFile } = certs.chain();
        return [leakApp(dir), "--workers", "2", "--tls-cert", leafFile, "--tls-key", certs.keyFile, "--tls-ca", intermediateFile];
      };
      await withPounce(rt, args, async (p) => {
        // The client trusts the root only: it can verify the leaf only with the intermediate sent.
        assert.equal((await httpsRequest(`https://127.0.0.1:${p.port}/`, certs.caPem)).body, "v1");
        const hs = await handshake(p.port, certs.caPem);
        assert.equal(hs.serial, "20");
        assert.equal(hs.issuerSerial, "10", "the intermediate is sent");
        // What the app's own process holds: argv and environment (its children would inherit it).
        const seen = JSON.parse((await httpsRequest(`https://127.0.0.1:${p.port}/leak`, certs.caPem)).body);
        assert.deepEqual(seen, { argv: false, env: false }, "the PEM key reaches the worker only over IPC");
        const keyBody = readFileSync(certs.keyFile, "utf8").split("\n")[1] as string;
        const pids = [p.pid, ...p.groupPids()];
        assert.ok(pids.length >= 3, `supervisor and two workers: ${pids}`);
        for (const pid of pids) {
          for (const what of ["cmdline", "environ"]) {
            let text = "";
            try {
              text = readFileSync(`/proc/${pid}/${what}`, "latin1");
            } catch {
              continue; // gone meanwhile
            }
            assert.ok(!text.includes("PRIVATE KEY") && !text.includes(keyBody), `the key is in /proc/${pid}/${what}`);
          }
        }
      });
    });

    // Node only: its HTTPS/1.1 runs node:http's connection handling on the http2 server, whose idle
    // timeout pounce sets to node:http's default (Bun and Deno keep their own servers' behaviour).
    if (rt.name.startsWith("node"))
      it("an idle kept-alive HTTPS/1.1 connection is closed after node:http's keep-alive timeout", async () => {
        let certs!: Certs;
        const args = (dir: string) => {
          certs = makeCerts(dir);
          return [versionedApp(dir, "v1"), "--tls-cert", certs.leaf("a", "A1"), "--tls-key", certs.keyFile];
        };
        await withPounce(rt, args, async (p) => {
          // A raw socket: no client library that might close an idle connection itself.
          const closedAfter = await new Promise<number>((resolve, reject) => {
            const socket = tls.connect({ host: "127.0.0.1", port: p.port, ca: certs.caPem, ALPNProtocols: ["http/1.1"] }, () =>
              socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
            );
            let answeredAt = 0;
            socket.on("data", (d) => {
              if (!answeredAt && d.toString().endsWith("v1")) answeredAt = Date.now();
            });
            socket.once("close", () => (answeredAt ? resolve(Date.now() - answeredAt) : reject(new Error("closed unanswered"))));
            socket.on("error", () => {});
            setTimeout(() => {
              socket.destroy();
              reject(new Error("the idle socket is still open after 15 s"));
            }, 15_000);
          });
          assert.ok(closedAfter >= 3_000 && closedAfter < 12_000, `closed after ${closedAfter} ms`);
        });
      });

    it(
      rt.name === "deno"
        ? "--uds with TLS is refused at start (Deno.serve would serve plain HTTP on the socket)"
        : "--uds with TLS: HTTPS on the unix socket",
      async () => {
        await withTempDir(async (dir) => {
          const certs = makeCerts(dir);
          const sock = join(dir, "app.sock");
          const flags = [versionedApp(dir, "v1"), "--uds", sock, "--tls-cert", certs.leaf("a", "A1"), "--tls-key", certs.keyFile];
          if (rt.name === "deno") {
            const ran = await runPounce(rt, flags, { cwd: dir, timeoutMs: 20_000 });
            assert.equal(ran.code, 1, ran.stderr);
            assert.match(ran.stderr, /Failed to start: .*Deno\.serve cannot serve TLS on a unix socket/);
            return;
          }
          await withPounce(rt, flags, { dir }, async () => {
            const r = await httpsRequest("https://127.0.0.1/", certs.caPem, { socketPath: sock });
            assert.equal(r.body, "v1");
          });
        });
      },
    );

    it("at start, a bad certificate or half a pair is a one-line error and a non-zero exit", async () => {
      await withTempDir(async (dir) => {
        const certs = makeCerts(dir);
        const app = versionedApp(dir, "v1");
        const expired = certs.leaf("expired", "E0", -1);
        const good = certs.leaf("good", "A1");
        const runs: Array<[string[], RegExp]> = [
          [
            ["--tls-cert", expired, "--tls-key", certs.keyFile],
            /^pounce: error: TLS file .*expired\.pem expired on .*\(serial E0\)$/,
          ],
          [
            ["--tls-cert", good, "--tls-key", certs.otherKeyFile],
            /^pounce: error: TLS file .*other\.key does not match the certificate/,
          ],
          [
            ["--tls-cert", join(dir, "none.pem"), "--tls-key", certs.keyFile],
            /^pounce: error: TLS file .*none\.pem does not exist$/,
          ],
          [["--tls-cert", good], /^pounce: error: --tls-cert needs --tls-key/],
        ];
        for (const [flags, want] of runs) {
          const ran = await runPounce(rt, [app, "--port", "0", ...flags], { cwd: dir, timeoutMs: 20_000 });
          const lines = ran.stderr.trim().split("\n");
          assert.equal(ran.code, 2, `${flags.join(" ")}: exit ${ran.code}\n${ran.stderr}`);
          assert.equal(lines.length, 1, `one line: ${ran.stderr}`);
          assert.match(lines[0] as string, want);
        }
      });
    });
  });
}
