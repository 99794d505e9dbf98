// The narrowest Deno permissions a configuration needs, as command-line flags.

import { cgiPermissionFlags } from "./cgi/permissions.ts";
import type { Config } from "./config.ts";
import { backendPermissionFlags } from "./proxy/permissions.ts";
import { UsageError } from "./config.ts";
import { WASM_URL } from "./wasm.ts";

/** tuxd's own modules: a --workers isolate loads them (src/worker.ts and what it imports). */
const SOURCE = decodeURIComponent(new URL(".", import.meta.url).pathname).replace(/\/$/, "");

/**
 * V8 settings for the server process. A 4 MiB young generation keeps peak memory near 80 MB
 * under load where V8's default let it pass 100 MB, at no measured cost in throughput (the
 * per-request garbage is small and short-lived, so scavenges stay cheap). With 1,000 open
 * connections some of each request's garbage (Deno's pending read ops) lives long enough to be
 * promoted; V8's default growth let the old generation reach 4x the ~9 MB that survives, while
 * doubling it keeps peak memory near 88 MB instead of 107 MB, for about 2% more CPU there (a
 * full collection every ~0.6 s instead of every ~1.5 s) and none at 64 connections.
 */
export const RUNTIME_FLAGS: readonly string[] = [
  "--v8-flags=--max-semi-space-size=4,--heap-growing-percent=100",
];

export function permissionFlags(config: Config): string[] {
  // Deno's permission lists are comma-separated: a path with a comma cannot be granted.
  if (config.root.includes(",")) {
    throw new UsageError(`ROOT '${config.root}' contains a comma, which Deno cannot grant`);
  }
  const wasm = decodeURIComponent(WASM_URL.pathname);
  // --workers starts isolates from src/worker.ts, which must load like the main module did.
  const read = config.workers !== 1 ? `${config.root},${wasm},${SOURCE}` : `${config.root},${wasm}`;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  // Port 0 lets the kernel choose, so the port cannot be named in advance.
  const listen = config.port === 0 ? host : `${host}:${config.port}`;
  return [
    `--allow-read=${read}`,
    `--allow-net=${listen}`,
    ...cgiPermissionFlags(config),
    ...backendPermissionFlags(config),
    // SO_REUSEPORT (Deno.listen's reusePort) is still behind this flag in Deno 2.
    ...(config.workers !== 1 ? ["--unstable-net"] : []),
  ];
}
