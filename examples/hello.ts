// The example app: `npm start` serves it. Edit it and `kill -HUP <pid>` to deploy without downtime.
import { Hono } from "hono";

const app = new Hono();
const started = new Date().toISOString();

app.get("/", (c) => c.text(`Hello from pounce (worker started ${started})\n`));
app.get("/slow", async (c) => {
  await new Promise((resolve) => setTimeout(resolve, Number(c.req.query("ms") ?? 2000)));
  return c.text("slow done\n");
});

export default app;
