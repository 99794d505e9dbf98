// Deno permissions the backend needs: connecting to its host and port, nothing else. Deno
// merges repeated --allow-net flags (checked with Deno 2.9), so this flag may stand beside
// the one for the listening address.

import type { Config } from "../config.ts";

export function backendPermissionFlags(config: Config): string[] {
  if (!config.backend) return [];
  const url = new URL(config.backend);
  // URL.hostname keeps the brackets of an IPv6 address, as --allow-net wants them.
  return [`--allow-net=${url.hostname}:${url.port || 80}`];
}
