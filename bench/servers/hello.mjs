// The hello-world fetch handler every server in the throughput runs serves (pounce imports it too).
export default {
  fetch() {
    return new Response("Hello, World!");
  },
};
