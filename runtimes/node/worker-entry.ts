/**
 * The file a Node worker process starts with (the cluster primary's `exec`): Node's compile cache is
 * switched on before anything else is loaded (compile-cache.ts), then the worker proper runs.
 */
import { enableModuleCompileCache } from "./compile-cache.ts";

enableModuleCompileCache();
await import("./worker-main.ts");
