/**
 * The health endpoint: answered before the app, never access-logged. It reports the server's state:
 * 200 "ok" while serving (reloads included), 503 "draining" from the first moment of a shutdown.
 */
export interface HealthState {
  shuttingDown: boolean;
  generation: number;
  worker: number;
  inFlight(): number;
}

export function healthResponse(request: Request, state: HealthState): Response {
  const status = state.shuttingDown ? 503 : 200;
  const body = JSON.stringify({
    status: state.shuttingDown ? "draining" : "ok",
    generation: state.generation,
    worker: state.worker,
    // The health request itself is not counted.
    in_flight: Math.max(0, state.inFlight() - 1),
  });
  return new Response(request.method === "HEAD" ? null : body, {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

/** Path of a request URL without building a URL object (the request path stays cheap). */
export function pathOf(url: string): string {
  // Bun leaves the url of a request without Host a bare path (an HTTP/1.0 health probe's).
  const start = url.charCodeAt(0) === 47 ? 0 : url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  let end = url.length;
  const q = url.indexOf("?", start);
  if (q >= 0) end = q;
  const h = url.indexOf("#", start);
  if (h >= 0 && h < end) end = h;
  return url.slice(start, end);
}
