// Small pieces of field syntax shared by several modules (RFC 9110 §5, §7.6.1).

/** Fields that are always hop-by-hop (RFC 9110 §7.6.1, §7.8, §10.1.4; RFC 9112 §6.1). */
export const HOP_BY_HOP: readonly string[] = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** The index of the first character at or after `i` that is not OWS (SP / HTAB). */
export function skipOws(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) break;
    i++;
  }
  return i;
}
