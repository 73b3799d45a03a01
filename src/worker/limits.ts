/**
 * Hostile-client limits: the core's policy, applied to every request the runtime's parser let
 * through. The timeouts and the header-size cap are carried out by each adapter (the runtime's own
 * knob where it has one, connection tracking where it has not, runtimes/<rt>/limits.ts); what a
 * handler can see is checked here, once, for every runtime:
 *  - a request without `Host` is a 400 (Node's and Bun's parsers refuse an HTTP/1.1 one already;
 *    pounce's check catches HTTP/1.0 too, and everything on Deno) — over plain HTTP: see
 *    parserLimitsFor for TLS;
 *  - a `Content-Length` above `maxBodyBytes` is a 413 before any of the body is read;
 *  - a body without a length (chunked) is counted as the app reads it: past `maxBodyBytes` the read
 *    fails and the response is a 413, whatever the app answered;
 *  - where the runtime's parser has no header-size knob (the adapter says so), a head above
 *    `maxHeaderBytes` is a 431.
 * Every refusal closes its connection (`Connection: close`): the rest of a body is never read.
 */

export interface RequestLimits {
  headerTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxBodyBytes: number;
  maxHeaderBytes: number;
}

/** What the runtime's own parser already enforces from RequestLimits (the adapter's statement). */
export interface ParserLimits {
  /** A head larger than maxHeaderBytes never reaches the handler. */
  headerSize: boolean;
  /** A chunked body larger than maxBodyBytes never reaches the handler whole. */
  chunkedBody: boolean;
  /** Leave the Host rule to the runtime (set for TLS by parserLimitsFor; no adapter claims it). */
  host: boolean;
  /** The runtime's server speaks HTTP/1.x only, over TLS too (Bun): every request has a Host rule. */
  http1Only?: boolean;
  /** A Content-Length above maxBodyBytes never reaches the handler (the runtime answers 413). */
  bodyLength?: boolean;
  /**
   * The head's fields as the runtime's parser holds them — flat (`[name, value, name, value, …]`,
   * Node's rawHeaders) or as pairs (Deno's list), names in any case, repeats kept — read without
   * building the Request's `Headers` (on Deno one `headers.get` costs a hello-world request about
   * 15 % of its throughput: bench/FINDINGS.md), or null where it cannot. `extras` is what the
   * adapter passed with the request. Given, admission reads everything it checks in one pass.
   */
  headerList?: (request: Request, extras: unknown) => HeaderList | null;
  /**
   * Where there is no list: whether the head carried `Host`, told from what the runtime already
   * built (Bun makes a request's url absolute only from a Host), or null to ask the Headers.
   */
  hostSent?: (request: Request) => boolean | null;
}

/**
 * With TLS a runtime may negotiate HTTP/2, whose requests carry `:authority` and no `Host` (Deno's
 * Request shows none, nor Node's), and a Request does not say which protocol it came on: the Host
 * rule is then left to the runtime's parser (Node's and Bun's refuse an HTTP/1.1 request without
 * Host; Deno's does not, so over TLS such a request passes on Deno — README, hostile clients). A
 * runtime without HTTP/2 (Bun) keeps pounce's rule: its Host-less requests have a bare-path url.
 */
export function parserLimitsFor(parser: ParserLimits, tls: boolean): ParserLimits {
  return tls && !parser.host && !parser.http1Only ? { ...parser, host: true } : parser;
}

/** A body read past the limit; the pipeline answers 413 for it. */
export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`request body larger than max_body_size (${limit} bytes)`);
    this.name = "BodyTooLargeError";
  }
}

const CLOSE = { "content-type": "text/plain; charset=utf-8", connection: "close" };

export function refusal(status: 400 | 413 | 431): Response {
  const text = status === 400 ? "Bad Request\n" : status === 413 ? "Content Too Large\n" : "Request Header Fields Too Large\n";
  return new Response(text, { status, headers: CLOSE });
}

