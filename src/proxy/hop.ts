// Hop-by-hop fields (RFC 9110 §7.6.1): they describe one connection, not the message, so an
// intermediary removes them in both directions, together with every field a Connection line
// names. Shared by the request (forward.ts) and the response (relay.ts) side.

import { HOP_BY_HOP as ALWAYS } from "../http/fields.ts";

/** RFC 9110 §5.6.2 token characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The lower-cased names to drop from `fields`: the fixed list plus each connection-option of
 * every Connection line (RFC 9110 §7.6.1: "a proxy or gateway MUST ... remove ... each
 * connection-option"), except the names in `keep`, which the caller rebuilds itself.
 */
export function hopByHop(
  fields: readonly (readonly [string, string])[],
  keep: readonly string[] = [],
): Set<string> {
  const names = new Set(ALWAYS);
  for (const [name, value] of fields) {
    if (name.toLowerCase() !== "connection") continue;
    for (const option of value.split(",")) {
      const t = option.trim().toLowerCase();
      if (TOKEN.test(t)) names.add(t);
    }
  }
  for (const k of keep) names.delete(k);
  return names;
}

/** The comma-separated tokens of a list field, lower-cased (RFC 9110 §5.6.1). */
export function tokens(value: string | null): string[] {
  if (!value) return [];
  return value.split(",").map((t) => t.trim().toLowerCase()).filter((t) => t.length > 0);
}
