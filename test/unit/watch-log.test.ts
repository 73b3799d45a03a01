/** --reload's log lines: what the watcher watches, and the remedy when the inotify limit is hit. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Logger, type LogRecord } from "../../src/log.ts";
import { logObserver } from "../../src/supervisor/log-lines.ts";

function lines(...notes: Parameters<ReturnType<typeof logObserver>>[0][]): LogRecord[] {
  const records: LogRecord[] = [];
  const observe = logObserver(new Logger({ level: "debug", emit: (r) => records.push(r) }));
  for (const n of notes) observe(n);
  return records;
}

describe("watch: log lines", () => {
  it("says what is watched", () => {
    const [r] = lines({ event: "watch_started", dirs: 3, roots: ["src", "templates"], extensions: [".ts", ".html"] });
    assert.equal(r?.msg, "Watching 3 directories under src, templates for changes to .ts .html (--reload)");
    assert.equal(r?.event, "watch_started");
  });

  it("names the inotify limit's remedy on ENOSPC, and only then", () => {
    const [limit, other] = lines(
      {
        event: "watch_error",
        dir: "src/deep",
        message: "Error: ENOSPC: System limit for number of file watchers reached",
        limit: true,
      },
      { event: "watch_error", dir: "src/x", message: "Error: EACCES: permission denied", limit: false },
    );
    assert.equal(limit?.level, "warn");
    assert.match(
      limit?.msg ?? "",
      /^Cannot watch src\/deep for changes: .*ENOSPC.* — raise the inotify limit: sysctl -w fs\.inotify\.max_user_watches=524288$/,
    );
    assert.doesNotMatch(other?.msg ?? "", /sysctl/);
  });
});
