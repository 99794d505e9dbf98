// The in-place chunked decoder (RFC 9112 §7.1) against a table of bodies. Every row is decoded
//   1. whole, from a zeroed state at slot 0's start;
//   2. split in two at every byte boundary k = 1 .. len-1 (a fresh zeroed state per split): the
//      first k bytes are decoded at the slot's buffer, then the rest is copied there and decoded,
//      the decoded bytes of both calls appended;
//   3. one byte per call.
// Each way must give the row's answer: for a complete body the decoded bytes, the input consumed
// (the final CRLF is the last byte consumed: a pipelined request after it is left alone, and not
// rewritten) and CS_DONE; for a partial body everything consumed and the decoded bytes so far;
// for a bad one the error, with every earlier call having consumed all its input. Bytes after a
// call's input are poison and must stay untouched.

import {
  CH_OUT, CH_STATE, CH_TOTAL_HI, CH_TOTAL_LO, CHUNK_BAD, CHUNK_TOO_LARGE, CS_DONE, SLOT_STATE,
  SLOTS,
} from "../abi";
import { chunkDecode } from "../chunk";
import { setLimits } from "../limits";

const BAD = CHUNK_BAD;
const BIG = CHUNK_TOO_LARGE;

class CRow {
  /** Bytes of `input` that belong to the body; the rest is the next request. */
  consumed: i32;
  /** 0 for a complete body, 1 for a body cut short (all consumed, not done), else an error. */
  code: i32 = 0;
  limited: bool = false;
  body: f64 = 0;
  ext: i32 = 0;
  head: i32 = 0;

  constructor(public note: string, public input: string, public decoded: string) {
    this.consumed = input.length;
  }

  /** Decode with these limits (maxBody, maxChunkExt, maxHead for trailers), then defaults. */
  limits(body: f64, ext: i32, head: i32): CRow {
    this.limited = true;
    this.body = body;
    this.ext = ext;
    this.head = head;
    return this;
  }
}

const PARTIAL = 1;

function ok(note: string, input: string, decoded: string): CRow {
  return new CRow(note, input, decoded);
}

/** A complete body followed by the next request's bytes, which must not be consumed. */
function next(note: string, body: string, after: string, decoded: string): CRow {
  const r = new CRow(note, body + after, decoded);
  r.consumed = body.length;
  return r;
}

function partial(note: string, input: string, decoded: string): CRow {
  const r = new CRow(note, input, decoded);
  r.code = PARTIAL;
  return r;
}

function err(note: string, input: string, code: i32): CRow {
  const r = new CRow(note, input, "");
  r.code = code;
  return r;
}

const END = "0\r\n\r\n";
const NEXT = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

function ones(n: i32): string {
  let s = "";
  for (let k = 0; k < n; k++) s += "1\r\n" + String.fromCharCode(97 + k % 26) + "\r\n";
  return s;
}

function letters(n: i32): string {
  let s = "";
  for (let k = 0; k < n; k++) s += String.fromCharCode(97 + k % 26);
  return s;
}

