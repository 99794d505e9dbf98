// Deno permissions the CGI mappings need (placeholder until the CGI handler lands).

import type { Config } from "../config.ts";

export function cgiPermissionFlags(_config: Config): string[] {
  return [];
}
