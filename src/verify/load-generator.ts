/**
 * The open-loop load: requests are scheduled at a fixed rate whatever the server does, and each
 * latency is measured from its *scheduled* send time, so a stall shows as queueing delay instead of
 * silently slowing the client (no coordinated omission). Most requests go over a pool of kept-alive
 * connections, reused most-recently-freed first (as Node's http.Agent does); a share opens a fresh
 * connection each (Connection: close). node:net only, which every supported runtime provides.
 */
import net from "node:net";
import { responseReader } from "./http-response.ts";
import { encodeRequest, type RequestSpec } from "./request-plan.ts";

/** One request's fate. Times are wall-clock milliseconds (performance.timeOrigin + now()). */
export interface Sample {
  /** When it was due. */
  sched: number;
  /** When its bytes were written (null: never sent). */
  sent: number | null;
  done: number;
  /** On a connection of its own rather than the kept-alive pool. */
  fresh: boolean;
  /** When its connection started opening. */
  connStart: number | null;
  /** Whether its connection was established (a fresh one may be refused or reset before). */
  connected: boolean;
  /** Which of the planned requests (index into the plan). */
  req: number;
  status: number | null;
  /** The socket error code, "eof"/"closed" (the server closed first), "timeout" or "unsent". */
  error: string | null;
  deploy: number | null;
}

export interface LoadOptions {
  host: string;
  port: number;
  rate: number;
  /** Share of requests (0–1) sent on a fresh connection each. */
  freshShare: number;
  /** Most kept-alive connections at once. */
  maxConnections: number;
  timeoutMs: number;
  plan: RequestSpec[];
}

export const now = (): number => performance.timeOrigin + performance.now();

interface Conn {
  socket: net.Socket;
  started: number;
  busy: { sched: number; sent: number; req: number } | undefined;
  dead: boolean;
}

export class LoadGenerator {
  readonly samples: Sample[] = [];
  scheduled = 0;
  readonly #o: LoadOptions;
  readonly #keep: Buffer[];
  readonly #close: Buffer[];
  readonly #idle: Conn[] = [];
  readonly #open = new Set<Conn>();
  readonly #queue: Array<{ sched: number; req: number }> = [];
  readonly #fresh = new Set<() => void>();
  #start = 0;
  #stopAt = Number.POSITIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #freshDue = 0;
  #onSend: Array<() => void> = [];

