/** Help rendering: colour only for a terminal, and the same text without it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commandHelp, mainHelp, styleFor } from "../../src/cli/help.ts";
import { reloadCommand } from "../../src/cli/reload-command.ts";

const ESC = String.fromCharCode(27);

describe("help", () => {
  it("colours headings and flags on a terminal, never into a pipe or with NO_COLOR", () => {
    const tty = mainHelp([reloadCommand], styleFor({ isTTY: true }, {}));
    assert.ok(tty.includes(`${ESC}[1mUsage:`), tty);
    assert.ok(!mainHelp([reloadCommand], styleFor({ isTTY: false }, {})).includes(ESC));
    assert.ok(!mainHelp([reloadCommand], styleFor({ isTTY: true }, { NO_COLOR: "1" })).includes(ESC));
    assert.ok(!commandHelp(reloadCommand, styleFor({ isTTY: true }, { TERM: "dumb" })).includes(ESC));
    assert.equal(tty.replace(new RegExp(`${ESC}\\[\\d+m`, "g"), ""), mainHelp([reloadCommand]));
  });
});
