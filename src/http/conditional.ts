/**
 * Conditional request evaluation (RFC 9110 §13), modelled on Go's
 * net/http/fs.go: one function per precondition field returning a
 * three-valued result, and `evaluatePreconditions` applying them in the
 * order of §13.2.2.
 *
 * Field values are passed in as read from the request (`null`/`undefined`
 * when absent). An absent or whitespace-only field yields `CondNone`, as in
 * Go. Unparsable dates also yield `CondNone`, because §13.1.3 and §13.1.4
 * require an invalid HTTP-date to be ignored.
 *
 * Dates compare at one-second granularity: Last-Modified is sent as an
 * HTTP-date, so the client can only echo back the mtime floored to the
 * second.
 *
 * @module
 */

import {
  type EntityTag,
  parseEntityTag,
  parseEntityTagList,
  strongMatch,
  weakMatch,
} from "./etag.ts";
import { parseHttpDate } from "./httpdate.ts";

/** The field is absent or must be ignored. */
export const CondNone = 0;
/** The condition holds. */
export const CondTrue = 1;
/** The condition does not hold. */
export const CondFalse = 2;
export type Cond = typeof CondNone | typeof CondTrue | typeof CondFalse;

/** The selected representation's validators. */
export interface Validators {
  /** The ETag field value as sent, e.g. `"abc"` or `W/"abc"`. */
  etag: string;
  /** Modification time in ms since the epoch; NaN if unknown. */
  lastModifiedMs: number;
}

/** Request precondition fields; `null`/`undefined` when absent. */
export interface PreconditionHeaders {
  ifMatch?: string | null;
  ifNoneMatch?: string | null;
  ifModifiedSince?: string | null;
  ifUnmodifiedSince?: string | null;
}

/**
 * If-Match (§13.1.1): true for `*` (a current representation exists) or if
 * any listed tag strongly matches the current ETag. A list with no valid
 * tag matches nothing, hence false: this is the safe outcome for a field
 * meant to prevent lost updates.
 */
export function checkIfMatch(value: string | null | undefined, etag: string): Cond {
  if (!isPresent(value)) return CondNone;
  const list = parseEntityTagList(value);
  if (list === "*") return CondTrue;
  const current = parseEntityTag(etag);
  if (current === null) return CondFalse;
  return anyMatch(list, current, strongMatch) ? CondTrue : CondFalse;
}

/**
 * If-Unmodified-Since (§13.1.4): true if the representation has not been
 * modified after the given date.
 */
export function checkIfUnmodifiedSince(
  value: string | null | undefined,
  lastModifiedMs: number,
): Cond {
  const date = validDate(value, lastModifiedMs);
  if (date === null) return CondNone;
  return floorToSecond(lastModifiedMs) <= date ? CondTrue : CondFalse;
}

/**
 * If-None-Match (§13.1.2): false for `*` (a current representation exists)
 * or if any listed tag weakly matches the current ETag. Weak comparison is
 * mandated here because a cache revalidating a weakly-tagged response is
 * satisfied by an equivalent representation.
 */
export function checkIfNoneMatch(value: string | null | undefined, etag: string): Cond {
  if (!isPresent(value)) return CondNone;
  const list = parseEntityTagList(value);
  if (list === "*") return CondFalse;
  const current = parseEntityTag(etag);
  if (current === null) return CondTrue;
  return anyMatch(list, current, weakMatch) ? CondFalse : CondTrue;
}

/**
 * If-Modified-Since (§13.1.3): true if the representation has been modified
 * after the given date. Only meaningful for GET/HEAD and when If-None-Match
 * is absent; `evaluatePreconditions` enforces both.
 */
export function checkIfModifiedSince(
  value: string | null | undefined,
  lastModifiedMs: number,
): Cond {
  const date = validDate(value, lastModifiedMs);
  if (date === null) return CondNone;
  return floorToSecond(lastModifiedMs) > date ? CondTrue : CondFalse;
}

/**
 * If-Range (§13.1.5): decides whether a Range header applies. `CondNone`
 * (no If-Range) and `CondTrue` mean "honour Range"; `CondFalse` means
 * "ignore Range and send the whole representation with 200".
 *
 * True only for a strong ETag match or an HTTP-date exactly equal to
 * Last-Modified (to the second). A weak entity-tag never matches, because
 * ranges of weakly-equal representations may not line up. When `nowMs` is
 * given, a Last-Modified in the current second is weak (§8.8.2.2: the file
 * may change again within that second) and so never satisfies the date
 * form either. Anything unparsable is false: the safe fallback is a full
 * response.
 */
export function checkIfRange(
  value: string | null | undefined,
  v: Validators & { nowMs?: number },
): Cond {
  if (!isPresent(value)) return CondNone;
  const s = value.trim();
  // §13.1.5: an entity-tag is told from a date by its leading DQUOTE or "W/".
  if (s.charCodeAt(0) === 0x22 || s.startsWith("W/")) {
    const tag = parseEntityTag(s);
    const current = parseEntityTag(v.etag);
    return tag !== null && current !== null && strongMatch(tag, current) ? CondTrue : CondFalse;
  }
  const date = parseHttpDate(s);
  if (date === null || !Number.isFinite(v.lastModifiedMs)) return CondFalse;
  const lm = floorToSecond(v.lastModifiedMs);
  if (v.nowMs !== undefined && lm >= floorToSecond(v.nowMs)) return CondFalse;
  return lm === date ? CondTrue : CondFalse;
}

/**
 * Evaluates the preconditions of a request in the order of §13.2.2:
 *
 * 1. If-Match, or else If-Unmodified-Since: false → 412.
 * 2. If-None-Match: false → 304 for GET/HEAD, 412 otherwise.
 * 3. Else If-Modified-Since, for GET/HEAD only: false → 304.
 *
 * If-Range is not handled here; see `checkIfRange`. The caller is expected
 * to call this only when the response would otherwise be 2xx (§13.2.1).
 * Methods are case-sensitive (§9.1).
 */
export function evaluatePreconditions(
  method: string,
  h: PreconditionHeaders,
  v: Validators,
): "proceed" | 304 | 412 {
  let c = checkIfMatch(h.ifMatch, v.etag);
  if (c === CondNone) c = checkIfUnmodifiedSince(h.ifUnmodifiedSince, v.lastModifiedMs);
  if (c === CondFalse) return 412;

  const getOrHead = method === "GET" || method === "HEAD";
  c = checkIfNoneMatch(h.ifNoneMatch, v.etag);
  if (c === CondFalse) return getOrHead ? 304 : 412;
  // §13.1.3: If-Modified-Since is ignored when If-None-Match is present,
  // since entity-tags are the more accurate validator.
  if (c === CondNone && getOrHead) {
    if (checkIfModifiedSince(h.ifModifiedSince, v.lastModifiedMs) === CondFalse) return 304;
  }
  return "proceed";
}

function isPresent(value: string | null | undefined): value is string {
  return value !== null && value !== undefined && value.trim() !== "";
}

// Parses a date precondition; null means "ignore the field", which also
// covers an unknown modification time (nothing to compare against).
function validDate(value: string | null | undefined, lastModifiedMs: number): number | null {
  if (!isPresent(value) || !Number.isFinite(lastModifiedMs)) return null;
  return parseHttpDate(value.trim());
}

function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function anyMatch(
  list: EntityTag[],
  current: EntityTag,
  match: (a: EntityTag, b: EntityTag) => boolean,
): boolean {
  for (const t of list) if (match(t, current)) return true;
  return false;
}
