/**
 * Range request parsing for the `bytes` unit (RFC 9110 §14.1–§14.2).
 *
 * `parseRange` tells the caller which of three responses to build:
 *
 * - `none`: serve the whole representation with 200. Used when there is no
 *   Range field, the unit is not `bytes` (§14.2: MUST ignore unknown units),
 *   the syntax is invalid (§14.2: MAY ignore), the representation is empty
 *   (no byte can be addressed, and a 416 for an empty file only breaks
 *   clients), or one of the abuse caps below trips.
 * - `unsatisfiable`: 416 with the Content-Range of
 *   {@link unsatisfiedContentRange} (§15.5.17).
 * - `ranges`: 206 with the listed ranges, sorted, with overlapping and
 *   adjacent ranges coalesced (§14.6 allows coalescing regardless of the
 *   order in the request). `end` is inclusive, as on the wire.
 *
 * Abuse caps. §14.2 lets a server ignore a Range with "more than two
 * overlapping ranges, or a set of many small ranges" since those indicate a
 * broken client or a denial-of-service attempt (§17.15). Falling back to a
 * plain 200 is always correct and never larger than the file, so each cap
 * yields `none`:
 *
 * - {@link MAX_RANGES} (100) range-specs, counted before any is dropped or
 *   merged. It bounds parsing work and multipart overhead (about 100 bytes of
 *   part headers per range) while staying far above what real clients send
 *   (browsers and media players send one range; PDF viewers a handful).
 * - {@link MAX_OVERLAPS} (2): after sorting, a range starting at or before the
 *   end of an earlier one is an overlap (merely adjacent ranges are not).
 *   Matches the "more than two overlapping ranges" wording of §14.2.
 * - {@link MAX_REQUESTED_FACTOR} (2): the satisfiable ranges, before
 *   coalescing, may not add up to more than twice the file size. Catches
 *   repeated whole-file requests (`bytes=0-,0-,0-`) cheaply.
 *
 * Numbers are `1*DIGIT` only: no sign, no whitespace, no hex or exponent.
 * They are accumulated digit by digit and saturate to `Infinity` beyond
 * `Number.MAX_SAFE_INTEGER`, so a long digit string is never rounded into a
 * wrong but plausible offset; since `size` is a safe integer, a saturated
 * first-pos is past the end and a saturated last-pos or suffix clamps.
 *
 * @module
 */

/** Maximum number of range-specs accepted in one Range field. */
export const MAX_RANGES = 100;
/** Maximum number of ranges that may overlap an earlier one. */
export const MAX_OVERLAPS = 2;
/** Requested bytes (before coalescing) may not exceed this times the size. */
export const MAX_REQUESTED_FACTOR = 2;

/** An inclusive byte range `start`–`end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export type RangeResult =
  | { type: "none" }
  | { type: "unsatisfiable" }
  | { type: "ranges"; ranges: ByteRange[] };

export interface RangeLimits {
  /** Overrides {@link MAX_RANGES}. */
  maxRanges?: number;
}

const NONE: RangeResult = Object.freeze({ type: "none" });
const UNSATISFIABLE: RangeResult = Object.freeze({ type: "unsatisfiable" });

/**
 * Parses a Range field value against a representation of `size` bytes.
 *
 * @throws {RangeError} if `size` is not a non-negative safe integer.
 */