const ROWS: CRow[] = [
  // --- valid bodies -----------------------------------------------------------------------------
  ok("empty body", END, ""),
  ok("one chunk", "5\r\nhello\r\n" + END, "hello"),
  ok("two chunks", "5\r\nhello\r\n6\r\n world\r\n" + END, "hello world"),
  ok("upper-case hex", "A\r\n0123456789\r\n" + END, "0123456789"),
  ok("lower-case hex", "a\r\n0123456789\r\n" + END, "0123456789"),
  ok("two-digit mixed-case hex", "1F\r\n" + letters(31) + "\r\n1f\r\n" + letters(31) + "\r\n" +
    END, letters(31) + letters(31)),
  ok("three-digit size", "100\r\n" + letters(256) + "\r\n" + END, letters(256)),
  ok("leading zeros in sizes", "0005\r\nhello\r\n0000\r\n\r\n", "hello"),
  ok("forty leading zeros", "0".repeat(40) + "3\r\nabc\r\n" + END, "abc"),
  ok("a chunk extension", "5;name=value\r\nhello\r\n" + END, "hello"),
  ok("extensions on the last chunk", "5;a\r\nhello\r\n0;b=c;d\r\n\r\n", "hello"),
  ok("quoted extension value", "5;a=\"b c\"\r\nhello\r\n" + END, "hello"),
  ok("BWS before ';'", "5 ;a\r\nhello\r\n3\t;b\r\nabc\r\n" + END, "helloabc"),
  ok("extension of exactly maxChunkExt bytes", "5;abcdefg\r\nhello\r\n" + END, "hello")
    .limits(<f64>(1 << 30), 8, 32768),
  ok("one trailer field", "5\r\nhello\r\n0\r\nX-T: v\r\n\r\n", "hello"),
  ok("two trailer fields", "0\r\nA: 1\r\nB-C:\t2 \r\n\r\n", ""),
  ok("trailer with an empty value", "0\r\nA:\r\n\r\n", ""),
  ok("data holding CRLF and a last-chunk", "7\r\n0\r\n\r\nab\r\n" + END, "0\r\n\r\nab"),
  ok("binary data", "4\r\n\x00\xff\r\n\r\n" + END, "\x00\xff\r\n"),
  ok("thirty one-byte chunks", ones(30) + END, letters(30)),
  ok("body of exactly maxBody", "a\r\n0123456789\r\n" + END, "0123456789")
    .limits(10, 1024, 32768),
  ok("two chunks summing to maxBody", "5\r\nhello\r\n5\r\nworld\r\n" + END, "helloworld")
    .limits(10, 1024, 32768),
  next("next request after the body", "5\r\nhello\r\n" + END, NEXT, "hello"),
  next("next request after an empty body", END, NEXT, ""),
  next("next request after trailers", "0\r\nT: 1\r\n\r\n", NEXT, ""),
  next("a CRLF after the body is the next message's", "1\r\nx\r\n" + END, "\r\n", "x"),
  next("another chunked body after the body", "1\r\nx\r\n" + END, "1\r\ny\r\n" + END, "x"),

  // --- partial bodies ---------------------------------------------------------------------------
  partial("cut inside the size", "1", ""),
  partial("cut after the size line", "5\r\n", ""),
  partial("cut inside the data", "5\r\nhel", "hel"),
  partial("cut before the data CRLF", "5\r\nhello", "hello"),
  partial("cut inside the extension", "5;abc", ""),
  partial("cut after the last-chunk", "5\r\nhello\r\n0\r\n", "hello"),
  partial("cut inside a trailer", "0\r\nX: y", ""),
  partial("cut before the final LF", "0\r\n\r", ""),

  // --- sizes ------------------------------------------------------------------------------------
  err("17 hex digits overflow", "10000000000000000\r\n", BIG),
  err("16 f's exceed maxBody", "ffffffffffffffff\r\n", BIG),
  err("40000001 exceeds the default maxBody", "40000001\r\n", BIG),
  err("size above a small maxBody", "b\r\n0123456789a\r\n" + END, BIG).limits(10, 1024, 32768),
  err("total above a small maxBody", "5\r\nhello\r\n6\r\n world\r\n" + END, BIG)
    .limits(10, 1024, 32768),
  err("size line starting with 'g'", "g\r\nhello\r\n" + END, BAD),
  err("size line starting with ';'", ";a\r\n" + END, BAD),
  err("size line starting with SP", " 5\r\nhello\r\n" + END, BAD),
  err("size line starting with '-'", "-5\r\nhello\r\n" + END, BAD),
  err("size line starting with '+'", "+5\r\nhello\r\n" + END, BAD),
  err("empty size line", "\r\n" + END, BAD),
  err("0x prefix", "0x5\r\nhello\r\n" + END, BAD),
  err("junk after the size", "5z\r\nhello\r\n" + END, BAD),
  err("bare LF after the size", "5\nhello\r\n" + END, BAD),
  err("bare CR after the size", "5\rhello\r\n" + END, BAD),
  err("CR CR LF after the size", "5\r\r\nhello\r\n" + END, BAD),

  // --- extensions -------------------------------------------------------------------------------
  err("extension longer than maxChunkExt", "5;abcdefgh\r\nhello\r\n" + END, BIG)
    .limits(<f64>(1 << 30), 8, 32768),
  err("extension far over the default limit", "5;" + "a".repeat(2000) + "\r\nhello\r\n" + END,
    BIG),
  err("control in an extension", "5;a\x01b\r\nhello\r\n" + END, BAD),
  err("DEL in an extension", "5;a\x7f\r\nhello\r\n" + END, BAD),
  err("bare LF in an extension", "5;a\nhello\r\n" + END, BAD),
  err("bare CR in an extension", "5;a\rb\r\nhello\r\n" + END, BAD),
  ok("BWS around ';' and '='", "5 ; a = b ;c\r\nhello\r\n" + END, "hello"),
  ok("quoted value with an escaped quote", "5;a=\"x\\\"y\"\r\nhello\r\n" + END, "hello"),
  err("whitespace after the size without ';'", "5 xyz\r\nhello\r\n" + END, BAD),
  err("an empty extension name", "5;\r\nhello\r\n" + END, BAD),
  err("a non-token byte in an extension name", "5;a@b\r\nhello\r\n" + END, BAD),
  err("an empty extension value", "5;a=\r\nhello\r\n" + END, BAD),
  err("an unterminated quoted value", "5;a=\"b\r\nhello\r\n" + END, BAD),
  err("whitespace then CR after a value", "5;a=b \r\nhello\r\n" + END, BAD),

  // --- chunk data framing -----------------------------------------------------------------------
  err("data longer than its size", "5\r\nhelloX\r\n" + END, BAD),
  err("data shorter than its size", "5\r\nhell\r\n" + END, BAD),
  err("data followed by a bare LF", "5\r\nhello\n" + END, BAD),
  err("data followed by a bare CR", "5\r\nhello\rX" + END, BAD),
  err("data followed by LF CR", "5\r\nhello\n\r" + END, BAD),

  // --- last chunk and trailers ------------------------------------------------------------------
  err("bare LF ending the body", "0\r\n\n", BAD),
  err("bare CR ending the body", "0\r\n\rX", BAD),
  err("last-chunk without CRLF", "0\n\r\n", BAD),
  err("trailer obs-fold with SP", "0\r\nX: a\r\n b\r\n\r\n", BAD),
  err("trailer obs-fold with HTAB", "0\r\nX: a\r\n\tb\r\n\r\n", BAD),
  err("trailer starting with ':'", "0\r\n: a\r\n\r\n", BAD),
  err("trailer line without a colon", "0\r\nbad trailer\r\n\r\n", BAD),
  err("trailer with whitespace before the colon", "0\r\nX-T : v\r\n\r\n", BAD),
  err("trailer with a non-token name", "0\r\nX(T): v\r\n\r\n", BAD),
  err("control in a trailer", "0\r\nX: a\x00\r\n\r\n", BAD),
  err("bare LF ending a trailer", "0\r\nX: a\n\r\n", BAD),
  err("bare CR in a trailer", "0\r\nX: a\rb\r\n\r\n", BAD),
  err("trailer section above maxHead", "0\r\nX: " + "a".repeat(40) + "\r\n\r\n", BIG)
    .limits(<f64>(1 << 30), 1024, 16),
];

