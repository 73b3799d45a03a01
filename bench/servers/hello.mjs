// The hello-world fetch handler every server in the throughput runs serves (pounce imports it too).
// It declares its request parameter as every real app does: Deno.serve has a fast path for a handler
// declaring none that skips building the Request (see hello-noargs.mjs), which pounce, reading the
// URL for its health endpoint, cannot take.
export default {
  fetch(_request) {
    return new Response("Hello, World!");
  },
};
