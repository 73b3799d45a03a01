/** Help rendering: colour only for a terminal, and the same text without it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commandHelp, mainHelp, styleFor } from "../../src/cli/help.ts";
import { reloadCommand } from "../../src/cli/reload-command.ts";

describe("help", () => {
  it("colours headings and flags on a terminal, never into a pipe or with NO_COLOR", () => {
    const tty = mainHelp([reloadCommand], styleFor({ isTTY: true }, {}));
    assert.match(tty, /\x1b\[1mUsage:/);
    assert.doesNotMatch(mainHelp([reloadCommand], styleFor({ isTTY: false }, {})), /\x1b/);
    assert.doesNotMatch(mainHelp([reloadCommand], styleFor({ isTTY: true }, { NO_COLOR: "1" })), /\x1b/);
    assert.doesNotMatch(commandHelp(reloadCommand, styleFor({ isTTY: true }, { TERM: "dumb" })), /\x1b/);
    // eslint-disable-next-line no-control-regex
    assert.equal(tty.replace(/\x1b\[\d+m/g, ""), mainHelp([reloadCommand]));
  });
});
