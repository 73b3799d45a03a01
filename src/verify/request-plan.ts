/**
 * What verify sends: `--path` values (GET, repeatable) or a `--requests FILE` of lines
 * `METHOD PATH [BODY]` (blank lines and `#` comments skipped), taken in turn.
 */
import { readFileSync } from "node:fs";
import { errors } from "../errors.ts";

export interface RequestSpec {
  method: string;
  path: string;
  body: string;
}

const METHOD = /^[A-Z]+$/;

export function parseRequestsFile(text: string, file: string): RequestSpec[] {
  const out: RequestSpec[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /^(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (!m || !METHOD.test(m[1] as string) || !(m[2] as string).startsWith("/"))
      throw errors.badValue(`--requests ${file} line ${i + 1}`, 'must read METHOD /path [body], e.g. POST /items {"a":1}', line);
    out.push({ method: m[1] as string, path: m[2] as string, body: m[3] ?? "" });
  });
  if (out.length === 0) throw errors.badValue(`--requests ${file}`, "holds no request lines (METHOD /path [body])", "");
  return out;
}

export function requestPlan(paths: string[], requestsFile: string | undefined): RequestSpec[] {
  if (requestsFile) {
    let text: string;
    try {
      text = readFileSync(requestsFile, "utf8");
    } catch (err) {
      throw errors.badValue("--requests", `cannot be read: ${(err as Error).message}`, requestsFile);
    }
    return parseRequestsFile(text, requestsFile);
  }
  for (const p of paths) if (!p.startsWith("/")) throw errors.badValue("--path", "must start with /", p);
  return (paths.length ? paths : ["/"]).map((path) => ({ method: "GET", path, body: "" }));
}

/** The bytes of one request; `close` asks the server to close the connection after it. */
export function encodeRequest(r: RequestSpec, host: string, close: boolean): Buffer {
  const body = Buffer.from(r.body);
  const head = [
    `${r.method} ${r.path} HTTP/1.1`,
    `Host: ${host}`,
    ...(close ? ["Connection: close"] : []),
    ...(body.length || !["GET", "HEAD", "DELETE", "OPTIONS"].includes(r.method) ? [`Content-Length: ${body.length}`] : []),
    ...(body.length ? ["Content-Type: application/octet-stream"] : []),
  ];
  return Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"), body]);
}
