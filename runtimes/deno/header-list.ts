/**
 * A Deno.serve request's head fields, read the cheap way. Building `request.headers` and iterating it
 * (sorted, repeats joined) costs a hello-world request on Deno about a third of its throughput; the
 * list Deno's own Headers are built from is one call into the runtime and no sort. It sits on the
 * Request's inner request (the `Symbol(request)` slot, its `headerList` getter), which is Deno's
 * internal shape, not an API: where it is missing (another Deno version) this returns null and the
 * core reads the public Headers instead — same checks, slower. test/deno.test.ts holds that the
 * installed Deno has it, so a Deno upgrade that drops it fails there, not only in the bench.
 */
let slot: symbol | null | undefined;

/** The head's `[name, value]` pairs as the client sent them (ParserLimits.headerList), or null. */
export function denoHeaderList(request: Request): [string, string][] | null {
  if (slot === undefined) slot = Object.getOwnPropertySymbols(request).find((s) => s.description === "request") ?? null;
  if (slot === null) return null;
  try {
    const list = (request as unknown as Record<symbol, { headerList?: unknown } | undefined>)[slot]?.headerList;
    return Array.isArray(list) ? (list as [string, string][]) : null;
  } catch {
    return null; // a closed request: the public path says what is wrong with it
  }
}