export interface Admission {
  /** A refusal to send instead of calling the app, or the request to hand it (its body capped). */
  admit(request: Request, extras?: unknown): Response | Request;
  /** Whether this request's body went past the limit while the app read it. */
  overflowed(request: Request): boolean;
}

export function createAdmission(limits: RequestLimits, parser: ParserLimits): Admission {
  const max = limits.maxBodyBytes;
  const overflow = new WeakSet<Request>();
  /** Whether any body was capped yet: until then no request can have overflowed (no lookup). */
  let capping = false;
  const { headerList, hostSent } = parser;
  const hasHost = (request: Request): boolean => hostSent?.(request) ?? request.headers.get("host") !== null;
  return {
    admit(request, extras) {
      const list = headerList?.(request, extras) ?? null;
      const head = list ? fromList(request, list, !parser.headerSize) : null;
      if (!parser.host && !(head ? head.host : hasHost(request))) return refusal(400);
      if (!parser.headerSize && (head ? head.size : headSize(request)) > limits.maxHeaderBytes) return refusal(431);
      // From the head alone: `request.body` would make some runtimes' lazy requests (Node's) whole.
      if (!parser.bodyLength) {
        const length = head ? head.contentLength : request.headers.get("content-length");
        if (length !== null) {
          if (Number(length) <= max) return request;
          // Never read the rest; a runtime that would keep the connection for it lets go of it.
          void request.body?.cancel().catch(() => {});
          return refusal(413);
        }
      }
      if (parser.chunkedBody) return request;
      if (!(head ? head.chunked : request.headers.get("transfer-encoding") !== null) || request.body === null) return request;
      capping = true;
      const capped: Request = new Request(request.url, {
        method: request.method,
        headers: request.headers,
        signal: request.signal,
        body: cap(request.body, max, () => overflow.add(capped)),
        duplex: "half",
      } as RequestInit);
      return capped;
    },
    overflowed: (request) => capping && overflow.has(request),
  };
}

export type HeaderList = readonly string[] | readonly (readonly [string, string])[];

/** What admission checks, read from the parser's own list (names in any case, repeats kept). */
interface Head {
  host: boolean;
  size: number;
  contentLength: string | null;
  chunked: boolean;
}

function fromList(request: Request, list: HeaderList, sized: boolean): Head {
  const head: Head = {
    host: false,
    size: sized ? requestLineSize(request) : 0,
    contentLength: null,
    chunked: false,
  };
  if (typeof list[0] === "string") {
    const flat = list as readonly string[];
    for (let i = 0; i + 1 < flat.length; i += 2) field(head, flat[i] as string, flat[i + 1] as string);
  } else for (const [name, value] of list as readonly (readonly [string, string])[]) field(head, name, value);
  return head;
}

function field(head: Head, name: string, value: string): void {
  head.size += fieldSize(name, value);
  const n = name.length;
  if (n !== 4 && n !== 14 && n !== 17) return;
  const lower = name.toLowerCase();
  if (lower === "host") head.host = true;
  // Repeats joined as Headers.get joins them: "10, 10" is no number, so it is refused like one.
  else if (lower === "content-length")
    head.contentLength = head.contentLength === null ? value : `${head.contentLength}, ${value}`;
  else if (lower === "transfer-encoding") head.chunked = true;
}

/** The head's size as the client sent it, near enough: request line plus `name: value\r\n` lines. */
function headSize(request: Request): number {
  let n = requestLineSize(request);
  for (const [name, value] of request.headers) n += fieldSize(name, value);
  return n;
}

const requestLineSize = (request: Request): number => request.method.length + request.url.length + 12;
const fieldSize = (name: string, value: string): number => name.length + value.length + 4;

function cap(body: ReadableStream<Uint8Array>, max: number, onOverflow: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const { done, value } = await reader.read();
      if (done) return ctrl.close();
      seen += value.byteLength;
      if (seen > max) {
        onOverflow();
        ctrl.error(new BodyTooLargeError(max));
        void reader.cancel().catch(() => {});
        return;
      }
      ctrl.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
