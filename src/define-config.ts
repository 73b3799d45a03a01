/**
 * `defineConfig` for pounce.config.ts: it only gives its argument a type (the options' camelCase
 * names plus `entry`), so a plain object default export works just as well — as it must in an app
 * that does not have pounce in its own node_modules.
 */
import type { Config } from "./config.ts";

/** What a config file may set; every field is optional (flags and env still win over it). */
export type PounceConfig = Partial<Omit<Config, "config" | "workers" | "tls"> & { workers: number | "auto" }>;

export function defineConfig(config: PounceConfig): PounceConfig {
  return config;
}
