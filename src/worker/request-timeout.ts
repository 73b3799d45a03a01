/**
 * `request_timeout`: a handler that has not returned its Response (its headers) by the deadline gets
 * its `request.signal` aborted and the client a 504. It bounds time-to-response only: once the
 * Response is returned the deadline is cleared, and a streaming body (SSE, a download) runs until
 * it ends, the client leaves, or a drain's deadline cuts it.
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
  clear(): void;
}

export function startDeadline(request: Request, timeoutMs: number, onTimeout: () => void): Deadline {
  const controller = new AbortController();
  const error = new RequestTimeoutError(timeoutMs / 1000);
  // The app sees a request whose signal aborts on the deadline as well as on client disconnect.
  const signal = AbortSignal.any([request.signal, controller.signal]);
  const wrapped = new Request(request, { signal });
  let fired = false;
  let rejectRace: ((e: unknown) => void) | undefined;
  const timer = setTimeout(() => {
    fired = true;
    controller.abort(error);
    onTimeout();
    rejectRace?.(error);
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
  };
}
