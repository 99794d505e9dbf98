/**
 * Entity-tags (RFC 9110 §8.8.3): generation, parsing of the lists carried by
 * If-Match / If-None-Match, and the two comparison functions of §8.8.3.2.
 *
 * @module
 */

import { skipOws } from "./fields.ts";

/** A parsed entity-tag. `opaque` keeps its surrounding double quotes. */
export interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** A parsed If-Match / If-None-Match value: `"*"` or a list of tags. */
export type EntityTagList = "*" | EntityTag[];

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Returns a strong entity-tag `"<mtime hex>-<size hex>"` for a file.
 *
 * Strong is justified for a static file because any change to its bytes
 * changes its size or modification time (§8.8.1 allows validators derived
 * from such metadata). A content coding yields a different representation,
 * whose bytes differ, so it MUST get a distinct strong tag (§8.8.3): the
 * coding is appended, e.g. `"18c1f2a3b40-1a2b-br"`.
 *
 * @throws {RangeError} if `sizeBytes` is not a non-negative safe integer or
 *   `mtimeMs` is not finite.
 * @throws {TypeError} if `coding` is not an HTTP token.
 */
export function makeEtag(sizeBytes: number, mtimeMs: number, coding?: string): string {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
    throw new RangeError(`invalid size: ${sizeBytes}`);
  }
  if (!Number.isFinite(mtimeMs)) throw new RangeError(`invalid mtime: ${mtimeMs}`);
  // A negative mtime (pre-1970) gives a leading "-"; still a valid etagc.
  const base = `${Math.floor(mtimeMs).toString(16)}-${sizeBytes.toString(16)}`;
  if (coding === undefined || coding === "" || coding === "identity") return `"${base}"`;
  if (!TOKEN.test(coding)) throw new TypeError(`invalid content coding: ${coding}`);
  return `"${base}-${coding.toLowerCase()}"`;
}

/**
 * Parses a single entity-tag (`"x"` or `W/"x"`, nothing around it), as in
 * If-Range or an ETag field. Returns `null` if malformed.
 */
export function parseEntityTag(value: string): EntityTag | null {
  const end = scanTag(value, 0);
  if (end !== value.length) return null;
  const weak = value.charCodeAt(0) === 0x57; // "W"
  return { weak, opaque: weak ? value.slice(2) : value };
}

/**
 * Parses an `If-Match` / `If-None-Match` field value: `"*"` or `#entity-tag`
 * (§13.1.1, §13.1.2). Malformed list elements are skipped, never thrown on;
 * `*` is only recognised as the whole value, since the grammar does not
 * allow it inside a list. Empty list elements and OWS around commas are
 * accepted as the #rule requires (§5.6.1.2).
 */
export function parseEntityTagList(value: string): EntityTagList {
  const n = value.length;
  const first = skipOws(value, 0);
  if (value.charCodeAt(first) === 0x2a && skipOws(value, first + 1) === n) return "*";
  const tags: EntityTag[] = [];
  let i = first;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c === 0x2c || c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    const end = scanTag(value, i);
    const after = end < 0 ? -1 : skipOws(value, end);
    if (after >= 0 && (after === n || value.charCodeAt(after) === 0x2c)) {
      const weak = c === 0x57;
      tags.push({ weak, opaque: value.slice(weak ? i + 2 : i, end) });
      i = after;
      continue;
    }
    // Malformed element: drop it and resume after the next comma.
    const comma = value.indexOf(",", i);
    if (comma < 0) break;
    i = comma + 1;
  }
  return tags;
}

/**
 * Strong comparison (§8.8.3.2): both tags are strong and their opaque-tags
 * are identical. Required for If-Match and If-Range.
 */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/**
 * Weak comparison (§8.8.3.2): the opaque-tags are identical, regardless of
 * either tag being weak. Used for If-None-Match.
 */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

// Scans `[W/]"<etagc>*"` starting at `i`; returns the index after the closing
// quote or -1. etagc = %x21 / %x23-7E / obs-text (%x80-FF); note that it
// includes "," so lists cannot simply be split on commas.
function scanTag(s: string, i: number): number {
  if (s.charCodeAt(i) === 0x57) {
    if (s.charCodeAt(i + 1) !== 0x2f) return -1; // "W/" is case-sensitive
    i += 2;
  }
  if (s.charCodeAt(i) !== 0x22) return -1;
  for (let k = i + 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 0x22) return k + 1;
    if (c < 0x21 || c === 0x7f || c > 0xff) return -1;
  }
  return -1;
}
