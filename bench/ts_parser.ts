// A plain-TypeScript HTTP/1.1 request-head parser, written the way one usually would in
// TypeScript (TextDecoder on the head, split into lines, a Map of headers). It is not used by
// tuxd: it is kept as the baseline that the WASM parser is compared with (bench/parse_bench.ts).
//
// Grammar (RFC 9112 §2-5): request-line = method SP request-target SP HTTP-version, then
// field-lines `name ":" OWS value OWS`, then an empty line. Leading empty lines are skipped
// (§2.2); obs-fold and whitespace before the colon are rejected (§5.1, §5.2).

export interface ParsedRequest {
  method: string;
  /** The request-target as sent. */
  target: string;
  /** Target up to "?" (for origin-form targets). */
  path: string;
  /** After "?", or null when there is no "?". */
  query: string | null;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: 0 | 1;
  /** Lower-cased field names; repeated fields joined with ", " (RFC 9110 §5.3). */
  headers: Map<string, string>;
  /** Bytes of the head, up to and including the empty line. */
  headLength: number;
}

export class HttpParseError extends Error {
  /** The response status this error calls for. */
  status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = "HttpParseError";
    this.status = status;
  }
}

export const MAX_HEAD = 16 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VERSION = /^HTTP\/1\.([01])$/;
// field-value: no control characters but HTAB (obs-text bytes that are not UTF-8 decode to U+FFFD)
// deno-lint-ignore no-control-regex
const FIELD_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;
const OWS = /^[ \t]+|[ \t]+$/g;
const TARGET = /^[\x21-\x7e]+$/;

// UTF-8, as most TypeScript code would decode; heads are ASCII in practice (the WASM parser
// works on raw bytes, so this is the TS side's only decoding cost)
const decoder = new TextDecoder();

/** Index just past the CRLFCRLF ending the head, or -1 if it is not in `buf` yet. */
export function findHeadEnd(buf: Uint8Array, from = 0): number {
  for (let i = Math.max(from, 3); i < buf.length; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) {
      return i + 1;
    }
  }
  return -1;
}

/**
 * Parses the request head at the start of `buf`. Returns null when the head is not complete yet,
 * throws HttpParseError when it is malformed (or longer than MAX_HEAD).
 */
export function parseRequestHead(buf: Uint8Array): ParsedRequest | null {
  // Skip empty lines before the request-line.
  let start = 0;
  while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
  const end = findHeadEnd(buf, start);
  if (end < 0) {
    if (buf.length - start > MAX_HEAD) throw new HttpParseError("head too large", 431);
    return null;
  }
  if (end - start > MAX_HEAD) throw new HttpParseError("head too large", 431);

  const lines = decoder.decode(buf.subarray(start, end - 4)).split("\r\n");

  const requestLine = lines[0].split(" ");
  if (requestLine.length !== 3) throw new HttpParseError("malformed request-line");
  const [method, target, version] = requestLine;
  if (!TOKEN.test(method)) throw new HttpParseError("bad method");
  if (!TARGET.test(target)) throw new HttpParseError("bad request-target");
  const v = VERSION.exec(version);
  if (!v) throw new HttpParseError("unsupported HTTP version", 505);

  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith(" ") || line.startsWith("\t")) throw new HttpParseError("obs-fold");
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpParseError("malformed field line");
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpParseError("bad field name");
    const value = line.slice(colon + 1).replace(OWS, "");
    if (!FIELD_VALUE.test(value)) throw new HttpParseError("bad field value");
    const key = name.toLowerCase();
    const prev = headers.get(key);
    headers.set(key, prev === undefined ? value : `${prev}, ${value}`);
  }

  const q = target.indexOf("?");
  return {
    method,
    target,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? null : target.slice(q + 1),
    minor: v[1] === "1" ? 1 : 0,
    headers,
    headLength: end,
  };
}
