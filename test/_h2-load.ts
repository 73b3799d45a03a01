/**
 * An HTTP/2 load client that behaves as a real one does across a server's GOAWAY, and accounts for
 * every stream by what the frames said (node:http2 is nghttp2, as h2load is):
 *  - answered: response headers and the end of the stream;
 *  - refused: closed with REFUSED_STREAM before any response header. RFC 9113 §8.7: such a stream was
 *    not processed, so it is safe to send again, and it is sent again (on a new connection), as
 *    h2load does not: h2load counts it "errored" and stops that client at the first GOAWAY;
 *  - lost: anything else (reset with another code, the connection closed under it, no end in time).
 * `connections` sessions with `streams` requests each in flight, until `stop()` (or `durationMs`, the
 * bound); after a GOAWAY or a closed session the next requests go on a new session.
 */
import http2 from "node:http2";

const REFUSED_STREAM = http2.constants.NGHTTP2_REFUSED_STREAM;

export interface LostStream {
  id: number | undefined;
  rstCode: number | undefined;
  status: number;
  /** lastStreamID of each GOAWAY its session had received by then. */
  goaways: number[];
  error?: string;
}

export interface H2LoadResult {
  answered: number;
  /** Streams closed with REFUSED_STREAM before a response (each then sent again). */
  refused: number;
  /** Of the refused streams, those with an id above the last-stream-id of a GOAWAY received. */
  refusedBeyondGoaway: number;
  lost: LostStream[];
  /** Response bodies seen, with how often. */
  bodies: Map<string, number>;
  sessions: number;
  goaways: number;
}

export interface RunningH2Load {
  /** Resolves once a response with this body has been answered. */
  seen(body: string): Promise<void>;
  /** Send no new requests; `result` resolves once the open streams have ended. */
  stop(): void;
  result: Promise<H2LoadResult>;
}

export function h2Load(
  url: string,
  ca: string,
  o: { connections: number; streams: number; durationMs: number; path?: string },
): RunningH2Load {
  const result: H2LoadResult = {
    answered: 0,
    refused: 0,
    refusedBeyondGoaway: 0,
    lost: [],
    bodies: new Map(),
    sessions: 0,
    goaways: 0,
  };
  let until = Date.now() + o.durationMs;
  const waiting = new Map<string, () => void>();
  let open = 0;
  let finished: () => void = () => {};
  const allDone = new Promise<void>((r) => (finished = r));

  const connection = () => {
    let session: http2.ClientHttp2Session | undefined;
    let goaways: number[] = [];
    const current = (): http2.ClientHttp2Session => {
      if (session && !session.closed && !session.destroyed && goaways.length === 0) return session;
      const s = http2.connect(url, { ca });
      const seen: number[] = [];
      s.on("error", () => {});
      s.on("goaway", (_code: number, lastStreamID: number) => {
        result.goaways++;
        seen.push(lastStreamID);
      });
      result.sessions++;
      session = s;
      goaways = seen;
      return s;
    };
    const send = (retry: boolean) => {
      if (!retry && Date.now() >= until) return;
      let s = current();
      let stream: http2.ClientHttp2Stream;
      try {
        stream = s.request({ ":path": o.path ?? "/" });
      } catch {
        // A GOAWAY or close that arrived between the check and the call: nothing was sent.
        goaways = goaways.length ? goaways : [-1];
        s = current();
        stream = s.request({ ":path": o.path ?? "/" });
      }
      const seen = goaways;
      open++;
      let status = 0;
      let body = "";
      let error: string | undefined;
      stream.on("response", (h) => (status = Number(h[":status"])));
      stream.setEncoding("utf8");
      stream.on("data", (d) => (body += d));
      stream.on("error", (err: Error & { code?: string }) => (error = err.code ?? err.message));
      stream.on("close", () => {
        open--;
        const id = stream.id;
        if (status === 200 && stream.rstCode === http2.constants.NGHTTP2_NO_ERROR && error === undefined) {
          result.answered++;
          result.bodies.set(body, (result.bodies.get(body) ?? 0) + 1);
          waiting.get(body)?.();
          send(false);
        } else if (status === 0 && stream.rstCode === REFUSED_STREAM) {
          result.refused++;
          if (id !== undefined && seen.some((last) => last >= 0 && id > last)) result.refusedBeyondGoaway++;
          send(true);
        } else {
          result.lost.push({ id, rstCode: stream.rstCode, status, goaways: [...seen], ...(error ? { error } : {}) });
          send(false);
        }
        if (open === 0 && Date.now() >= until) finished();
      });
    };
    for (let i = 0; i < o.streams; i++) send(false);
    return () => {
      if (session && !session.destroyed) session.close();
    };
  };

  const closers = Array.from({ length: o.connections }, connection);
  // Bounded: a stream still open 15 s after the duration is lost too.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((r) => {
    timer = setTimeout(() => {
      for (let i = 0; i < open; i++)
        result.lost.push({ id: undefined, rstCode: undefined, status: 0, goaways: [], error: "no end 15 s after the duration" });
      r();
    }, o.durationMs + 15_000);
  });
  const done = Promise.race([allDone, late]).then(() => {
    clearTimeout(timer);
    for (const close of closers) close();
    return result;
  });
  return {
    seen: (body) => (result.bodies.has(body) ? Promise.resolve() : new Promise<void>((r) => waiting.set(body, r))),
    stop() {
      until = Math.min(until, Date.now());
      if (open === 0) finished();
    },
    result: done,
  };
}
