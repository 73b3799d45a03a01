#!/usr/bin/env node
// A throw-away npm registry on 127.0.0.1 for test/install.test.ts: `npm publish` stores packages
// here (in memory), and every other package is fetched from UPSTREAM (https://registry.npmjs.org)
// as it is, so pounce's own dependencies install as they would for a user.
//
// A separate process on purpose: the same server inside the test process made `npm install`
// against it hang. Prints `listening <port>` once bound; each request line after that as
// `<METHOD> <path> <status>` (the test checks that pounce's tarball came from here). Exits on
// SIGTERM or when its stdin closes (the test died).
import { createHash } from "node:crypto";
import { createServer } from "node:http";

const UPSTREAM = process.env.POUNCE_TEST_UPSTREAM ?? "https://registry.npmjs.org";
/** name → packument; tarball path → bytes */
const packages = new Map();
const tarballs = new Map();
let origin = "";

function send(res, status, body, type = "application/json") {
  const bytes = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(bytes) });
  res.end(bytes);
}

/** npm publish: PUT /<name> with the packument and the tarball as a base64 attachment. */
function publish(name, doc) {
  const known = packages.get(name) ?? { name, "dist-tags": {}, versions: {}, time: {} };
  for (const [file, att] of Object.entries(doc._attachments ?? {})) {
    const bytes = Buffer.from(att.data, "base64");
    const version = Object.keys(doc.versions ?? {}).find((v) => file.endsWith(`-${v}.tgz`));
    if (!version) return "attachment names no version";
    if (known.versions[version]) return `${name}@${version} is already published`;
    const path = `/${name}/-/${file.split("/").pop()}`;
    tarballs.set(path, bytes);
    const manifest = doc.versions[version];
    manifest.dist = {
      ...manifest.dist,
      tarball: `${origin}${path}`,
      shasum: createHash("sha1").update(bytes).digest("hex"),
      integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
    };
    known.versions[version] = manifest;
    known.time[version] = new Date().toISOString();
  }
  Object.assign(known["dist-tags"], doc["dist-tags"]);
  known.time.modified = new Date().toISOString();
  packages.set(name, known);
  return undefined;
}

async function proxy(req, res) {
  const headers = {};
  if (req.headers.accept) headers.accept = req.headers.accept;
  const upstream = await fetch(`${UPSTREAM}${req.url}`, { method: req.method, headers, redirect: "follow" });
  // fetch has already undone any content-encoding: pass the plain bytes on.
  const body = Buffer.from(await upstream.arrayBuffer());
  const out = { "content-length": body.length };
  for (const h of ["content-type", "etag", "last-modified", "cache-control"]) {
    const v = upstream.headers.get(h);
    if (v) out[h] = v;
  }
  res.writeHead(upstream.status, out);
  res.end(req.method === "HEAD" ? undefined : body);
  return upstream.status;
}

const server = createServer(async (req, res) => {
  const path = decodeURIComponent((req.url ?? "/").split("?")[0]);
  let status = 500;
  try {
    const body = [];
    for await (const chunk of req) body.push(chunk);
    if (req.method === "PUT" && !path.includes("/-/")) {
      const name = path.slice(1);
      const err = publish(name, JSON.parse(Buffer.concat(body).toString("utf8")));
      status = err ? 409 : 201;
      send(res, status, err ? { error: err } : { ok: true, id: name });
    } else if (req.method === "POST" && path === "/-/test/age") {
      // Dates every publish back by ?hours= (Deno refuses packages younger than its
      // minimum dependency age, 24 h by default): "as if published that long ago".
      const hours = Number(new URL(req.url ?? "/", origin).searchParams.get("hours"));
      for (const doc of packages.values())
        for (const k of Object.keys(doc.time)) doc.time[k] = new Date(Date.parse(doc.time[k]) - hours * 3_600_000).toISOString();
      status = 200;
      send(res, status, { ok: true });
    } else if (path.startsWith("/-/")) {
      // npm's audit, ping and the like: nothing to say
      status = path === "/-/ping" ? 200 : 404;
      send(res, status, status === 200 ? {} : { error: "not here" });
    } else if (tarballs.has(path)) {
      status = 200;
      send(res, status, tarballs.get(path), "application/octet-stream");
    } else if (packages.has(path.slice(1))) {
      status = 200;
      send(res, status, packages.get(path.slice(1)));
    } else {
      status = await proxy(req, res);
    }
  } catch (err) {
    if (!res.headersSent) send(res, 502, { error: String(err) });
    else res.destroy();
    status = 502;
  }
  process.stdout.write(`${req.method} ${path} ${status}\n`);
});

server.listen(0, "127.0.0.1", () => {
  origin = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
