// The request-head parser against one table of heads (RFC 9112 §2–§7, RFC 9110 where it
// defines field semantics). Every row is parsed
//   1. fed the way the server feeds it: for k = 1 .. len-1 the first k bytes are parsed in the
//      slot buffer (the bytes after them poisoned with CRLFs, so reading past `end` shows up).
//      Valid rows: every strict prefix must be PARSE_INCOMPLETE. Invalid rows: every prefix must
//      be PARSE_INCOMPLETE or the row's final error, and once a prefix gives the error every
//      longer prefix gives it too (the server answers at the first final result).
//   2. whole, compared with the row: the result, and for a valid head the record (method id and
//      slice, target slice, path, query, minor, exact flags, Content-Length, authority, path
//      hash, field count, one field's name/value slice, KNOWN and FIELD_ID of every field).
//   3. valid rows only: whole with the next pipelined request's bytes after it (same length),
//      and at an odd base address (same length).

import {
  F_ABSOLUTE_FORM, F_ACCEPT_ENCODING, F_ASTERISK_FORM, F_AUTHORITY_FORM, F_CHUNKED,
  F_CONDITIONAL, F_CONN_CLOSE, F_CONN_KEEP_ALIVE, F_CONN_UPGRADE, F_CONTENT_LENGTH,
  F_EXPECT_CONTINUE, F_EXPECT_OTHER, F_PATH_PLAIN, F_RANGE, FIELD_ID, FIELD_NAME_LEN,
  FIELD_NAME_OFF, FIELD_SIZE, FIELD_VALUE_LEN, FIELD_VALUE_OFF, FIELDS, H_ACCEPT,
  H_ACCEPT_ENCODING, H_AUTHORIZATION, H_CONNECTION, H_CONTENT_LENGTH, H_CONTENT_TYPE, H_COUNT,
  H_EXPECT, H_HOST, H_IF_MATCH, H_IF_MODIFIED_SINCE, H_IF_NONE_MATCH, H_IF_RANGE,
  H_IF_UNMODIFIED_SINCE, H_KEEP_ALIVE, H_ORIGIN, H_OTHER, H_PROXY, H_PROXY_CONNECTION, H_RANGE,
  H_TE, H_TRAILER, H_TRANSFER_ENCODING, H_UPGRADE, KNOWN, METHOD_CONNECT, METHOD_DELETE,
  METHOD_GET, METHOD_HEAD, METHOD_OPTIONS, METHOD_OTHER, METHOD_PATCH, METHOD_POST, METHOD_PUT,
  METHOD_TRACE, PARSE_BAD_REQUEST, PARSE_FIELDS_TOO_LARGE, PARSE_INCOMPLETE,
  PARSE_NOT_IMPLEMENTED, PARSE_PAYLOAD_TOO_LARGE, PARSE_URI_TOO_LONG, PARSE_VERSION, REQ,
  REQ_AUTH_LEN, REQ_AUTH_OFF, REQ_CL_HI, REQ_CL_LO, REQ_FIELD_COUNT, REQ_FLAGS, REQ_HEAD_LEN,
  REQ_METHOD, REQ_METHOD_LEN, REQ_METHOD_OFF, REQ_MINOR, REQ_PATH_HASH, REQ_PATH_LEN,
  REQ_PATH_OFF, REQ_QUERY_LEN, REQ_QUERY_OFF, REQ_TARGET_LEN, REQ_TARGET_OFF, SLOT_STATE, SLOTS,
} from "../abi";
import { parse } from "../parse";
import { setLimits } from "../limits";

// ---------------------------------------------------------------------------------------------
// The table

/** Expected result of a valid row: a complete head whose length is the row's length. */
const OK: i32 = 1;
const BAD = PARSE_BAD_REQUEST;
const INC = PARSE_INCOMPLETE;
const PL = F_PATH_PLAIN;

class Row {
  method: i32 = METHOD_OTHER;
  path: string = "";
  query: string | null = null;
  minor: i32 = 1;
  flags: i32 = 0;
  count: i32 = 0;
  fIdx: i32 = -1;
  fName: string = "";
  fValue: string = "";
  cl: i64 = -1;
  auth: string | null = null;
  kId: i32 = -1;
  kIdx: i32 = -1;
  limited: bool = false;
  line: i32 = 0;
  head: i32 = 0;
  fields: i32 = 0;
  body: f64 = 0;

  constructor(public note: string, public raw: string, public expect: i32) {}

  /** Field `idx` has this name and (OWS-trimmed) value. */
  f(idx: i32, name: string, value: string): Row {
    this.fIdx = idx;
    this.fName = name;
    this.fValue = value;
    return this;
  }
  /** The Content-Length value (rows with F_CONTENT_LENGTH must give it). */
  clen(v: i64): Row {
    this.cl = v;
    return this;
  }
  /** The authority of an absolute- or authority-form target. */
  authority(a: string): Row {
    this.auth = a;
    return this;
  }
  /** KNOWN[id] must be idx (checked on top of the generic first-occurrence check). */
  known(id: i32, idx: i32): Row {
    this.kId = id;
    this.kIdx = idx;
    return this;
  }
  /** Parse this row with these limits (maxChunkExt stays 1024), restoring defaults after. */
  limits(line: i32, head: i32, fields: i32, body: f64): Row {
    this.limited = true;
    this.line = line;
    this.head = head;
    this.fields = fields;
    this.body = body;
    return this;
  }
}

function ok(
  note: string, raw: string, method: i32, path: string, query: string | null, minor: i32,
  flags: i32, count: i32,
): Row {
  const r = new Row(note, raw, OK);
  r.method = method;
  r.path = path;
  r.query = query;
  r.minor = minor;
  r.flags = flags;
  r.count = count;
  return r;
}

function err(note: string, raw: string, code: i32): Row {
  return new Row(note, raw, code);
}

const G = "GET / HTTP/1.1\r\n";
const G0 = "GET / HTTP/1.0\r\n";
const P1 = "POST /u HTTP/1.1\r\n";
const H = "Host: a\r\n";
const E = "\r\n";
const GH = G + H; // a valid 1.1 request line and Host, fields to follow
const PH = P1 + H;

/** `n` field lines "Xk: v". */
function manyFields(n: i32): string {
  let s = "";
  for (let k = 0; k < n; k++) s += "X" + k.toString() + ": v\r\n";
  return s;
}

