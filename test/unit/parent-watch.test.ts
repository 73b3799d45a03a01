/**
 * A worker counts its supervisor gone once its parent is no longer the supervisor's PID
 * (runtimes/_shared/parent-channel.ts, watchSupervisor): the fallback for a channel close the runtime
 * never reported (Deno, for a channel closed while the worker was still loading). A real child
 * process with a real IPC channel, running the built parent channel.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { SUPERVISOR_CHECK_MS } from "../../src/protocol.ts";

const CHANNEL = resolve(import.meta.dirname, "../../dist/runtimes/_shared/parent-channel.js");

/** A child that watches for `pid` as its parent; what it prints, once it exits or after `ms`. */
function child(pid: "parent" | number, ms: number): Promise<string> {
  const code = `
    const { parentChannel } = await import(${JSON.stringify(CHANNEL)});
    const channel = parentChannel();
    channel.onSupervisorGone(() => { console.log("gone"); process.exit(0); });
    channel.watchSupervisor(${pid === "parent" ? "process.ppid" : pid});
    setTimeout(() => { console.log("still watching, connected=" + channel.connected); process.exit(0); }, ${ms});
  `;
  const c = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
  let out = "";
  c.stdout?.on("data", (d) => (out += d));
  return new Promise((done) => c.once("exit", () => done(out.trim())));
}

describe("parent watch", () => {
  it("a parent other than the supervisor's PID: gone at once, though the channel is open", async () => {
    assert.equal(await child(1, 5_000), "gone");
  });

  it("the parent is the supervisor: not gone through two checks", async () => {
    assert.equal(await child("parent", SUPERVISOR_CHECK_MS * 2 + 300), "still watching, connected=true");
  });
});
