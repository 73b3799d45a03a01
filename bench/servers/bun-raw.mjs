// Bun.serve; with $WORKERS > 1 the first process spawns that many reusePort processes.
import { app, hostname, port } from "./_app.mjs";

const workers = Number(process.env.WORKERS ?? 0);
if (workers > 0 && !process.env.BUN_CHILD) {
  for (let i = 0; i < workers; i++) {
    Bun.spawn([process.execPath, import.meta.path], {
      env: { ...process.env, BUN_CHILD: "1" },
      stdio: ["ignore", "inherit", "inherit"],
    });
  }
} else {
  Bun.serve({ fetch: app.fetch, port, hostname, reusePort: workers > 0 });
}
