/** The adapter of the runtime this process runs on (only that one is ever imported). */
import type { RuntimeAdapter } from "../adapter.ts";
import { PounceError } from "../errors.ts";
import { runtimeName } from "../runtime-name.ts";

export async function loadAdapter(): Promise<RuntimeAdapter> {
  const detectedRuntime = runtimeName();
  switch (detectedRuntime) {
    case "node":
      return (await import("../../runtimes/node/index.ts")).createAdapter();
    case "deno":
      return (await import("../../runtimes/deno/index.ts")).createAdapter();
    case "bun":
      return (await import("../../runtimes/bun/index.ts")).createAdapter();
    default:
      throw new PounceError("E_BAD_VALUE", `pounce does not run on ${detectedRuntime || "this runtime"} yet`);
  }
}
