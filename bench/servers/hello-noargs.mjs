// hello.mjs with a handler that declares no parameter. Deno.serve then skips building the Request at
// all (a fast path no real app takes: a Hono app's fetch declares (request, env, ctx)), so the bench
// compares against hello.mjs and bench/tools/ab.mjs shows this one beside it for reference.
export default {
  fetch() {
    return new Response("Hello, World!");
  },
};