  constructor(o: LoadOptions) {
    this.#o = o;
    this.#keep = o.plan.map((r) => encodeRequest(r, o.host, false));
    this.#close = o.plan.map((r) => encodeRequest(r, o.host, true));
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    let n = this.#fresh.size;
    for (const c of this.#open) if (c.busy) n++;
    return n;
  }

  /** Resolves right after the next request is written: it is in flight when the caller resumes. */
  nextSend(): Promise<void> {
    return new Promise((resolve) => this.#onSend.push(resolve));
  }

  #sent(): void {
    for (const f of this.#onSend.splice(0)) f();
  }

  start(): void {
    this.#start = now();
    this.#tick();
  }

  /**
   * Stop scheduling now: requests due but not yet sent (every pooled connection busy) are recorded
   * as unsent; resolves once every request sent has settled (each bounded by the timeout).
   */
  async stop(): Promise<void> {
    this.#stopAt = now();
    this.#expireQueue(Number.POSITIVE_INFINITY, "unsent");
    const deadline = this.#stopAt + this.#o.timeoutMs + 1000;
    while (now() < deadline && this.inFlight > 0) await pause(10);
    clearTimeout(this.#timer);
    this.#expire(Number.POSITIVE_INFINITY);
    for (const c of this.#open) c.socket.destroy();
  }

  #tick(): void {
    const t = Math.min(now(), this.#stopAt);
    const due = Math.floor(((t - this.#start) * this.#o.rate) / 1000);
    while (this.scheduled < due) {
      const n = this.scheduled++;
      const sched = this.#start + (n * 1000) / this.#o.rate;
      const req = n % this.#o.plan.length;
      // Spread the fresh share evenly: every 1/share-th request opens its own connection.
      this.#freshDue += this.#o.freshShare;
      if (this.#freshDue >= 1) {
        this.#freshDue -= 1;
        this.#oneShot(sched, req);
      } else this.#queue.push({ sched, req });
    }
    this.#pump();
    this.#expire(now() - this.#o.timeoutMs);
    this.#timer = setTimeout(() => this.#tick(), 1);
  }

  #record(s: Omit<Sample, "done">): void {
    this.samples.push({ ...s, done: now() });
  }

  /** Requests past the timeout: queued ones never sent, kept-alive ones never answered. */
  #expire(limit: number): void {
    this.#expireQueue(limit, "timeout");
    for (const c of this.#open) if (c.busy && c.busy.sched < limit) this.#drop(c, "timeout");
  }

  #expireQueue(limit: number, error: "timeout" | "unsent"): void {
    while (this.#queue.length && (this.#queue[0] as { sched: number }).sched < limit) {
      const q = this.#queue.shift() as { sched: number; req: number };
      this.#record({ ...q, sent: null, fresh: false, connStart: null, connected: false, status: null, error, deploy: null });
    }
  }

  #pump(): void {
    while (this.#queue.length) {
      const conn = this.#idle.pop();
      if (!conn) {
        if (this.#open.size < this.#o.maxConnections) this.#connect();
        return;
      }
      const q = this.#queue.shift() as { sched: number; req: number };
      conn.busy = { ...q, sent: now() };
      conn.socket.write(this.#keep[q.req] as Buffer);
      this.#sent();
    }
  }

  #connect(): void {
    const socket = net.connect({ host: this.#o.host, port: this.#o.port });
    socket.setNoDelay(true);
    const conn: Conn = { socket, started: now(), busy: undefined, dead: false };
    this.#open.add(conn);
    socket.on("connect", () => {
      if (conn.dead) return;
      this.#idle.push(conn);
      this.#pump();
    });
    socket.on(
      "data",
      responseReader(
        (head) => {
          const b = conn.busy;
          if (!b) return;
          conn.busy = undefined;
          this.#record({
            ...b,
            fresh: false,
            connStart: conn.started,
            connected: true,
            status: head.status,
            error: null,
            deploy: head.deploy,
          });
          if (head.close) this.#drop(conn, null);
          else this.#idle.push(conn);
          this.#pump();
        },
        () => this.#o.plan[conn.busy?.req ?? 0]?.method === "HEAD",
      ),
    );
    socket.on("error", (e: NodeJS.ErrnoException) => this.#drop(conn, e.code ?? "error"));
    socket.on("end", () => this.#drop(conn, "eof"));
    socket.on("close", () => this.#drop(conn, "closed"));
  }

  #drop(conn: Conn, error: string | null): void {
    if (conn.dead) return;
    conn.dead = true;
    this.#open.delete(conn);
    const i = this.#idle.indexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    const b = conn.busy;
    conn.busy = undefined;
    if (b)
      this.#record({
        ...b,
        fresh: false,
        connStart: conn.started,
        connected: true,
        status: null,
        error: error ?? "closed",
        deploy: null,
      });
    conn.socket.destroy();
    this.#pump();
  }

  #oneShot(sched: number, req: number): void {
    const connStart = now();
    let settled = false;
    let connected = false;
    const socket = net.connect({ host: this.#o.host, port: this.#o.port });
    const finish = (status: number | null, error: string | null, deploy: number | null) => {
      if (settled) return;
      settled = true;
      this.#fresh.delete(onTimeout);
      clearTimeout(timer);
      this.#record({ sched, sent: connStart, fresh: true, connStart, connected, req, status, error, deploy });
      socket.destroy();
    };
    const onTimeout = () => finish(null, "timeout", null);
    const timer = setTimeout(onTimeout, this.#o.timeoutMs);
    this.#fresh.add(onTimeout);
    socket.on("connect", () => {
      connected = true;
      socket.write(this.#close[req] as Buffer);
      this.#sent();
    });
    socket.on(
      "data",
      responseReader(
        (head) => finish(head.status, null, head.deploy),
        () => this.#o.plan[req]?.method === "HEAD",
      ),
    );
    socket.on("error", (e: NodeJS.ErrnoException) => finish(null, e.code ?? "error", null));
    socket.on("end", () => finish(null, "eof", null));
    socket.on("close", () => finish(null, "closed", null));
  }
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
