/** --user/--group resolution and the privileged-port rule (src/privileges.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveConfig } from "../../src/config.ts";
import { checkPrivilegedPort, resolveRunAs } from "../../src/privileges.ts";

const cfg = (flags: Record<string, string>) => resolveConfig("app.ts", flags, {});

describe("privileges: --user / --group", () => {
  it("none given: nothing to switch", () => {
    assert.equal(resolveRunAs(cfg({}), 0), undefined);
  });
  it("a user name gives its uid and primary group; --group overrides the group; numbers pass as they are", () => {
    assert.deepEqual(resolveRunAs(cfg({ user: "root" }), 0), { uid: 0, gid: 0, label: "root" });
    const n = resolveRunAs(cfg({ user: "nobody" }), 0);
    assert.ok(n && n.uid > 0 && n.label === "nobody");
    assert.equal(resolveRunAs(cfg({ user: "nobody", group: "0" }), 0)?.gid, 0);
    assert.deepEqual(resolveRunAs(cfg({ user: "4242", group: "4343" }), 0), { uid: 4242, gid: 4343, label: "4242:4343" });
  });
  it("refuses an unknown user or group, and any switch when not root", () => {
    assert.throws(() => resolveRunAs(cfg({ user: "no-such-user-x" }), 0), /--user no-such-user-x: no such user/);
    assert.throws(
      () => resolveRunAs(cfg({ user: "nobody", group: "no-such-group-x" }), 0),
      /--group no-such-group-x: no such group/,
    );
    assert.throws(() => resolveRunAs(cfg({ user: "nobody" }), 1000), /need pounce to start as root .*uid 1000/);
  });
  it("a port below the unprivileged start is refused only where workers bind it and the user is not root", () => {
    const nobody = { uid: 65534, gid: 65534, label: "nobody" };
    assert.throws(() => checkPrivilegedPort(nobody, 80, true, "bun"), /--port 80 with --user nobody: on bun/);
    checkPrivilegedPort(nobody, 80, false, "node");
    checkPrivilegedPort(nobody, 8080, true, "bun");
    checkPrivilegedPort({ uid: 0, gid: 0, label: "root" }, 80, true, "bun");
  });
});
