/**
 * Where a generation's configuration comes from, at start and again at every reload: resolve the
 * working directory through its symlinks (release-dir.ts), find and load the config file there
 * (config-file.ts), then resolve flags > env > file > defaults (config.ts). The flags and the
 * environment are the ones pounce was started with; only the directory and the file can change.
 * The TLS files are read and checked here too (tls/read.ts): a bad certificate on a reload is an
 * ordinary refused reload, and the PEM contents travel with the generation's config to its workers.
 */
import { type Config, OPTIONS, resolveConfig } from "./config.ts";
import { findConfigFile, loadConfigFile } from "./config-file.ts";
import { errors } from "./errors.ts";
import { resolveWorkdir } from "./release-dir.ts";
import { readTls } from "./tls/read.ts";

/** One reading: the configuration, the directory the generation runs in, and the file read (if any). */
export interface LoadedConfig {
  config: Config;
  cwd: string;
  file?: string;
}

export interface ConfigInputs {
  /** The positional entry, if one was given. */
  entry: string | undefined;
  flags: Record<string, string | boolean>;
  env: Record<string, string | undefined>;
  /** The working directory as the operator named it (release-dir.ts's startDirectory). */
  startDir: string;
}

export class ConfigSource {
  readonly #inputs: ConfigInputs;
  #boot: LoadedConfig | undefined;

  constructor(inputs: ConfigInputs) {
    this.#inputs = inputs;
  }

  /** Read everything now. */
  async load(): Promise<LoadedConfig> {
    const { entry, flags, env, startDir } = this.#inputs;
    const cwd = resolveWorkdir(startDir);
    // Where the file is may come from a flag or the environment, never from the file itself.
    const given = resolveConfig(entry ?? "-", flags, env).config;
    const file = findConfigFile(cwd, given);
    const values = file ? await loadConfigFile(file) : undefined;
    const config = resolveConfig(entry, flags, env, values);
    const tls = readTls(config, cwd);
    if (tls) config.tls = tls;
    const loaded: LoadedConfig = { config, cwd, file };
    this.#boot ??= loaded;
    return loaded;
  }

  /** Read again for a reload; what is fixed at start (host, port, …) must not have changed. */
  async reload(): Promise<LoadedConfig> {
    const boot = this.#boot;
    const next = await this.load();
    if (!boot) return next;
    for (const spec of OPTIONS) {
      if (!spec.fixedAtStart) continue;
      const before = boot.config[spec.key];
      const now = next.config[spec.key];
      if (JSON.stringify(before) !== JSON.stringify(now))
        throw errors.configFixed(next.file ?? "the configuration", spec.key, before, now);
    }
    // http:// or https:// is what clients were told at start; the files behind it may change.
    if ((boot.config.tlsCert === "") !== (next.config.tlsCert === ""))
      throw errors.configFixed(
        next.file ?? "the configuration",
        "tlsCert (HTTPS on or off)",
        boot.config.tlsCert,
        next.config.tlsCert,
      );
    return next;
  }
}