// ---------------------------------------------------------------------------------------------
// The harness

/** Slot 0: its decoder state, then its input buffer. */
const ST: i32 = SLOTS;
const D: i32 = SLOTS + SLOT_STATE;
/** A scratch copy of the row's bytes. */
const M: i32 = SLOTS + 0x40000;
const POISON: u8 = 0xa5;

let errors: string[] = [];
let out = "";

function fail(what: string): void {
  errors.push(what);
}

function put(dst: i32, s: string): void {
  for (let k = 0; k < s.length; k++) store<u8>(dst + k, <u8>s.charCodeAt(k));
}

function zeroState(): void {
  memory.fill(ST, 0, SLOT_STATE);
}

function total(): i64 {
  return (<i64>load<u32>(ST + CH_TOTAL_HI) << 32) | <i64>load<u32>(ST + CH_TOTAL_LO);
}

function show(s: string): string {
  return s.length > 40 ? s.substring(0, 40) + "..." : s;
}

/**
 * Decodes input bytes [from, to) at D (poison after them) with the state at ST and appends the
 * decoded bytes to `out`. Returns the chunkDecode result.
 */
function feed(from: i32, to: i32, how: string): i32 {
  const n = to - from;
  memory.copy(D, M + from, n);
  memory.fill(D + n, POISON, 16);
  const r = chunkDecode(ST, D, n);
  for (let k = 0; k < 16; k++) {
    if (load<u8>(D + n + k) != POISON) {
      fail(how + ": wrote past its input");
      break;
    }
  }
  if (r >= 0) {
    const produced = load<i32>(ST + CH_OUT);
    if (produced < 0 || produced > r) fail(how + ": CH_OUT " + produced.toString());
    for (let k = 0; k < produced; k++) out += String.fromCharCode(load<u8>(D + k));
    // What was not consumed (the next request) is left as it was.
    for (let k = r; k < n; k++) {
      if (load<u8>(D + k) != load<u8>(M + from + k)) {
        fail(how + ": rewrote unconsumed input");
        break;
      }
    }
  }
  return r;
}