export function parseRange(
  header: string | null | undefined,
  size: number,
  limits?: RangeLimits,
): RangeResult {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid size: ${size}`);
  if (header === null || header === undefined || size === 0) return NONE;
  const maxRanges = limits?.maxRanges ?? MAX_RANGES;

  // ranges-specifier = range-unit "=" range-set; no whitespace around "="
  // (§14.1.1), and range units are case-insensitive (§14.1).
  const eq = header.indexOf("=");
  if (eq !== 5 || header.slice(0, 5).toLowerCase() !== "bytes") return NONE;

  const ranges: ByteRange[] = [];
  const n = header.length;
  let specs = 0;
  let requested = 0;
  for (let i = eq + 1; i <= n;) {
    let j = header.indexOf(",", i);
    if (j < 0) j = n;
    const next = j + 1;
    // #rule (§5.6.1.2): OWS around commas, empty elements tolerated.
    while (i < j && isOws(header.charCodeAt(i))) i++;
    while (j > i && isOws(header.charCodeAt(j - 1))) j--;
    if (i < j) {
      if (++specs > maxRanges) return NONE;
      const r = parseSpec(header, i, j, size);
      if (r === null) return NONE;
      if (r !== UNSAT_SPEC) {
        ranges.push(r);
        requested += r.end - r.start + 1;
      }
    }
    i = next;
  }
  // range-set = 1#range-spec: at least one element is required.
  if (specs === 0) return NONE;
  // §14.1.2: the set is satisfiable if at least one range-spec is.
  if (ranges.length === 0) return UNSATISFIABLE;
  if (requested > MAX_REQUESTED_FACTOR * size) return NONE;
  return coalesce(ranges);
}

/** Formats a Content-Range value for a satisfied range (§14.4). */
export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/** Formats the Content-Range value for a 416 response (§14.4, §15.5.17). */
export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}

// Marker for a well-formed but unsatisfiable range-spec.
const UNSAT_SPEC: ByteRange = Object.freeze({ start: -1, end: -1 });

// Parses one range-spec in s[a, b): int-range or suffix-range. Returns null
// on invalid syntax, UNSAT_SPEC if it selects no byte of the representation.
function parseSpec(s: string, a: number, b: number, size: number): ByteRange | null {
  const dash = s.indexOf("-", a);
  if (dash < 0 || dash >= b) return null;
  if (dash === a) {
    // suffix-range = "-" suffix-length
    const suffix = parseDigits(s, a + 1, b);
    if (suffix < 0) return null;
    // §14.1.2: a zero-length suffix selects nothing; a suffix longer than
    // the representation selects all of it.
    if (suffix === 0) return UNSAT_SPEC;
    return { start: suffix >= size ? 0 : size - suffix, end: size - 1 };
  }
  // int-range = first-pos "-" [ last-pos ]
  const first = parseDigits(s, a, dash);
  if (first < 0) return null;
  if (dash + 1 === b) return first >= size ? UNSAT_SPEC : { start: first, end: size - 1 };
  const last = parseDigits(s, dash + 1, b);
  if (last < 0) return null;
  // §14.1.2: last-pos < first-pos makes the range-spec invalid, not merely
  // unsatisfiable. Compared on the digits so saturated values stay exact.
  if (compareDigits(s, a, dash, dash + 1, b) > 0) return null;
  if (first >= size) return UNSAT_SPEC;
  return { start: first, end: last >= size ? size - 1 : last };
}

// Sorts, enforces MAX_OVERLAPS, and merges overlapping or adjacent ranges.
function coalesce(ranges: ByteRange[]): RangeResult {
  if (ranges.length > 1) ranges.sort((x, y) => x.start - y.start || x.end - y.end);
  const out: ByteRange[] = [ranges[0]];
  let overlaps = 0;
  let maxEnd = ranges[0].end;
  for (let k = 1; k < ranges.length; k++) {
    const r = ranges[k];
    if (r.start <= maxEnd && ++overlaps > MAX_OVERLAPS) return NONE;
    const last = out[out.length - 1];
    if (r.start <= last.end + 1) {
      if (r.end > last.end) out[out.length - 1] = { start: last.start, end: r.end };
    } else {
      out.push(r);
    }
    if (r.end > maxEnd) maxEnd = r.end;
  }
  return { type: "ranges", ranges: out };
}

// Parses 1*DIGIT in s[a, b) exactly; -1 if empty or not all digits, and
// Infinity once the value exceeds Number.MAX_SAFE_INTEGER.
function parseDigits(s: string, a: number, b: number): number {
  if (a >= b) return -1;
  let v = 0;
  for (let k = a; k < b; k++) {
    const d = s.charCodeAt(k) - 0x30;
    if (!(d >= 0 && d <= 9)) return -1;
    // Exact: v * 10 + d <= MAX_SAFE_INTEGER is tested before computing it.
    v = v > (Number.MAX_SAFE_INTEGER - d) / 10 ? Infinity : v * 10 + d;
  }
  return v;
}

// Compares two validated digit strings numerically without converting them:
// ignoring leading zeros, the longer is larger, else the first differing
// digit decides.
function compareDigits(s: string, a0: number, a1: number, b0: number, b1: number): number {
  while (a0 < a1 - 1 && s.charCodeAt(a0) === 0x30) a0++;
  while (b0 < b1 - 1 && s.charCodeAt(b0) === 0x30) b0++;
  if (a1 - a0 !== b1 - b0) return a1 - a0 - (b1 - b0);
  for (; a0 < a1; a0++, b0++) {
    const d = s.charCodeAt(a0) - s.charCodeAt(b0);
    if (d !== 0) return d;
  }
  return 0;
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
