/**
 * The app contract: what pounce accepts from the user's module and what it passes to `fetch`.
 *
 *   export default { fetch(request, ctx) { … }, onDrain(info) { … } }
 *   export default { fetch: app.fetch, websocket }   // WebSockets (see ServeOptions.webSocket)
 *   export default app            // a Hono app: app.fetch(request, env, executionCtx)
 *   pounce app.ts:api             // a named export of either shape
 *
 * `fetch` is called as `fetch(request, ctx, ctx)`: Hono reads its second argument as `env` (where
 * @hono/node-server's `incoming`/`outgoing` live, kept on Node) and its third as the execution
 * context (`waitUntil`).
 */
import { errors } from "./errors.ts";

export interface DrainInfo {
  /** Why this worker drains: a reload, a shutdown, its own replacement after a fatal error, or one
   *  worker fewer (SIGTTOU). */
  reason: "reload" | "shutdown" | "replace" | "scale";
  /** Milliseconds until the supervisor force-stops this worker. */
  timeoutMs: number;
  /** Aborted when that time is up. */
  signal: AbortSignal;
}

export interface ServeContext {
  /** The client's address, in Deno's shape (a unix socket's client has no name: `path` is ""). */
  remoteAddr: { transport: "tcp"; hostname: string; port: number } | { transport: "unix"; path: string };
  /** Keep this worker alive until `promise` settles (bounded by the drain timeout). */
  waitUntil(promise: Promise<unknown>): void;
  /** Hono's ExecutionContext has it; pounce has no upstream to pass to, so it does nothing. */
  passThroughOnException(): void;
  worker: { id: number; generation: number };
  /** Runtime-specific extras from the adapter, e.g. `incoming`/`outgoing` (Node) or `server` (Bun). */
  [extra: string]: unknown;
}

export type FetchHandler = (request: Request, ctx: ServeContext, executionCtx: ServeContext) => Response | Promise<Response>;

export interface PounceApp {
  fetch: FetchHandler;
  /** Called once when this worker starts draining; drain waits for it up to the timeout. */
  onDrain?: (info: DrainInfo) => void | Promise<void>;
  /** The runtime's WebSocket handling, passed through to its server (see ServeOptions.webSocket). */
  websocket?: unknown;
}

/** Pick the app out of an imported module namespace, or explain in one line why not. */
export function resolveApp(mod: Record<string, unknown>, exportName: string, entryLabel: string): PounceApp {
  let target: unknown = mod[exportName];
  if (exportName === "default") {
    // jiti/CJS interop can nest the default export one level deeper.
    const inner = (target as { default?: unknown } | undefined)?.default;
    if (!hasFetch(target) && hasFetch(inner)) target = inner;
    // `export function fetch() {}` at module level.
    if (target === undefined && typeof mod.fetch === "function") target = mod;
  }
  if (typeof target === "function" && !hasFetch(target)) {
    return { fetch: target as FetchHandler };
  }
  if (!hasFetch(target)) {
    const found =
      target === undefined
        ? `no export named "${exportName}"; exports: ${Object.keys(mod).join(", ") || "none"}`
        : `it is ${target === null ? "null" : typeof target} without a fetch method`;
    throw errors.noFetch(entryLabel, exportName, found);
  }
  const app = target as { fetch: FetchHandler; onDrain?: PounceApp["onDrain"]; websocket?: unknown };
  return {
    fetch: app.fetch.bind(app),
    onDrain: typeof app.onDrain === "function" ? app.onDrain.bind(app) : undefined,
    websocket: app.websocket ?? undefined,
  };
}

function hasFetch(value: unknown): boolean {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { fetch?: unknown }).fetch === "function"
  );
}
