// Byte classes and comparisons shared by the parser and the chunked decoder.

/** tchar (RFC 9110 §5.6.2): the characters of a token, such as a method or field name. */
export function isTchar(c: u8): bool {
  return load<u8>(TCHAR + c) != 0;
}

// A 256-byte table, 1 for each tchar.
const TCHAR = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  // SP ! " # $ % & ' ( ) * + , - . /
  0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,
  // 0-9 : ; < = > ?
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
  // @ A-O
  0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  // P-Z [ \ ] ^ _
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
  // ` a-o
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  // p-z { | } ~ DEL
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

/** ASCII lower case; other bytes unchanged. */
@inline export function lower(c: u8): u8 {
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}

// Word-at-a-time comparisons, instead of a loop per byte over a string literal. Memory is
// little-endian, so the first byte of a word is its lowest byte: "host" loads as the u32
// 0x74736f68. Callers cover a name of n bytes with words that overlap (bytes 0..3 and n-4..n-1
// of a 7-byte name, say), so a comparison needs no mask and reads nothing past the name.

/**
 * Case folding for a whole word: OR-ing 0x20 into a byte maps 'A'-'Z' onto 'a'-'z' and leaves
 * 'a'-'z' alone. A folded byte equals a lower-case letter t exactly when the byte is t or its
 * upper case (only t and t - 0x20 fold onto t). It equals '-' when the byte is '-' or CR, so a
 * comparison with a target of lower-case letters and '-' is exact for any bytes without CR, such
 * as tchar (RFC 9110 §5.6.2), which every caller has checked. Digits are compared unfolded:
 * the controls 0x10-0x19 would fold onto them.
 */
@inline export function folded16(off: i32): u32 {
  return <u32>load<u16>(off) | 0x2020;
}

@inline export function folded32(off: i32): u32 {
  return load<u32>(off) | 0x20202020;
}

@inline export function folded64(off: i32): u64 {
  return load<u64>(off) | 0x2020202020202020;
}

/** The lowest set bit of `lanes` (a word with 0x80 flags per byte), as a byte index 0..7. */
@inline export function firstLane(lanes: u64): i32 {
  return <i32>(ctz(lanes) >> 3);
}

/**
 * SWAR byte classes for scans that skip 8 bytes at a time. Each returns 0x80 in the lane of
 * every byte of the class, and may also flag a lane above a flagged one (a borrow or carry
 * crossing into it), never below: so a result of 0 means no byte is in the class, and the lowest
 * flagged lane is the first byte that is. Scans skip words that give 0 and look at the bytes
 * from the first flagged lane one at a time, with the exact test, so a spurious flag costs time
 * but cannot change a result.
 */
const ONES: u64 = 0x0101010101010101;
const HIGHS: u64 = 0x8080808080808080;

/** Bytes below n (n <= 0x80): x - n borrows into the high bit only where the byte is < n. */
@inline function lanesBelow(w: u64, n: u64): u64 {
  return (w - ONES * n) & ~w & HIGHS;
}

/** Bytes equal to c: a zero byte of w ^ c. */
@inline function lanesEqual(w: u64, c: u64): u64 {
  return lanesBelow(w ^ (ONES * c), 1);
}

/** Bytes at or above 0x7f: adding 1 sets the high bit of 0x7f; the others have it already. */
@inline function lanesDelOrHigh(w: u64): u64 {
  return ((w + ONES) | w) & HIGHS;
}

/**
 * Bytes that end or break a field value (RFC 9110 §5.5): controls (CR ends it, HTAB is allowed,
 * the rest are errors) and DEL. obs-text (0x80-0xff) is allowed and not flagged.
 */
@inline export function lanesValueStop(w: u64): u64 {
  return lanesBelow(w, 0x20) | lanesEqual(w, 0x7f);
}

/** Bytes that end a request-target (RFC 9112 §3.2): controls, SP, DEL and above. */
@inline export function lanesTargetStop(w: u64): u64 {
  return lanesBelow(w, 0x21) | lanesDelOrHigh(w);
}
