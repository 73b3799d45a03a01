/**
 * The reload queue seen from outside: a reload asked for within a second of the previous one's start
 * waits for the cooldown, says so, and then runs (issue 9 bug 7: it used to claim "A reload is
 * already in progress" when none was).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { request, versionedApp, withPounce } from "./_harness.ts";
import { selectedRuntimes } from "./_runtimes.ts";

/** When pounce logged the first line matching `re` at or after `from` (its own timestamp, UTC). */
function loggedAt(output: string, re: RegExp, from = 0): number {
  const line = output
    .slice(from)
    .split("\n")
    .find((l) => re.test(l));
  const m = line && /^\[(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3})\]/.exec(line);
  assert.ok(m, `no log line matching ${re}`);
  return Date.parse(`${m[1]}T${m[2]}Z`);
}

for (const rt of selectedRuntimes()) {
  describe(`${rt.name}: reload queue`, () => {
    it("a reload asked for inside the 1 s cooldown says it waits for it (not 'already in progress'), then runs", async () => {
      const args = (dir: string) => [versionedApp(dir, "v1"), "--workers", "1", "--reload-stagger", "0"];
      await withPounce(rt, args, async (p, dir) => {
        const mark = p.output.length;
        versionedApp(dir, "v2");
        p.signal("SIGHUP");
        await p.waitFor("Successfully reimported", { from: mark });
        const second = p.output.length;
        versionedApp(dir, "v3");
        p.signal("SIGHUP");
        await p.waitFor("Graceful reload complete. Running 1 worker(s) on generation 2", { from: second, timeoutMs: 30_000 });
        const after = p.output.slice(second);
        assert.doesNotMatch(after, /A reload is already in progress/, "no reload was starting");
        const firstStart = loggedAt(p.output, /Spawning 1 worker\(s\) \(generation 1\)/, mark);
        const asked = loggedAt(p.output, /Received SIGHUP/, second);
        const secondStart = loggedAt(p.output, /Spawning 1 worker\(s\) \(generation 2\)/, second);
        if (asked - firstStart < 950) {
          // The usual case on every row: the new generation was ready well inside a second.
          assert.match(after, /Reload will run in \d\.\ds \(at most one reload starts per second\)/);
          assert.ok(secondStart - firstStart >= 995, `second reload started ${secondStart - firstStart} ms after the first`);
        } else {
          // The first start took longer than the cooldown: nothing to wait for.
          assert.doesNotMatch(after, /Reload will run in/);
        }
        assert.equal((await request(p.url("/"))).body, "v3");
      });
    });
  });
}
