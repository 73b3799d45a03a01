/** Real HTTP on 127.0.0.1: one request, or closed-loop load bounded in time and count. */
import http from "node:http";

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request; rejects on any socket error or on the timeout. */
export function request(
  url: string,
  opts: {
    method?: string;
    agent?: http.Agent | false;
    timeoutMs?: number;
    headers?: Record<string, string>;
    /** Connect to this unix socket instead of the URL's host and port. */
    socketPath?: string;
  } = {},
): Promise<Reply> {
  const options = {
    method: opts.method ?? "GET",
    agent: opts.agent ?? false,
    headers: opts.headers,
    socketPath: opts.socketPath,
  };
  return replyTo(http.request(url, options), opts.timeoutMs);
}

/** Ends `req` and reads the whole reply as text; rejects on any socket error, or with "client
 *  timeout" when `timeoutMs` passes without one. */
export function replyTo(req: http.ClientRequest, timeoutMs = 15_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    req.end();
  });
}

export interface LoadResult {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  /** Body of each successful response, in completion order, with its completion time. */
  responses: Array<{ at: number; body: string }>;
}

export interface LoadOptions {
  keepAlive: number;
  perRequest: number;
  /** Upper bound on the run; `stop` may end it sooner. */
  durationMs: number;
  path?: string;
  maxRequests?: number;
  /** Ends the run when aborted (after the requests in flight complete), e.g. once a reload is done. */
  stop?: AbortSignal;
  /** A request unanswered this long counts as failed ("client timeout"); default 10 s. */
  requestTimeoutMs?: number;
  /** Send the load to this unix socket (the port is then ignored). */
  socketPath?: string;
  /** How one request is sent (default: plain HTTP through node:http; _https.ts gives HTTPS). */
  transport?: LoadTransport;
}

/** A load's way of sending: its kept-alive agent, and one request through an agent (false: a new connection). */
export interface LoadTransport {
  agent: http.Agent;
  send(path: string, agent: http.Agent | false, timeoutMs: number): Promise<Reply>;
}

/**
 * Closed-loop load: `keepAlive` clients reusing sockets back-to-back plus `perRequest` clients
 * opening a connection per request, until `durationMs` elapses or `stop` fires (bounded in time and
 * count).
 */
export function load(port: number, opts: LoadOptions): Promise<LoadResult> {
  return startLoad(port, opts).done;
}

export interface RunningLoad {
  /** Counts so far (the same object `done` resolves with). */
  readonly result: LoadResult;
  readonly done: Promise<LoadResult>;
  /** Let the requests in flight finish, send no more; resolves with the result. */
  stop(): Promise<LoadResult>;
  /** Resolves once `n` requests have completed: the load is really running (instead of a sleep). */
  seen(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once `what` holds of the results so far (checked as responses arrive); bounded. */
  until(what: string, pred: (r: LoadResult) => boolean, timeoutMs?: number): Promise<void>;
}

export function startLoad(port: number, opts: LoadOptions): RunningLoad {
  const result: LoadResult = { ok: 0, failed: 0, errors: {}, responses: [] };
  const transport: LoadTransport = opts.transport ?? {
    agent: new http.Agent({ keepAlive: true, maxSockets: opts.keepAlive }),
    send: (path, agent, timeoutMs) =>
      request(`http://127.0.0.1:${port}${path}`, {
        agent,
        timeoutMs,
        headers: agent === false ? { connection: "close" } : undefined,
        socketPath: opts.socketPath,
      }),
  };
  const { agent } = transport;
  const until = Date.now() + opts.durationMs;
  const max = opts.maxRequests ?? 200_000;
  const halt = new AbortController();
  opts.stop?.addEventListener("abort", () => halt.abort(), { once: true });
  if (opts.stop?.aborted) halt.abort();
  let sent = 0;
  const client = async (a: http.Agent | false) => {
    while (Date.now() < until && sent < max && !halt.signal.aborted) {
      sent++;
      try {
        const r = await transport.send(opts.path ?? "/", a, opts.requestTimeoutMs ?? 10_000);
        if (r.status >= 200 && r.status < 300) {
          result.ok++;
          result.responses.push({ at: Date.now(), body: r.body });
        } else {
          result.failed++;
          result.errors[`HTTP ${r.status}`] = (result.errors[`HTTP ${r.status}`] ?? 0) + 1;
        }
      } catch (err) {
        result.failed++;
        const key = (err as { code?: string }).code ?? (err as Error).message;
        result.errors[key] = (result.errors[key] ?? 0) + 1;
      }
    }
  };
  const done = Promise.all([
    ...Array.from({ length: opts.keepAlive }, () => client(agent)),
    ...Array.from({ length: opts.perRequest }, () => client(false)),
  ]).then(() => {
    agent.destroy();
    return result;
  });
  return {
    result,
    done,
    stop() {
      halt.abort();
      return done;
    },
    seen(n, timeoutMs = 10_000) {
      return this.until(`${n} responses`, (r) => r.ok + r.failed >= n, timeoutMs);
    },
    async until(what, pred, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let finished = false;
      done.then(() => (finished = true));
      while (!pred(result)) {
        if (finished) throw new Error(`load ended before ${what} (${result.ok} ok, ${result.failed} failed)`);
        if (Date.now() > deadline)
          throw new Error(`load: no ${what} within ${timeoutMs} ms (${result.ok} ok, ${result.failed} failed)`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}
