/**
 * Planning of `multipart/byteranges` response bodies (RFC 9110 §14.6).
 *
 * The plan holds only the small per-part headers; the caller writes
 * `head`, then bytes `start`–`end` of the representation, for each part in
 * order, then `tail`. Because `length` is exact, Content-Length can be sent
 * up front and the body streamed from a file or cache without buffering.
 *
 * A server MUST NOT send multipart for a request that asked for a single
 * range (§14.6); that choice, and sending a plain 206 when coalescing left
 * one range, belongs to the caller.
 *
 * @module
 */

import type { ByteRange } from "./range.ts";

export interface BytePart {
  /** Delimiter and part header fields, up to and including the blank line. */
  head: Uint8Array;
  /** First byte of the range, inclusive. */
  start: number;
  /** Last byte of the range, inclusive. */
  end: number;
}

export interface ByterangesPlan {
  /** Content-Type of the whole response, carrying the boundary. */
  contentType: string;
  /** Exact byte length of the body: heads, range data and tail. */
  length: number;
  parts: BytePart[];
  /** Close delimiter. */
  tail: Uint8Array;
}

// A boundary restricted to tchars that are also bchars (RFC 2046 §5.1.1) can
// be sent unquoted in the Content-Type parameter.
const BOUNDARY = /^[0-9A-Za-z'+_.-]{1,70}$/;

const encoder = new TextEncoder();

/**
 * Plans a multipart/byteranges body for `ranges` of a `size`-byte
 * representation of type `contentType`.
 *
 * Each part carries the Content-Type the 200 response would have had, which
 * §14.6 requires; an empty `contentType` omits it, as that response would
 * have had none. The first delimiter has no leading CRLF: with an empty
 * preamble, the body may start directly with "--boundary" (RFC 2046 §5.1.1).
 *
 * @throws {TypeError} for an invalid boundary or a content type containing
 *   CR or LF (header injection).
 * @throws {RangeError} for no ranges, or a range outside `[0, size)` or with
 *   end < start.
 */
export function planByteranges(
  ranges: readonly ByteRange[],
  size: number,
  contentType: string,
  boundary: string,
): ByterangesPlan {
  // A multipart body needs at least one part (RFC 2046 §5.1.1).
  if (ranges.length === 0) throw new RangeError("no ranges");
  if (!BOUNDARY.test(boundary)) throw new TypeError(`invalid boundary: ${boundary}`);
  if (/[\r\n]/.test(contentType)) throw new TypeError("content type contains CR or LF");
  const typeLine = contentType === "" ? "" : `Content-Type: ${contentType}\r\n`;
  const parts: BytePart[] = [];
  let length = 0;
  for (let k = 0; k < ranges.length; k++) {
    const { start, end } = ranges[k];
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
      throw new RangeError(`invalid range: ${start}-${end}`);
    }
    if (start < 0 || end < start || end >= size) {
      throw new RangeError(`range ${start}-${end} outside size ${size}`);
    }
    const head = encoder.encode(
      `${k === 0 ? "" : "\r\n"}--${boundary}\r\n${typeLine}` +
        `Content-Range: bytes ${start}-${end}/${size}\r\n\r\n`,
    );
    parts.push({ head, start, end });
    length += head.byteLength + (end - start + 1);
  }
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  length += tail.byteLength;
  return { contentType: `multipart/byteranges; boundary=${boundary}`, length, parts, tail };
}

/**
 * Returns a fresh random boundary (32 hex digits, 128 bits). A boundary must
 * not occur in the enclosed data; with 128 random bits a collision with file
 * content is negligible, which avoids scanning the data.
 */
export function makeBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let s = "";
  for (const b of bytes) s += (b < 16 ? "0" : "") + b.toString(16);
  return s;
}
