/** The TLS checks (src/tls/): what passes, and the one line each refusal prints, naming the file. */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveConfig } from "../../src/config.ts";
import { ConfigSource } from "../../src/config-source.ts";
import { PounceError } from "../../src/errors.ts";
import { readTls } from "../../src/tls/read.ts";
import { type Certs, makeCerts, PASSPHRASE } from "../_certs.ts";

let dir: string;
let certs: Certs;
let good: string;
let expired: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "pounce-tls-"));
  certs = makeCerts(dir);
  good = certs.leaf("good", "A1");
  expired = certs.leaf("expired", "E0", -1);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const config = (flags: Record<string, string>) => resolveConfig("app.ts", flags, {});

/** The one line of the PounceError `fn` throws (a failure if it throws none, or another error). */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PounceError, `not a PounceError: ${err}`);
    assert.ok(!err.message.includes("\n"), "one line");
    return err.message;
  }
  assert.fail("did not throw");
}

describe("TLS checks", () => {
  it("a valid pair passes: the PEM texts, the serial and the expiry come back", () => {
    const tls = readTls(config({ "tls-cert": good, "tls-key": certs.keyFile }), dir);
    assert.ok(tls);
    assert.match(tls.cert, /BEGIN CERTIFICATE/);
    assert.match(tls.key, /BEGIN PRIVATE KEY/);
    assert.equal(tls.serial, "A1");
    assert.ok(Date.parse(tls.notAfter) > Date.now());
  });

  it("no --tls-cert: no TLS", () => {
    assert.equal(readTls(config({}), dir), undefined);
  });

  it("paths are relative to the working directory", () => {
    const tls = readTls(config({ "tls-cert": "good.pem", "tls-key": "leaf.key" }), dir);
    assert.equal(tls?.serial, "A1");
  });

  it("a missing file is named", () => {
    const msg = refusal(() => readTls(config({ "tls-cert": join(dir, "nope.pem"), "tls-key": certs.keyFile }), dir));
    assert.equal(msg, `TLS file ${join(dir, "nope.pem")} does not exist`);
    assert.match(
      refusal(() => readTls(config({ "tls-cert": good, "tls-key": "missing.key" }), dir)),
      /^TLS file missing\.key does not exist$/,
    );
  });

  it("a directory is not a file", () => {
    assert.match(
      refusal(() => readTls(config({ "tls-cert": dir, "tls-key": certs.keyFile }), dir)),
      /is a directory/,
    );
  });

  it("an expired certificate is refused with its date and serial", () => {
    const msg = refusal(() => readTls(config({ "tls-cert": expired, "tls-key": certs.keyFile }), dir));
    assert.match(msg, new RegExp(`^TLS file ${expired} expired on \\d{4}-\\d\\d-\\d\\dT.* \\(serial E0\\)$`));
  });

  it("a certificate not valid yet is refused", () => {
    const msg = refusal(() => readTls(config({ "tls-cert": good, "tls-key": certs.keyFile }), dir, Date.now() - 86_400_000 * 2));
    assert.match(msg, /is not valid before .* \(serial A1\)$/);
  });

  it("a key that is not the certificate's is refused, naming both files", () => {
    const msg = refusal(() => readTls(config({ "tls-cert": good, "tls-key": certs.otherKeyFile }), dir));
    assert.equal(
      msg,
      `TLS file ${certs.otherKeyFile} does not match the certificate ${good} (the certificate's public key is another key's)`,
    );
  });

  it("an encrypted key needs its passphrase; a wrong one is refused; the right one passes", () => {
    const flags = { "tls-cert": good, "tls-key": certs.encryptedKeyFile };
    assert.match(
      refusal(() => readTls(config(flags), dir)),
      /is encrypted: give its passphrase with --tls-key-passphrase/,
    );
    assert.match(
      refusal(() => readTls(config({ ...flags, "tls-key-passphrase": "wrong" }), dir)),
      /cannot be decrypted with the passphrase given/,
    );
    const tls = readTls(config({ ...flags, "tls-key-passphrase": PASSPHRASE }), dir);
    assert.equal(tls?.passphrase, PASSPHRASE);
  });

  it("something that is not PEM is refused", () => {
    const junk = join(dir, "junk.pem");
    writeFileSync(junk, "not a certificate\n");
    assert.match(
      refusal(() => readTls(config({ "tls-cert": junk, "tls-key": certs.keyFile }), dir)),
      /is not a PEM certificate/,
    );
    assert.match(
      refusal(() => readTls(config({ "tls-cert": good, "tls-key": junk }), dir)),
      /is not a PEM private key/,
    );
    const broken = join(dir, "broken.pem");
    writeFileSync(broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assert.match(
      refusal(() => readTls(config({ "tls-cert": broken, "tls-key": certs.keyFile }), dir)),
      /is not a readable certificate/,
    );
  });

  it("--tls-ca is read and checked too", () => {
    const tls = readTls(config({ "tls-cert": good, "tls-key": certs.keyFile, "tls-ca": certs.caFile }), dir);
    assert.equal(tls?.ca, certs.caPem);
    assert.match(
      refusal(() => readTls(config({ "tls-cert": good, "tls-key": certs.keyFile, "tls-ca": certs.keyFile }), dir)),
      /^TLS file .*leaf\.key is not a PEM certificate/,
    );
  });
});

describe("TLS options", () => {
  it("only one of --tls-cert / --tls-key is a one-line usage error", () => {
    assert.match(
      refusal(() => config({ "tls-cert": good })),
      /^--tls-cert needs --tls-key/,
    );
    assert.match(
      refusal(() => config({ "tls-key": certs.keyFile })),
      /^--tls-key needs --tls-cert/,
    );
    assert.match(
      refusal(() => config({ "tls-ca": certs.caFile })),
      /^--tls-ca only applies with --tls-cert/,
    );
    assert.match(
      refusal(() => config({ "tls-key-passphrase": "x" })),
      /^--tls-key-passphrase only applies/,
    );
  });

  it("from the environment (POUNCE_TLS_CERT, POUNCE_TLS_KEY) and the config file", () => {
    const c = resolveConfig("a.ts", {}, { POUNCE_TLS_CERT: "c.pem", POUNCE_TLS_KEY: "k.pem" });
    assert.deepEqual([c.tlsCert, c.tlsKey], ["c.pem", "k.pem"]);
    const f = resolveConfig("a.ts", {}, {}, { file: "pounce.config.ts", values: { tlsCert: "f.pem", tlsKey: "fk.pem" } });
    assert.deepEqual([f.tlsCert, f.tlsKey], ["f.pem", "fk.pem"]);
  });
});

describe("TLS files on reload (ConfigSource)", () => {
  it("are read again: a renewed certificate in the same file comes with the next reading", async () => {
    const live = join(dir, "live.pem");
    copyFileSync(good, live);
    const source = new ConfigSource({
      entry: "app.ts",
      flags: { "tls-cert": live, "tls-key": certs.keyFile },
      env: {},
      startDir: dir,
    });
    assert.equal((await source.load()).config.tls?.serial, "A1");
    copyFileSync(certs.leaf("renewed", "B2"), live);
    assert.equal((await source.reload()).config.tls?.serial, "B2");
    copyFileSync(expired, live);
    await assert.rejects(source.reload(), (err: Error) => err instanceof PounceError && /expired on/.test(err.message));
  });

  it("HTTPS cannot be turned on or off by a reload", async () => {
    const d = mkdtempSync(join(tmpdir(), "pounce-tls-cfg-"));
    try {
      copyFileSync(good, join(d, "c.pem"));
      copyFileSync(certs.keyFile, join(d, "k.pem"));
      writeFileSync(join(d, "pounce.config.ts"), 'export default { tlsCert: "c.pem", tlsKey: "k.pem" };\n');
      const source = new ConfigSource({ entry: "app.ts", flags: {}, env: {}, startDir: d });
      assert.equal((await source.load()).config.tls?.serial, "A1");
      writeFileSync(join(d, "pounce.config.ts"), "export default {};\n");
      await assert.rejects(source.reload(), (err: Error) =>
        /tlsCert \(HTTPS on or off\) cannot change on a reload/.test(err.message),
      );
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
