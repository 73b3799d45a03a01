/**
 * `request_timeout`: a handler that runs longer gets its `request.signal` aborted and the client a
 * 504; a streaming body still running at the deadline is cut (the adapter then drops the connection).
 */
export class RequestTimeoutError extends Error {
  constructor(seconds: number) {
    super(`request exceeded request_timeout (${seconds.toFixed(1)}s)`);
    this.name = "RequestTimeoutError";
  }
}

export interface Deadline {
  request: Request;
  /** Race the handler's result against the deadline. */
  race(result: Promise<Response>): Promise<Response>;
  /** Cut a streaming body at the deadline; clears the timer when the body ends. */
  guardBody(response: Response): Response;
  clear(): void;
}

export function startDeadline(
  request: Request,
  timeoutMs: number,
  onTimeout: () => void,
  abortConnection?: () => void,
): Deadline {
  const controller = new AbortController();
  const error = new RequestTimeoutError(timeoutMs / 1000);
  // The app sees a request whose signal aborts on the deadline as well as on client disconnect.
  const signal = AbortSignal.any([request.signal, controller.signal]);
  const wrapped = new Request(request, { signal });
  let fired = false;
  let rejectRace: ((e: unknown) => void) | undefined;
  let cutBody: ((e: unknown) => void) | undefined;
  const timer = setTimeout(() => {
    fired = true;
    controller.abort(error);
    onTimeout();
    rejectRace?.(error);
    cutBody?.(error);
  }, timeoutMs);
  const clear = () => clearTimeout(timer);
  return {
    request: wrapped,
    clear,
    race(result) {
      if (fired) return Promise.reject(error);
      return new Promise<Response>((resolve, reject) => {
        rejectRace = reject;
        result.then(resolve, reject);
      });
    },
    guardBody(response) {
      const body = response.body;
      if (!body || fired) {
        clear();
        return response;
      }
      const reader = body.getReader();
      const guarded = new ReadableStream<Uint8Array>({
        start(ctrl) {
          cutBody = (e) => {
            if (abortConnection) {
              // Drop the connection first, so the client sees a cut response, not a complete one.
              abortConnection();
              ctrl.close();
            } else ctrl.error(e);
            reader.cancel(e).catch(() => {});
          };
        },
        async pull(ctrl) {
          try {
            const { done, value } = await reader.read();
            if (done) {
              clear();
              ctrl.close();
            } else ctrl.enqueue(value);
          } catch (e) {
            clear();
            ctrl.error(e);
          }
        },
        cancel(reason) {
          clear();
          return reader.cancel(reason);
        },
      });
      return new Response(guarded, { status: response.status, statusText: response.statusText, headers: response.headers });
    },
  };
}
