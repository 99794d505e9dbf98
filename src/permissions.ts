// The narrowest Deno permissions a configuration needs, as command-line flags.

import { cgiPermissionFlags } from "./cgi/permissions.ts";
import type { Config } from "./config.ts";
import { backendPermissionFlags } from "./proxy/permissions.ts";
import { WASM_URL } from "./wasm.ts";

export function permissionFlags(config: Config): string[] {
  const wasm = decodeURIComponent(WASM_URL.pathname);
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  // Port 0 lets the kernel choose, so the port cannot be named in advance.
  const listen = config.port === 0 ? host : `${host}:${config.port}`;
  return [
    `--allow-read=${config.root},${wasm}`,
    `--allow-net=${listen}`,
    ...cgiPermissionFlags(config),
    ...backendPermissionFlags(config),
    // SO_REUSEPORT (Deno.listen's reusePort) is still behind this flag in Deno 2.
    ...(config.workers !== 1 ? ["--unstable-net"] : []),
  ];
}