/** The answer of one way of feeding, compared with the row. */
function judge(row: CRow, result: i32, consumed: i32, how: string): void {
  const done = load<i32>(ST + CH_STATE) == CS_DONE;
  if (row.code < 0) {
    if (result != row.code) fail(how + ": gave " + result.toString());
    return;
  }
  if (result < 0) {
    fail(how + ": gave " + result.toString());
    return;
  }
  if (consumed != row.consumed) fail(how + ": consumed " + consumed.toString());
  if (done != (row.code == 0)) fail(how + ": done " + done.toString());
  if (out != row.decoded) fail(how + ": decoded '" + show(out) + "'");
  // CH_TOTAL counts a chunk's size once its size line is complete (so maxBody is enforced
  // before the data arrives); only at the end does it equal the decoded length.
  if (done && total() != <i64>row.decoded.length) fail(how + ": CH_TOTAL " + total().toString());
}

function runRow(row: CRow): void {
  errors = [];
  if (row.limited) setLimits(8192, row.head, 100, row.body, row.ext);
  const n = row.input.length;
  put(M, row.input);

  // 1. Whole.
  zeroState();
  out = "";
  const r = feed(0, n, "whole");
  judge(row, r, r, "whole");

  // 2. Split in two at every boundary.
  for (let k = 1; k < n && errors.length == 0; k++) {
    const how = "split at " + k.toString();
    zeroState();
    out = "";
    let res = feed(0, k, how);
    let consumed = res;
    if (res >= 0 && load<i32>(ST + CH_STATE) != CS_DONE) {
      if (res != k) fail(how + ": first call consumed " + res.toString());
      res = feed(k, n, how);
      consumed = res >= 0 ? k + res : res;
    }
    judge(row, res, consumed, how);
  }

  // 3. One byte per call.
  zeroState();
  out = "";
  let res = 0;
  let consumed = 0;
  for (let k = 0; k < n; k++) {
    res = feed(k, k + 1, "bytewise");
    if (res < 0) break;
    consumed += res;
    if (load<i32>(ST + CH_STATE) == CS_DONE) break;
    if (res != 1) fail("bytewise: byte " + k.toString() + " not consumed");
  }
  judge(row, res, consumed, "bytewise");

  if (row.limited) setLimits(8192, 32768, 100, <f64>(1 << 30), 1024);
  expect<string>(errors.join("; ")).toBe("", row.note);
}

let cursor = 0;

function runNext(): void {
  runRow(ROWS[cursor++]);
}

describe("chunk: the table", () => {
  for (let i = 0; i < ROWS.length; i++) it(ROWS[i].note, runNext);
});

describe("chunk: state", () => {
  it("decodes two pipelined bodies with the state zeroed in between", () => {
    const two = "3\r\nabc\r\n" + END + "2\r\nde\r\n0\r\nT: x\r\n\r\n" + NEXT;
    put(D, two);
    zeroState();
    const r1 = chunkDecode(ST, D, two.length);
    expect<i32>(r1).toBe(13);
    expect<i32>(load<i32>(ST + CH_STATE)).toBe(CS_DONE);
    expect<i32>(load<i32>(ST + CH_OUT)).toBe(3);
    // A finished state consumes nothing more.
    expect<i32>(chunkDecode(ST, D + r1, two.length - r1)).toBe(0);
    expect<i32>(load<i32>(ST + CH_OUT)).toBe(0);
    zeroState();
    const r2 = chunkDecode(ST, D + r1, two.length - r1);
    expect<i32>(r2).toBe(two.length - r1 - NEXT.length);
    expect<i32>(load<i32>(ST + CH_OUT)).toBe(2);
    expect<u8>(load<u8>(D + r1)).toBe(100); // d
    expect<u8>(load<u8>(D + r1 + 1)).toBe(101); // e
    expect<i64>(total()).toBe(2);
  });
  it("keeps CH_TOTAL across calls", () => {
    zeroState();
    put(D, "5\r\nhe");
    expect<i32>(chunkDecode(ST, D, 5)).toBe(5);
    expect<i64>(total()).toBe(5); // the announced size counts once its line is complete
    put(D, "llo\r\n3\r\nabc\r\n");
    expect<i32>(chunkDecode(ST, D, 13)).toBe(13);
    expect<i64>(total()).toBe(8);
    expect<i32>(load<i32>(ST + CH_OUT)).toBe(6);
  });
});
