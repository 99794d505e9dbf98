// Deno permissions the backend needs (placeholder until the fallback lands).

import type { Config } from "../config.ts";

export function backendPermissionFlags(_config: Config): string[] {
  return [];
}