const ROWS: Row[] = [
  // --- request-line forms (RFC 9112 §3, §3.2) ------------------------------------------------
  ok("origin-form /", GH + E, METHOD_GET, "/", null, 1, PL, 1).f(0, "Host", "a").known(H_HOST, 0),
  ok("origin-form with query", "GET /index.html?x=1&y=2 HTTP/1.1\r\n" + H + E, METHOD_GET,
    "/index.html", "x=1&y=2", 1, PL, 1).f(0, "Host", "a"),
  ok("empty query", "GET /? HTTP/1.1\r\n" + H + E, METHOD_GET, "/", "", 1, PL, 1),
  ok("'?' inside the query", "GET /a?b?c HTTP/1.1\r\n" + H + E, METHOD_GET, "/a", "b?c", 1, PL, 1),
  ok("dots inside a segment are plain", "GET /a/b/c.txt HTTP/1.1\r\n" + H + E, METHOD_GET,
    "/a/b/c.txt", null, 1, PL, 1),
  ok("'@' and sub-delims in a path", "GET /@x/!$&'()*+,;=:~ HTTP/1.1\r\n" + H + E, METHOD_GET,
    "/@x/!$&'()*+,;=:~", null, 1, PL, 1),
  ok("HEAD", "HEAD / HTTP/1.1\r\n" + H + E, METHOD_HEAD, "/", null, 1, PL, 1),
  ok("POST", "POST /form HTTP/1.1\r\n" + H + "Content-Length: 3\r\n" + E, METHOD_POST, "/form",
    null, 1, PL | F_CONTENT_LENGTH, 2).f(1, "Content-Length", "3").clen(3),
  ok("PUT", "PUT /f HTTP/1.1\r\n" + H + "Content-Length: 0\r\n" + E, METHOD_PUT, "/f", null, 1,
    PL | F_CONTENT_LENGTH, 2).clen(0),
  ok("DELETE", "DELETE /f HTTP/1.1\r\n" + H + E, METHOD_DELETE, "/f", null, 1, PL, 1),
  ok("OPTIONS /", "OPTIONS / HTTP/1.1\r\n" + H + E, METHOD_OPTIONS, "/", null, 1, PL, 1),
  ok("PATCH", "PATCH /f HTTP/1.1\r\n" + H + E, METHOD_PATCH, "/f", null, 1, PL, 1),
  ok("TRACE", "TRACE / HTTP/1.1\r\n" + H + E, METHOD_TRACE, "/", null, 1, PL, 1),
  ok("methods are case-sensitive: get", "get / HTTP/1.1\r\n" + H + E, METHOD_OTHER, "/", null, 1,
    PL, 1),
  ok("methods are case-sensitive: Get", "Get / HTTP/1.1\r\n" + H + E, METHOD_OTHER, "/", null, 1,
    PL, 1),
  ok("unknown method token", "PROPFIND /d HTTP/1.1\r\n" + H + E, METHOD_OTHER, "/d", null, 1, PL,
    1),
  ok("GETX is not GET", "GETX / HTTP/1.1\r\n" + H + E, METHOD_OTHER, "/", null, 1, PL, 1),
  ok("GE is not GET", "GE / HTTP/1.1\r\n" + H + E, METHOD_OTHER, "/", null, 1, PL, 1),
  ok("POSTS is not POST", "POSTS / HTTP/1.1\r\n" + H + E, METHOD_OTHER, "/", null, 1, PL, 1),
  ok("method with tchar punctuation", "M-SEARCH * HTTP/1.1\r\n" + H + E, METHOD_OTHER, "", null,
    1, F_ASTERISK_FORM, 1),
  ok("asterisk-form", "OPTIONS * HTTP/1.1\r\n" + H + E, METHOD_OPTIONS, "", null, 1,
    F_ASTERISK_FORM, 1),
  err("'*' followed by more", "OPTIONS *x HTTP/1.1\r\n" + H + E, BAD),
  err("'*' with a query", "OPTIONS *?a HTTP/1.1\r\n" + H + E, BAD),
  ok("absolute-form overrides Host", "GET http://a.example/x?y HTTP/1.1\r\nHost: other\r\n" + E,
    METHOD_GET, "/x", "y", 1, F_ABSOLUTE_FORM | PL, 1).authority("a.example").f(0, "Host",
    "other"),
  ok("absolute-form https with port", "GET https://a.example:8443/ HTTP/1.1\r\n" + H + E,
    METHOD_GET, "/", null, 1, F_ABSOLUTE_FORM | PL, 1).authority("a.example:8443"),
  ok("absolute-form scheme is case-insensitive", "GET HTTP://A.EXAMPLE/p HTTP/1.1\r\n" + H + E,
    METHOD_GET, "/p", null, 1, F_ABSOLUTE_FORM | PL, 1).authority("A.EXAMPLE"),
  ok("absolute-form with an empty path", "GET http://a.example HTTP/1.1\r\n" + H + E,
    METHOD_GET, "", null, 1, F_ABSOLUTE_FORM | PL, 1).authority("a.example"),
  ok("absolute-form, empty path and a query", "GET http://a.example?q HTTP/1.1\r\n" + H + E,
    METHOD_GET, "", "q", 1, F_ABSOLUTE_FORM | PL, 1).authority("a.example"),
  ok("absolute-form IPv6 literal", "GET http://[::1]:8080/p HTTP/1.1\r\n" + H + E, METHOD_GET,
    "/p", null, 1, F_ABSOLUTE_FORM | PL, 1).authority("[::1]:8080"),
  ok("absolute-form path is checked for plainness", "GET http://a//x HTTP/1.1\r\n" + H + E,
    METHOD_GET, "//x", null, 1, F_ABSOLUTE_FORM, 1).authority("a"),
  err("absolute-form with userinfo", "GET http://u@a.example/ HTTP/1.1\r\n" + H + E, BAD),
  err("absolute-form with user:pass", "GET http://u:p@a.example/ HTTP/1.1\r\n" + H + E, BAD),
  err("absolute-form with an empty authority", "GET http:///x HTTP/1.1\r\n" + H + E, BAD),
  err("absolute-form with a bad port", "GET http://a:b/ HTTP/1.1\r\n" + H + E, BAD),
  err("absolute-form with a '#'", "GET http://a#f HTTP/1.1\r\n" + H + E, BAD),
  err("absolute-form with an unknown scheme", "GET ftp://a/x HTTP/1.1\r\n" + H + E, BAD),
  err("absolute-form with 'http:/' only", "GET http:/x HTTP/1.1\r\n" + H + E, BAD),
  err("absolute-form with a bad host char", "GET http://a\"b/ HTTP/1.1\r\n" + H + E, BAD),
  ok("authority-form", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n" + E,
    METHOD_CONNECT, "", null, 1, F_AUTHORITY_FORM, 1).authority("a.example:443"),
  err("authority-form with a path", "CONNECT a.example:443/x HTTP/1.1\r\n" + H + E, BAD),
  err("authority-form with userinfo", "CONNECT u@a.example:443 HTTP/1.1\r\n" + H + E, BAD),
  err("authority-form with a query", "CONNECT a:1?q HTTP/1.1\r\n" + H + E, BAD),

  // --- leading empty lines (RFC 9112 §2.2) ----------------------------------------------------
  ok("one leading CRLF is ignored", E + GH + E, METHOD_GET, "/", null, 1, PL, 1).f(0, "Host",
    "a"),
  ok("four leading CRLFs are ignored", E + E + E + E + GH + E, METHOD_GET, "/", null, 1, PL, 1),
  err("five leading CRLFs are too many", E + E + E + E + E + GH + E, BAD),
  err("a leading bare LF", "\n" + GH + E, BAD),
  err("a leading bare CR", "\r" + GH + E, BAD),
  err("leading whitespace", " " + GH + E, BAD),

  // --- request-line syntax: methods and targets (RFC 9112 §3) ---------------------------------
  err("two spaces after the method", "GET  / HTTP/1.1\r\n" + H + E, BAD),
  err("two spaces after the target", "GET /  HTTP/1.1\r\n" + H + E, BAD),
  err("HTAB after the method", "GET\t/ HTTP/1.1\r\n" + H + E, BAD),
  err("empty method", " / HTTP/1.1\r\n" + H + E, BAD),
  err("non-tchar in the method", "GE(T / HTTP/1.1\r\n" + H + E, BAD),
  err("bare CR in the method", "GE\rT / HTTP/1.1\r\n" + H + E, BAD),
  err("bare LF in the method", "GET\n/ HTTP/1.1\r\n" + H + E, BAD),
  err("obs-text in the method", "G\xc9T / HTTP/1.1\r\n" + H + E, BAD),
  err("target is not '/' or a form", "GET foo/bar HTTP/1.1\r\n" + H + E, BAD),
  err("control in the target", "GET /a\x01b HTTP/1.1\r\n" + H + E, BAD),
  err("NUL in the target", "GET /a\x00b HTTP/1.1\r\n" + H + E, BAD),
  err("DEL in the target", "GET /a\x7fb HTTP/1.1\r\n" + H + E, BAD),
  err("obs-text in the target", "GET /caf\xe9 HTTP/1.1\r\n" + H + E, BAD),
  err("HTAB in the target", "GET /a\tb HTTP/1.1\r\n" + H + E, BAD),
  err("bare CR in the target", "GET /a\rb HTTP/1.1\r\n" + H + E, BAD),
  err("bare LF in the target", "GET /a\nb HTTP/1.1\r\n" + H + E, BAD),
  err("space inside the target", "GET /a b HTTP/1.1\r\n" + H + E, BAD),
  err("fragment in the path", "GET /a#b HTTP/1.1\r\n" + H + E, BAD),
  err("fragment after the query", "GET /a?b#c HTTP/1.1\r\n" + H + E, BAD),
  err("HTTP/0.9 simple-request (no version)", "GET /\r\n\r\n", BAD),
  err("empty version", "GET / \r\n" + H + E, BAD),
  err("space after the version", "GET / HTTP/1.1 \r\n" + H + E, BAD),
  err("bare LF after the version", "GET / HTTP/1.1\n" + H + E, BAD),
  err("bare CR after the version", "GET / HTTP/1.1\r" + H + E, BAD),
  err("CR CR LF after the version", "GET / HTTP/1.1\r\r\n" + H + E, BAD),

  // --- HTTP-version (RFC 9112 §2.3, RFC 9110 §6.2) --------------------------------------------
  ok("HTTP/1.0 without Host", G0 + E, METHOD_GET, "/", null, 0, PL, 0),
  ok("HTTP/1.0 with Host", G0 + H + E, METHOD_GET, "/", null, 0, PL, 1).f(0, "Host", "a"),
  ok("HTTP/1.9 is handled as 1.1", "GET / HTTP/1.9\r\n" + H + E, METHOD_GET, "/", null, 1, PL, 1),
  err("HTTP/1.9 needs Host like 1.1", "GET / HTTP/1.9\r\n" + E, BAD),
  err("HTTP/2.0 is 505", "GET / HTTP/2.0\r\n" + H + E, PARSE_VERSION),
  err("HTTP/3.1 is 505", "GET / HTTP/3.1\r\n" + H + E, PARSE_VERSION),
  err("HTTP/0.9 as a version is 505 (major 0)", "GET / HTTP/0.9\r\n" + H + E, PARSE_VERSION),
  err("lower-case http", "GET / http/1.1\r\n" + H + E, BAD),
  err("HTTP/1 (no minor)", "GET / HTTP/1\r\n" + H + E, BAD),
  err("HTTP/1.10 (two-digit minor)", "GET / HTTP/1.10\r\n" + H + E, BAD),
  err("HTTP/11.1 (two-digit major)", "GET / HTTP/11.1\r\n" + H + E, BAD),
  err("HTTP/1.x", "GET / HTTP/1.x\r\n" + H + E, BAD),
  err("HTTPS/1.1", "GET / HTTPS/1.1\r\n" + H + E, BAD),
  err("HTTP 1.1", "GET / HTTP 1.1\r\n" + H + E, BAD),
  err("HTTP/1,1", "GET / HTTP/1,1\r\n" + H + E, BAD),

  // --- field-line syntax (RFC 9112 §5, RFC 9110 §5.5) -----------------------------------------
  err("bare LF ending a field line", G + "Host: a\nX: y\r\n" + E, BAD),
  err("bare CR inside a field line", G + "Host: a\rX: y\r\n" + E, BAD),
  err("bare LF as the empty line", GH + "\n\r\n", BAD),
  err("bare CR as the empty line", GH + "\rX\r\n", BAD),
  err("CR CR LF ending a field line", G + "Host: a\r\r\n" + E, BAD),
  err("obs-fold with SP", GH + "X: a\r\n b\r\n" + E, BAD),
  err("obs-fold with HTAB", GH + "X: a\r\n\tb\r\n" + E, BAD),
  err("obs-fold on the first field line", G + " Host: a\r\n" + E, BAD),
  err("SP before the colon", G + "Host : a\r\n" + E, BAD),
  err("HTAB before the colon", G + "Host\t: a\r\n" + E, BAD),
  err("empty field name", GH + ": a\r\n" + E, BAD),
  err("no colon", GH + "X\r\n" + E, BAD),
  err("'(' in a field name", GH + "X(y): a\r\n" + E, BAD),
  err("SP in a field name", GH + "X y: a\r\n" + E, BAD),
  err("'@' in a field name", GH + "X@: a\r\n" + E, BAD),
  err("obs-text in a field name", GH + "X\xe9: a\r\n" + E, BAD),
  err("bare CR in a field name", GH + "X\ry: a\r\n" + E, BAD),
  err("bare LF in a field name", GH + "X\ny: a\r\n" + E, BAD),
  err("NUL in a field value", GH + "X: a\x00b\r\n" + E, BAD),
  err("DEL in a field value", GH + "X: a\x7fb\r\n" + E, BAD),
  err("SOH in a field value", GH + "X: a\x01b\r\n" + E, BAD),
  err("US in a field value", GH + "X: a\x1fb\r\n" + E, BAD),
  ok("HTAB inside a field value", GH + "X: a\tb\r\n" + E, METHOD_GET, "/", null, 1, PL, 2).f(1,
    "X", "a\tb"),
  ok("obs-text in a field value", GH + "X: caf\xe9 \xff\r\n" + E, METHOD_GET, "/", null, 1, PL,
    2).f(1, "X", "caf\xe9 \xff"),
  ok("OWS around a value is trimmed", GH + "X: \t a b \t \r\n" + E, METHOD_GET, "/", null, 1, PL,
    2).f(1, "X", "a b"),
  ok("empty field value", GH + "X:\r\n" + E, METHOD_GET, "/", null, 1, PL, 2).f(1, "X", ""),
  ok("value of only OWS", GH + "X: \t \r\n" + E, METHOD_GET, "/", null, 1, PL, 2).f(1, "X", ""),
  ok("no OWS after the colon", GH + "X:y\r\n" + E, METHOD_GET, "/", null, 1, PL, 2).f(1, "X",
    "y"),
  ok("every tchar in a field name", GH + "!#$%&'*+-.^_`|~09azAZ: v\r\n" + E, METHOD_GET, "/",
    null, 1, PL, 2).f(1, "!#$%&'*+-.^_`|~09azAZ", "v"),
  ok("colons, quotes and commas in a value", GH + "X: a:b, \"c d\"; e=f\r\n" + E, METHOD_GET,
    "/", null, 1, PL, 2).f(1, "X", "a:b, \"c d\"; e=f"),
  ok("field before Host", G + "User-Agent: t/1\r\n" + H + E, METHOD_GET, "/", null, 1, PL, 2)
    .f(0, "User-Agent", "t/1").known(H_HOST, 1),

  // --- Host (RFC 9112 §3.2, RFC 9110 §7.2) ----------------------------------------------------
  err("HTTP/1.1 without Host", G + E, BAD),
  err("HTTP/1.1 without Host, other fields", G + "X: a\r\n" + E, BAD),
  err("two Host lines (1.1)", GH + "Host: a\r\n" + E, BAD),
  err("two Host lines (1.0)", G0 + H + "Host: a\r\n" + E, BAD),
  err("two different Host lines", GH + "Host: b\r\n" + E, BAD),
  err("Host with a space", G + "Host: a b\r\n" + E, BAD),
  err("Host with a path", G + "Host: a/b\r\n" + E, BAD),
  err("Host with userinfo", G + "Host: u@a\r\n" + E, BAD),
  err("Host with a bad port", G + "Host: a:b\r\n" + E, BAD),
  err("Host with a six-digit port", G + "Host: a:123456\r\n" + E, BAD),
  err("Host with an unclosed IPv6 literal", G + "Host: [::1\r\n" + E, BAD),
  err("Host with junk after the IPv6 literal", G + "Host: [::1]x\r\n" + E, BAD),
  err("Host with a bad IPv6 literal", G + "Host: [::g]\r\n" + E, BAD),
  err("Host with obs-text", G + "Host: caf\xe9\r\n" + E, BAD),
  err("invalid Host in HTTP/1.0", G0 + "Host: a b\r\n" + E, BAD),
  ok("empty Host", G + "Host:\r\n" + E, METHOD_GET, "/", null, 1, PL, 1).f(0, "Host", ""),
  ok("Host with a port", G + "Host: a.example:8080\r\n" + E, METHOD_GET, "/", null, 1, PL, 1)
    .f(0, "Host", "a.example:8080"),
  ok("Host with an empty port", G + "Host: a.example:\r\n" + E, METHOD_GET, "/", null, 1, PL, 1),
  ok("Host IPv4 with a port", G + "Host: 127.0.0.1:80\r\n" + E, METHOD_GET, "/", null, 1, PL, 1),
  ok("Host IPv6 with a port", G + "Host: [2001:db8::1]:8443\r\n" + E, METHOD_GET, "/", null, 1,
    PL, 1).f(0, "Host", "[2001:db8::1]:8443"),
  ok("Host IPv6 without a port", G + "Host: [::1]\r\n" + E, METHOD_GET, "/", null, 1, PL, 1),
  ok("Host name is case-insensitive", G + "hOsT: a\r\n" + E, METHOD_GET, "/", null, 1, PL, 1)
    .f(0, "hOsT", "a").known(H_HOST, 0),

  // --- Content-Length (RFC 9110 §8.6, RFC 9112 §6.3) ------------------------------------------
  ok("Content-Length 5", PH + "Content-Length: 5\r\n" + E, METHOD_POST, "/u", null, 1,
    PL | F_CONTENT_LENGTH, 2).clen(5).f(1, "Content-Length", "5").known(H_CONTENT_LENGTH, 1),
  ok("Content-Length 0", PH + "Content-Length: 0\r\n" + E, METHOD_POST, "/u", null, 1,
    PL | F_CONTENT_LENGTH, 2).clen(0),
  ok("Content-Length with leading zeros", PH + "Content-Length: 007\r\n" + E, METHOD_POST, "/u",
    null, 1, PL | F_CONTENT_LENGTH, 2).clen(7),
  ok("Content-Length with OWS", PH + "content-length:\t12 \r\n" + E, METHOD_POST, "/u", null, 1,
    PL | F_CONTENT_LENGTH, 2).clen(12).f(1, "content-length", "12"),
  ok("Content-Length list of equal values", PH + "Content-Length: 5, 5\r\n" + E, METHOD_POST,
    "/u", null, 1, PL | F_CONTENT_LENGTH, 2).clen(5),
  ok("Content-Length list without spaces", PH + "Content-Length: 5,5,5\r\n" + E, METHOD_POST,
    "/u", null, 1, PL | F_CONTENT_LENGTH, 2).clen(5),
  ok("two equal Content-Length lines", PH + "Content-Length: 5\r\nContent-Length: 5\r\n" + E,
    METHOD_POST, "/u", null, 1, PL | F_CONTENT_LENGTH, 3).clen(5).known(H_CONTENT_LENGTH, 1),
  ok("Content-Length equal to maxBody", PH + "Content-Length: 1073741824\r\n" + E, METHOD_POST,
    "/u", null, 1, PL | F_CONTENT_LENGTH, 2).clen(1073741824),
  ok("Content-Length above 4 GiB under a large maxBody", PH + "Content-Length: 5000000000\r\n" +
    E, METHOD_POST, "/u", null, 1, PL | F_CONTENT_LENGTH, 2).clen(5000000000)
    .limits(8192, 32768, 100, 1e12),
  ok("Content-Length on a GET", GH + "Content-Length: 2\r\n" + E, METHOD_GET, "/", null, 1,
    PL | F_CONTENT_LENGTH, 2).clen(2),
  err("Content-Length +5", PH + "Content-Length: +5\r\n" + E, BAD),
  err("Content-Length -1", PH + "Content-Length: -1\r\n" + E, BAD),
  err("Content-Length 1_0", PH + "Content-Length: 1_0\r\n" + E, BAD),
  err("Content-Length 0x10", PH + "Content-Length: 0x10\r\n" + E, BAD),
  err("Content-Length '4 2'", PH + "Content-Length: 4 2\r\n" + E, BAD),
  err("Content-Length empty", PH + "Content-Length:\r\n" + E, BAD),
  err("Content-Length 1.0", PH + "Content-Length: 1.0\r\n" + E, BAD),
  err("Content-Length list of different values", PH + "Content-Length: 5, 6\r\n" + E, BAD),
  err("Content-Length list with an empty element", PH + "Content-Length: 5,\r\n" + E, BAD),
  err("two different Content-Length lines", PH + "Content-Length: 5\r\nContent-Length: 6\r\n" +
    E, BAD),
  err("Content-Length of 20 digits", PH + "Content-Length: 99999999999999999999\r\n" + E,
    PARSE_PAYLOAD_TOO_LARGE),
  err("Content-Length 2^64", PH + "Content-Length: 18446744073709551616\r\n" + E,
    PARSE_PAYLOAD_TOO_LARGE),
  err("Content-Length 2^64-1 (fits, too large)", PH +
    "Content-Length: 18446744073709551615\r\n" + E, PARSE_PAYLOAD_TOO_LARGE),
  err("Content-Length maxBody+1", PH + "Content-Length: 1073741825\r\n" + E,
    PARSE_PAYLOAD_TOO_LARGE),
  ok("Content-Length at a small maxBody", PH + "Content-Length: 100\r\n" + E, METHOD_POST, "/u",
    null, 1, PL | F_CONTENT_LENGTH, 2).clen(100).limits(8192, 32768, 100, 100),
  err("Content-Length above a small maxBody", PH + "Content-Length: 101\r\n" + E,
    PARSE_PAYLOAD_TOO_LARGE).limits(8192, 32768, 100, 100),

  // --- Transfer-Encoding (RFC 9112 §6.1, §6.3) ------------------------------------------------
  ok("Transfer-Encoding chunked", PH + "Transfer-Encoding: chunked\r\n" + E, METHOD_POST, "/u",
    null, 1, PL | F_CHUNKED, 2).f(1, "Transfer-Encoding", "chunked")
    .known(H_TRANSFER_ENCODING, 1),
  ok("Transfer-Encoding Chunked", PH + "transfer-encoding: Chunked\r\n" + E, METHOD_POST, "/u",
    null, 1, PL | F_CHUNKED, 2),
  ok("Transfer-Encoding with empty list elements", PH + "Transfer-Encoding: , chunked ,\r\n" +
    E, METHOD_POST, "/u", null, 1, PL | F_CHUNKED, 2).f(1, "Transfer-Encoding", ", chunked ,"),
  err("gzip, chunked is 501", PH + "Transfer-Encoding: gzip, chunked\r\n" + E,
    PARSE_NOT_IMPLEMENTED),
  err("gzip then chunked on two lines is 501", PH +
    "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n" + E, PARSE_NOT_IMPLEMENTED),
  err("chunked, gzip (chunked not final)", PH + "Transfer-Encoding: chunked, gzip\r\n" + E, BAD),
  err("chunked then gzip on two lines", PH +
    "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n" + E, BAD),
  err("chunked, chunked", PH + "Transfer-Encoding: chunked, chunked\r\n" + E, BAD),
  err("chunked twice on two lines", PH +
    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n" + E, BAD),
  err("gzip alone (no chunked)", PH + "Transfer-Encoding: gzip\r\n" + E, BAD),
  err("identity", PH + "Transfer-Encoding: identity\r\n" + E, BAD),
  err("empty Transfer-Encoding", PH + "Transfer-Encoding:\r\n" + E, BAD),
  err("quoted chunked", PH + "Transfer-Encoding: \"chunked\"\r\n" + E, BAD),
  err("Transfer-Encoding and Content-Length", PH +
    "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n" + E, BAD),
  err("Content-Length and Transfer-Encoding", PH +
    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n" + E, BAD),
  err("Transfer-Encoding in HTTP/1.0", "POST /u HTTP/1.0\r\nTransfer-Encoding: chunked\r\n" + E,
    BAD),

  // --- Connection (RFC 9110 §7.6.1, RFC 9112 §9.3) --------------------------------------------
  ok("Connection: close", GH + "Connection: close\r\n" + E, METHOD_GET, "/", null, 1,
    PL | F_CONN_CLOSE, 2).known(H_CONNECTION, 1),
  ok("Connection: keep-alive (1.0)", G0 + "Connection: keep-alive\r\n" + E, METHOD_GET, "/",
    null, 0, PL | F_CONN_KEEP_ALIVE, 1).f(0, "Connection", "keep-alive"),
  ok("Connection: Keep-Alive, Upgrade", GH + "Connection: Keep-Alive, Upgrade\r\n" +
    "Upgrade: websocket\r\n" + E, METHOD_GET, "/", null, 1,
    PL | F_CONN_KEEP_ALIVE | F_CONN_UPGRADE, 3).known(H_UPGRADE, 2),
  ok("Connection list with other tokens", GH + "Connection: foo, CLOSE\r\n" + E, METHOD_GET, "/",
    null, 1, PL | F_CONN_CLOSE, 2),
  ok("Connection list with empty elements", GH + "Connection: , ,close,\r\n" + E, METHOD_GET,
    "/", null, 1, PL | F_CONN_CLOSE, 2),
  ok("two Connection lines", GH + "Connection: close\r\nConnection: keep-alive\r\n" + E,
    METHOD_GET, "/", null, 1, PL | F_CONN_CLOSE | F_CONN_KEEP_ALIVE, 3).known(H_CONNECTION, 1),
  ok("Connection: closed is not close", GH + "Connection: closed, keep-alives\r\n" + E,
    METHOD_GET, "/", null, 1, PL, 2),

  // --- Expect (RFC 9110 §10.1.1) --------------------------------------------------------------
  ok("Expect: 100-continue", PH + "Content-Length: 1\r\nExpect: 100-continue\r\n" + E,
    METHOD_POST, "/u", null, 1, PL | F_CONTENT_LENGTH | F_EXPECT_CONTINUE, 3).clen(1)
    .known(H_EXPECT, 2),
  ok("Expect is case-insensitive", PH + "Content-Length: 1\r\nexpect: 100-Continue\r\n" + E,
    METHOD_POST, "/u", null, 1, PL | F_CONTENT_LENGTH | F_EXPECT_CONTINUE, 3).clen(1),
  ok("another expectation", GH + "Expect: 200-ok\r\n" + E, METHOD_GET, "/", null, 1,
    PL | F_EXPECT_OTHER, 2),
  ok("an empty Expect is no expectation", GH + "Expect:\r\n" + E, METHOD_GET, "/", null, 1, PL,
    2),

  // --- the known-header table (RFC 9110 §5.1: names are case-insensitive) ---------------------
  ok("every known header", G + "HOST: a\r\nconnection: x\r\nContent-Length: 0\r\n" +
    "Expect: 100-continue\r\nIf-Match: \"a\"\r\nIf-None-Match: *\r\n" +
    "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n" +
    "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\nIf-Range: \"a\"\r\n" +
    "Range: bytes=0-1\r\nAccept-Encoding: gzip\r\nAccept: */*\r\nUpgrade: h2c\r\n" +
    "Content-Type: text/plain\r\nAuthorization: Basic x\r\nTE: trailers\r\nTrailer: X\r\n" +
    "Keep-Alive: timeout=5\r\nProxy-Connection: close\r\nProxy: x\r\nOrigin: null\r\n" + E,
    METHOD_GET, "/", null, 1,
    PL | F_CONTENT_LENGTH | F_EXPECT_CONTINUE | F_CONDITIONAL | F_RANGE | F_ACCEPT_ENCODING, 21)
    .clen(0).known(H_ORIGIN, 20).f(15, "TE", "trailers"),
  ok("first occurrence is KNOWN", GH + "Accept: a\r\nX: b\r\naccept: c\r\n" + E, METHOD_GET, "/",
    null, 1, PL, 4).known(H_ACCEPT, 1).f(3, "accept", "c"),
  ok("near-miss names are not known", GH + "Hosts: a\r\nHos: a\r\nContent-Lengths: 5\r\n" +
    "Transfer-Encodings: gzip\r\nExpects: x\r\nT: x\r\n" + E, METHOD_GET, "/", null, 1, PL, 7),
  ok("If-Modified-Since is conditional", GH + "if-modified-since: x\r\n" + E, METHOD_GET, "/",
    null, 1, PL | F_CONDITIONAL, 2).known(H_IF_MODIFIED_SINCE, 1),
  ok("If-Range is conditional", GH + "If-Range: x\r\nRange: bytes=1-\r\n" + E, METHOD_GET, "/",
    null, 1, PL | F_CONDITIONAL | F_RANGE, 3),
  ok("Accept-Encoding flag", GH + "ACCEPT-ENCODING: br\r\n" + E, METHOD_GET, "/", null, 1,
    PL | F_ACCEPT_ENCODING, 2).known(H_ACCEPT_ENCODING, 1),

  // --- the path: hash and F_PATH_PLAIN --------------------------------------------------------
  ok("percent-encoding is not plain", "GET /a%20b HTTP/1.1\r\n" + H + E, METHOD_GET, "/a%20b",
    null, 1, 0, 1),
  ok("'//' at the start is not plain", "GET //a HTTP/1.1\r\n" + H + E, METHOD_GET, "//a", null, 1,
    0, 1),
  ok("'//' inside is not plain", "GET /a//b HTTP/1.1\r\n" + H + E, METHOD_GET, "/a//b", null, 1,
    0, 1),
  ok("'/./' is not plain", "GET /./a HTTP/1.1\r\n" + H + E, METHOD_GET, "/./a", null, 1, 0, 1),
  ok("'/../' is not plain", "GET /a/../b HTTP/1.1\r\n" + H + E, METHOD_GET, "/a/../b", null, 1, 0,
    1),
  ok("trailing '/.' is not plain", "GET /a/. HTTP/1.1\r\n" + H + E, METHOD_GET, "/a/.", null, 1,
    0, 1),
  ok("a dotfile is not plain", "GET /.well-known/x HTTP/1.1\r\n" + H + E, METHOD_GET,
    "/.well-known/x", null, 1, 0, 1),
  ok("a dot after a name is plain", "GET /a./b. HTTP/1.1\r\n" + H + E, METHOD_GET, "/a./b.", null,
    1, PL, 1),
  ok("the query does not affect plainness", "GET /a?x=/./%20// HTTP/1.1\r\n" + H + E,
    METHOD_GET, "/a", "x=/./%20//", 1, PL, 1),
  ok("a long path", "GET /" + "abcdefgh/".repeat(20) + " HTTP/1.1\r\n" + H + E, METHOD_GET,
    "/" + "abcdefgh/".repeat(20), null, 1, PL, 1),

  // --- limits (RFC 9112 §3: 414; RFC 6585 §5: 431) --------------------------------------------
  // With maxLine 32 a request line "GET <target> HTTP/1.1" is 13 + target bytes, CRLF excluded.
  ok("request line of exactly maxLine", "GET /" + "a".repeat(18) + " HTTP/1.1\r\n" + H + E,
    METHOD_GET, "/" + "a".repeat(18), null, 1, PL, 1).limits(32, 4096, 100, 1e6),
  ok("request line of maxLine - 1", "GET /" + "a".repeat(17) + " HTTP/1.1\r\n" + H + E,
    METHOD_GET, "/" + "a".repeat(17), null, 1, PL, 1).limits(32, 4096, 100, 1e6),
  err("request line of maxLine + 1", "GET /" + "a".repeat(19) + " HTTP/1.1\r\n" + H + E,
    PARSE_URI_TOO_LONG).limits(32, 4096, 100, 1e6),
  err("long request line, complete", "GET /" + "a".repeat(100) + " HTTP/1.1\r\n" + H + E,
    PARSE_URI_TOO_LONG).limits(32, 4096, 100, 1e6),
  err("long target, incomplete", "GET /" + "a".repeat(40), PARSE_URI_TOO_LONG)
    .limits(32, 4096, 100, 1e6),
  err("long method, incomplete", "A".repeat(40), PARSE_URI_TOO_LONG).limits(32, 4096, 100, 1e6),
  ok("field lines are not bound by maxLine", GH + "X: " + "v".repeat(100) + "\r\n" + E,
    METHOD_GET, "/", null, 1, PL, 2).limits(32, 4096, 100, 1e6),
  ok("request line of 8192 bytes (default)", "GET /" + "a".repeat(8178) + " HTTP/1.1\r\n" + H +
    E, METHOD_GET, "/" + "a".repeat(8178), null, 1, PL, 1),
  err("request line of 8193 bytes (default)", "GET /" + "a".repeat(8179) + " HTTP/1.1\r\n" + H +
    E, PARSE_URI_TOO_LONG),
  // With maxHead 64: "GET / HTTP/1.1\r\n" "Host: a\r\n" "X: <v>\r\n" "\r\n" is 32 + |v| bytes.
  ok("head of exactly maxHead", GH + "X: " + "v".repeat(32) + "\r\n" + E, METHOD_GET, "/", null,
    1, PL, 2).limits(32, 64, 100, 1e6),
  err("head of maxHead + 1", GH + "X: " + "v".repeat(33) + "\r\n" + E, PARSE_FIELDS_TOO_LARGE)
    .limits(32, 64, 100, 1e6),
  err("head of maxHead + 2", GH + "X: " + "v".repeat(34) + "\r\n" + E, PARSE_FIELDS_TOO_LARGE)
    .limits(32, 64, 100, 1e6),
  err("head far above maxHead", GH + "X: " + "v".repeat(200) + "\r\n" + E,
    PARSE_FIELDS_TOO_LARGE).limits(32, 64, 100, 1e6),
  err("incomplete head of maxHead bytes", (GH + "X: " + "v".repeat(100)).substring(0, 64),
    PARSE_FIELDS_TOO_LARGE).limits(32, 64, 100, 1e6),
  err("incomplete head of maxHead - 1 bytes", (GH + "X: " + "v".repeat(100)).substring(0, 63),
    INC).limits(32, 64, 100, 1e6),
  ok("exactly maxFields", GH + manyFields(2) + E, METHOD_GET, "/", null, 1, PL, 3).f(2, "X1", "v")
    .limits(8192, 4096, 3, 1e6),
  err("maxFields + 1", GH + manyFields(3) + E, PARSE_FIELDS_TOO_LARGE).limits(8192, 4096, 3, 1e6),
  ok("100 fields (default)", GH + manyFields(99) + E, METHOD_GET, "/", null, 1, PL, 100).f(99,
    "X98", "v"),
  err("101 fields (default)", GH + manyFields(100) + E, PARSE_FIELDS_TOO_LARGE),

  // --- incomplete heads -------------------------------------------------------------------------
  err("only the request line", G, INC),
  err("no empty line", GH, INC),
  err("empty line cut after CR", GH + "\r", INC),
  err("cut inside a field name", G + "Ho", INC),
  err("cut inside a field value", G + "Host: a", INC),
];

// ---------------------------------------------------------------------------------------------
// The harness

/** Slot 0's input buffer, where the server reads a connection's bytes. */
const P: i32 = SLOTS + SLOT_STATE;
/** A scratch copy of the row's bytes, far from P. */
const M: i32 = SLOTS + 0x40000;

const NAMES: string[] = [
  "host", "connection", "content-length", "transfer-encoding", "expect", "if-match",
  "if-none-match", "if-modified-since", "if-unmodified-since", "if-range", "range",
  "accept-encoding", "accept", "upgrade", "content-type", "authorization", "te", "trailer",
  "keep-alive", "proxy-connection", "proxy", "origin",
];

let errors: string[] = [];

function fail(what: string): void {
  errors.push(what);
}

function req(field: i32): i32 {
  return load<i32>(REQ + field);
}

function put(dst: i32, s: string): void {
  for (let k = 0; k < s.length; k++) store<u8>(dst + k, <u8>s.charCodeAt(k));
}

/** The string of bytes [off, off + len), one char per byte. */
function bytes(off: i32, len: i32): string {
  let s = "";
  for (let k = 0; k < len; k++) s += String.fromCharCode(load<u8>(off + k));
  return s;
}

function same(off: i32, len: i32, s: string): bool {
  if (len != s.length) return false;
  for (let k = 0; k < len; k++) if (load<u8>(off + k) != <u8>s.charCodeAt(k)) return false;
  return true;
}

/** Fills [off, off + len) with CRLF pairs: bytes a parser must never read. */
function poison(off: i32, len: i32): void {
  for (let k = 0; k < len; k++) store<u8>(off + k, (k & 1) ? 10 : 13);
}

/** Independent FNV-1a of a string's bytes. */
function fnv(s: string): i32 {
  let h: u32 = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) {
    h ^= <u32>(s.charCodeAt(k) & 0xff);
    h *= 0x01000193;
  }
  return <i32>h;
}

function lowerAscii(s: string): string {
  let t = "";
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    t += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return t;
}

function code(r: i32): string {
  return r.toString();
}

/** Parses the whole row, copied to P with poison after it. */
function parseWhole(len: i32): i32 {
  memory.copy(P, M, len);
  poison(P + len, 16);
  return parse(P, len);
}

function checkRecord(row: Row, len: i32): void {
  const raw = row.raw;
  if (req(REQ_HEAD_LEN) != len) fail("REQ_HEAD_LEN " + req(REQ_HEAD_LEN).toString());
  // Method and target slices, found independently in the row.
  let s = 0;
  while (raw.charCodeAt(s) == 13) s += 2;
  const sp1 = raw.indexOf(" ", s);
  const sp2 = raw.indexOf(" ", sp1 + 1);
  if (req(REQ_METHOD_OFF) != P + s || req(REQ_METHOD_LEN) != sp1 - s) fail("method slice");
  if (req(REQ_TARGET_OFF) != P + sp1 + 1 || req(REQ_TARGET_LEN) != sp2 - sp1 - 1) {
    fail("target slice");
  }
  if (req(REQ_METHOD) != row.method) fail("method id " + req(REQ_METHOD).toString());
  if (!same(req(REQ_PATH_OFF), req(REQ_PATH_LEN), row.path)) {
    fail("path '" + bytes(req(REQ_PATH_OFF), req(REQ_PATH_LEN)) + "'");
  }
  const q = row.query;
  if (q == null) {
    if (req(REQ_QUERY_LEN) != -1) fail("query present");
  } else if (!same(req(REQ_QUERY_OFF), req(REQ_QUERY_LEN), q)) {
    fail("query '" + bytes(req(REQ_QUERY_OFF), max(0, req(REQ_QUERY_LEN))) + "'");
  }
  if (req(REQ_MINOR) != row.minor) fail("minor " + req(REQ_MINOR).toString());
  const flags = req(REQ_FLAGS);
  if (flags != row.flags) fail("flags 0x" + flags.toString(16) + " != 0x" + row.flags.toString(16));
  // Content-Length: given by the row when flagged, else the record holds 0.
  const cl = (<i64>req(REQ_CL_HI) << 32) | <i64><u32>req(REQ_CL_LO);
  if (row.flags & F_CONTENT_LENGTH) {
    if (row.cl < 0) fail("row lacks clen()");
    else if (cl != row.cl) fail("Content-Length " + cl.toString());
  } else if (cl != 0) {
    fail("Content-Length set without the flag");
  }
  // Authority: only for absolute- and authority-form.
  const a = row.auth;
  if (row.flags & (F_ABSOLUTE_FORM | F_AUTHORITY_FORM)) {
    if (a == null) fail("row lacks authority()");
    else if (!same(req(REQ_AUTH_OFF), req(REQ_AUTH_LEN), a)) {
      fail("authority '" + bytes(req(REQ_AUTH_OFF), req(REQ_AUTH_LEN)) + "'");
    }
  } else if (req(REQ_AUTH_LEN) != 0) {
    fail("authority without the form");
  }
  // The path hash: FNV-1a of the path; 0 for asterisk- and authority-form.
  const hash = row.flags & (F_ASTERISK_FORM | F_AUTHORITY_FORM) ? 0 : fnv(row.path);
  if (req(REQ_PATH_HASH) != hash) fail("path hash");
  // Fields.
  const count = req(REQ_FIELD_COUNT);
  if (count != row.count) fail("field count " + count.toString());
  if (row.fIdx >= 0) {
    const e = FIELDS + row.fIdx * FIELD_SIZE;
    if (!same(load<i32>(e + FIELD_NAME_OFF), load<i32>(e + FIELD_NAME_LEN), row.fName)) {
      fail("field name '" + bytes(load<i32>(e + FIELD_NAME_OFF), load<i32>(e + FIELD_NAME_LEN)) +
        "'");
    }
    if (!same(load<i32>(e + FIELD_VALUE_OFF), load<i32>(e + FIELD_VALUE_LEN), row.fValue)) {
      fail("field value '" +
        bytes(load<i32>(e + FIELD_VALUE_OFF), load<i32>(e + FIELD_VALUE_LEN)) + "'");
    }
  }
  // Every field's id from an independent name table; KNOWN holds each id's first field.
  const first = new Array<i32>(H_COUNT).fill(-1);
  for (let n = 0; n < min(count, row.count); n++) {
    const e = FIELDS + n * FIELD_SIZE;
    const no = load<i32>(e + FIELD_NAME_OFF);
    const nl = load<i32>(e + FIELD_NAME_LEN);
    const vo = load<i32>(e + FIELD_VALUE_OFF);
    const vl = load<i32>(e + FIELD_VALUE_LEN);
    if (no < P || no + nl > P + len || vo < no + nl || vo + vl > P + len) fail("field bounds");
    const id = NAMES.indexOf(lowerAscii(bytes(no, nl)));
    if (load<i32>(e + FIELD_ID) != id) fail("FIELD_ID of field " + n.toString());
    if (id != H_OTHER && first[id] < 0) first[id] = n;
  }
  for (let id = 0; id < H_COUNT; id++) {
    if (load<i32>(KNOWN + (id << 2)) != first[id]) fail("KNOWN[" + id.toString() + "]");
  }
  if (row.kId >= 0 && load<i32>(KNOWN + (row.kId << 2)) != row.kIdx) fail("known()");
}

function runRow(row: Row): void {
  errors = [];
  if (row.limited) setLimits(row.line, row.head, row.fields, row.body, 1024);
  const len = row.raw.length;
  const want = row.expect == OK ? len : row.expect;
  put(M, row.raw);

  // 1. Fed byte boundary by byte boundary, as the server does: the buffer at P grows by one
  // byte per call, and the bytes past the prefix are poison.
  poison(P, len + 16);
  let firstError = 0;
  for (let k = 1; k < len; k++) {
    store<u8>(P + k - 1, load<u8>(M + k - 1));
    const r = parse(P, k);
    if (row.expect == OK || row.expect == INC) {
      if (r != INC) {
        fail("prefix " + k.toString() + " gave " + code(r));
        break;
      }
    } else if (r != INC && r != want) {
      fail("prefix " + k.toString() + " gave " + code(r));
      break;
    } else if (firstError != 0 && r == INC) {
      fail("prefix " + k.toString() + " went back to INCOMPLETE after " + firstError.toString());
      break;
    } else if (r == want && firstError == 0) {
      firstError = k;
    }
  }

  // 2. The whole row (after the prefixes, so stale record fields would show).
  const r = parseWhole(len);
  if (r != want) {
    fail("whole gave " + code(r) + ", want " + code(want));
  } else if (row.expect == OK) {
    checkRecord(row, len);
    // 3. Pipelined bytes after the head are not part of it, and the base address is free.
    put(P, row.raw + "GET /next HTTP/1.1\r\n");
    const r2 = parse(P, len + 20);
    if (r2 != len) fail("with pipelined bytes gave " + code(r2));
    put(P + 1, row.raw);
    poison(P + 1 + len, 16);
    const r3 = parse(P + 1, len);
    if (r3 != len) fail("at an odd address gave " + code(r3));
  }

  if (row.limited) setLimits(8192, 32768, 100, <f64>(1 << 30), 1024);
  expect<string>(errors.join("; ")).toBe("", row.note);
}

let cursor = 0;

function runNext(): void {
  runRow(ROWS[cursor++]);
}

describe("parse: the table", () => {
  it("has at least 150 rows", () => {
    expect<i32>(ROWS.length).toBeGreaterThanOrEqual(150);
  });
  for (let i = 0; i < ROWS.length; i++) it(ROWS[i].note, runNext);
});

describe("parse: details", () => {
  it("leaves the default limits in place after the table", () => {
    // A 20-field head passes with the defaults (maxFields 100) whatever a row set.
    put(M, GH + manyFields(19) + E);
    const len = (GH + manyFields(19) + E).length;
    expect<i32>(parseWhole(len)).toBe(len);
  });
  it("a complete head answers the same after an earlier error", () => {
    const bad = "GET / HTTP/2.0\r\n\r\n";
    put(M, bad);
    expect<i32>(parseWhole(bad.length)).toBe(PARSE_VERSION);
    const good = GH + "Content-Length: 3\r\n" + E;
    put(M, good);
    expect<i32>(parseWhole(good.length)).toBe(good.length);
    expect<i32>(req(REQ_FLAGS)).toBe(PL | F_CONTENT_LENGTH);
    expect<i32>(req(REQ_CL_LO)).toBe(3);
  });
  it("Content-Length is cleared between requests", () => {
    const a = PH + "Content-Length: 9\r\n" + E;
    put(M, a);
    expect<i32>(parseWhole(a.length)).toBe(a.length);
    const b = GH + E;
    put(M, b);
    expect<i32>(parseWhole(b.length)).toBe(b.length);
    expect<i32>(req(REQ_CL_LO)).toBe(0);
    expect<i32>(req(REQ_CL_HI)).toBe(0);
    expect<i32>(req(REQ_FLAGS) & F_CONTENT_LENGTH).toBe(0);
  });
});
