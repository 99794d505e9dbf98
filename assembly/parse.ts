// HTTP/1.x request-head parser (RFC 9112 §2–§7). It reads a head in place, fills the request
// record and the field table with (offset, length) pairs, and allocates nothing. It is strict by
// policy: anything RFC 9112 lets a server reject, it rejects, because tuxd hands requests on to
// CGI programs and backends whose parsers must never frame a message differently.

import {
  F_ABSOLUTE_FORM, F_ACCEPT_ENCODING, F_ASTERISK_FORM, F_AUTHORITY_FORM, F_CHUNKED,
  F_CONDITIONAL, F_CONN_CLOSE, F_CONN_KEEP_ALIVE, F_CONN_UPGRADE, F_CONTENT_LENGTH,
  F_EXPECT_CONTINUE, F_EXPECT_OTHER, F_PATH_PLAIN, F_RANGE, FIELD_ID, FIELD_NAME_LEN,
  FIELD_NAME_OFF, FIELD_SIZE, FIELD_VALUE_LEN, FIELD_VALUE_OFF, FIELDS, H_ACCEPT,
  H_ACCEPT_ENCODING, H_AUTHORIZATION, H_CONNECTION, H_CONTENT_LENGTH, H_CONTENT_TYPE, H_COUNT,
  H_EXPECT, H_HOST, H_IF_MATCH, H_IF_MODIFIED_SINCE, H_IF_NONE_MATCH, H_IF_RANGE,
  H_IF_UNMODIFIED_SINCE, H_KEEP_ALIVE, H_ORIGIN, H_OTHER, H_PROXY, H_PROXY_CONNECTION, H_RANGE,
  H_TE, H_TRAILER, H_TRANSFER_ENCODING, H_UPGRADE, KNOWN, MAX_FIELDS_CAP, METHOD_CONNECT,
  METHOD_DELETE, METHOD_GET, METHOD_HEAD, METHOD_OPTIONS, METHOD_OTHER, METHOD_PATCH,
  METHOD_POST, METHOD_PUT, METHOD_TRACE, PARSE_BAD_REQUEST, PARSE_FIELDS_TOO_LARGE,
  PARSE_INCOMPLETE, PARSE_NOT_IMPLEMENTED, PARSE_PAYLOAD_TOO_LARGE, PARSE_URI_TOO_LONG,
  PARSE_VERSION, REQ, REQ_AUTH_LEN, REQ_AUTH_OFF, REQ_CL_HI, REQ_CL_LO, REQ_FIELD_COUNT,
  REQ_FLAGS, REQ_HEAD_LEN, REQ_METHOD, REQ_METHOD_LEN, REQ_METHOD_OFF, REQ_MINOR,
  REQ_PATH_HASH, REQ_PATH_LEN, REQ_PATH_OFF, REQ_QUERY_LEN, REQ_QUERY_OFF, REQ_TARGET_LEN,
  REQ_TARGET_OFF,
} from "./abi";
import {
  firstLane, folded16, folded32, folded64, isTchar, lanesTargetStop, lanesValueStop, lower,
} from "./bytes";
import * as limits from "./limits";

const CR: u8 = 13;
const LF: u8 = 10;
const SP: u8 = 32;
const HTAB: u8 = 9;
/** CR LF as a little-endian u16. */
const CRLF16: u16 = 0x0a0d;
/** "HTTP/" as the low five bytes of a little-endian u64. */
const HTTP_SLASH: u64 = 0x2f50545448;

@inline function setReq(field: i32, value: i32): void {
  store<i32>(REQ + field, value);
}

/**
 * Parses the request head in [p, p + len). Returns the head length (> 0) when a complete head
 * was parsed, PARSE_INCOMPLETE when more bytes are needed, or a negated status to answer with.
 * An incomplete head that already exceeds the configured limits is an error, not incomplete,
 * so a caller whose buffer holds `limits.maxHead` bytes always gets a final answer.
 */
export function parse(p: i32, len: i32): i32 {
  const end = p + len;
  let i = p;

  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
  let empties = 0;
  while (i + 1 < end && load<u8>(i) == CR && load<u8>(i + 1) == LF && empties < 4) {
    i += 2;
    empties++;
  }
  if (i < end && load<u8>(i) == CR && i + 1 == end) return PARSE_INCOMPLETE;
  const lineStart = i;

  // Request line: method SP request-target SP HTTP-version CRLF (RFC 9112 §3).
  const methodOff = i;
  while (i < end && isTchar(load<u8>(i))) i++;
  if (i == end) return lineIncomplete(i - lineStart);
  if (i == methodOff || load<u8>(i) != SP) return PARSE_BAD_REQUEST;
  const methodLen = i - methodOff;
  i++;

  const targetOff = i;
  // Visible US-ASCII only (RFC 9112 §3.2; RFC 3986 §2): no controls, no spaces, no obs-text.
  // Eight bytes at a time while none of them can end the target, then byte by byte.
  while (i < end) {
    if (end - i >= 8) {
      const stop = lanesTargetStop(load<u64>(i));
      if (stop == 0) {
        i += 8;
        continue;
      }
      i += firstLane(stop);
    }
    const c = load<u8>(i);
    if (c <= SP || c >= 0x7f) break;
    i++;
  }
  if (i == end) return lineIncomplete(i - lineStart);
  if (i == targetOff || load<u8>(i) != SP) return PARSE_BAD_REQUEST;
  const targetLen = i - targetOff;
  i++;

  // HTTP-version = "HTTP/" DIGIT "." DIGIT, then CRLF.
  if (end - i < 10) {
    // The line will be i - lineStart + 8 bytes (CRLF excluded), as checked below when complete.
    if (i - lineStart + 8 > limits.maxLine) return PARSE_URI_TOO_LONG;
    return versionPrefixOk(i, end) ? PARSE_INCOMPLETE : PARSE_BAD_REQUEST;
  }
  const version = load<u64>(i);
  if (!isVersion(version)) return PARSE_BAD_REQUEST;
  const major = <i32>((version >> 40) & 0xff) - 48;
  const minor = <i32>(version >> 56) - 48;
  if (load<u16>(i + 8) != CRLF16) return PARSE_BAD_REQUEST;
  if (i + 8 - lineStart > limits.maxLine) return PARSE_URI_TOO_LONG;
  i += 10;
  // RFC 9110 §6.2: a server answers a major version it does not support with 505.
  if (major != 1) return PARSE_VERSION;

  setReq(REQ_METHOD, methodId(methodOff, methodLen));
  setReq(REQ_METHOD_OFF, methodOff);
  setReq(REQ_METHOD_LEN, methodLen);
  setReq(REQ_TARGET_OFF, targetOff);
  setReq(REQ_TARGET_LEN, targetLen);
  setReq(REQ_MINOR, minor > 0 ? 1 : 0);
  setReq(REQ_CL_LO, 0);
  setReq(REQ_CL_HI, 0);
  let flags = splitTarget(targetOff, targetLen);
  if (flags < 0) return flags;

  clearKnown();

  // Field lines (RFC 9112 §5) until the empty line.
  let count = 0;
  let contentLength: u64 = 0;
  let hosts = 0;
  while (true) {
    if (i - p > limits.maxHead) return PARSE_FIELDS_TOO_LARGE;
    if (i + 1 >= end) return incompleteHead(p, end);
    const c = load<u8>(i);
    if (c == CR) {
      if (load<u8>(i + 1) != LF) return PARSE_BAD_REQUEST;
      i += 2;
      break;
    }
    // A line starting with whitespace is obs-fold (RFC 9112 §5.2): rejected by policy.
    if (!isTchar(c)) return PARSE_BAD_REQUEST;
    const nameOff = i;
    while (i < end && isTchar(load<u8>(i))) i++;
    if (i == end) return incompleteHead(p, end);
    // No whitespace between field name and colon (RFC 9112 §5.1).
    if (load<u8>(i) != 58 /* : */) return PARSE_BAD_REQUEST;
    const nameLen = i - nameOff;
    i++;
    while (i < end && (load<u8>(i) == SP || load<u8>(i) == HTAB)) i++;
    const valueOff = i;
    // field-vchar = VCHAR / obs-text, with SP and HTAB inside (RFC 9110 §5.5). Eight bytes at a
    // time while none of them is a control or DEL, then byte by byte.
    while (i < end) {
      if (end - i >= 8) {
        const stop = lanesValueStop(load<u64>(i));
        if (stop == 0) {
          i += 8;
          continue;
        }
        i += firstLane(stop);
      }
      const v = load<u8>(i);
      if (v == CR) break;
      if ((v < SP && v != HTAB) || v == 0x7f) return PARSE_BAD_REQUEST;
      i++;
    }
    if (i + 1 >= end) return incompleteHead(p, end);
    if (load<u8>(i + 1) != LF) return PARSE_BAD_REQUEST; // a bare CR
    // The value ends before trailing OWS (RFC 9112 §5); leading OWS was skipped, so this stops
    // at valueOff at the latest.
    let valueEnd = i;
    while (valueEnd > valueOff && isOws(load<u8>(valueEnd - 1))) valueEnd--;
    i += 2;

    if (count == limits.maxFields) return PARSE_FIELDS_TOO_LARGE;
    const id = headerId(nameOff, nameLen);
    const entry = FIELDS + count * FIELD_SIZE;
    store<i32>(entry + FIELD_NAME_OFF, nameOff);
    store<i32>(entry + FIELD_NAME_LEN, nameLen);
    store<i32>(entry + FIELD_VALUE_OFF, valueOff);
    store<i32>(entry + FIELD_VALUE_LEN, valueEnd - valueOff);
    store<i32>(entry + FIELD_ID, id);
    if (id != H_OTHER) {
      const slot = KNOWN + (id << 2);
      if (load<i32>(slot) < 0) store<i32>(slot, count);
      const r = fieldSemantics(id, valueOff, valueEnd, flags, contentLength);
      if (r < 0) return <i32>r;
      flags = <i32>(r & 0xffffffff);
      if (id == H_CONTENT_LENGTH) contentLength = clValue;
      if (id == H_HOST) {
        hosts++;
        if (!validHost(valueOff, valueEnd)) return PARSE_BAD_REQUEST;
      }
    }
    count++;
  }

  // The head, empty line included, is at most maxHead bytes (as incompleteHead assumes).
  if (i - p > limits.maxHead) return PARSE_FIELDS_TOO_LARGE;

  // Message framing rules (RFC 9112 §6.1, §6.3).
  if (minor > 0 && hosts != 1) return PARSE_BAD_REQUEST; // RFC 9112 §3.2
  if (hosts > 1) return PARSE_BAD_REQUEST;
  const te = load<i32>(KNOWN + (H_TRANSFER_ENCODING << 2)) >= 0;
  if (te) {
    // Transfer-Encoding with Content-Length is a smuggling vector: rejected, not resolved.
    if (flags & F_CONTENT_LENGTH) return PARSE_BAD_REQUEST;
    // RFC 9112 §6.1: Transfer-Encoding in a 1.0 request means the framing is faulty.
    if (minor == 0) return PARSE_BAD_REQUEST;
    const r = transferCodings(count);
    if (r < 0) return r;
    flags |= F_CHUNKED;
  }
  if (flags & F_CONTENT_LENGTH) {
    if (contentLength > limits.maxBody) return PARSE_PAYLOAD_TOO_LARGE;
    setReq(REQ_CL_LO, <i32>(contentLength & 0xffffffff));
    setReq(REQ_CL_HI, <i32>(contentLength >> 32));
  }

  setReq(REQ_FLAGS, flags);
  setReq(REQ_FIELD_COUNT, count);
  setReq(REQ_HEAD_LEN, i - p);
  return i - p;
}

/**
 * More bytes may complete the head, unless it cannot fit its limit any more: the head is not
 * complete within these end - p bytes, so it will be longer than them.
 */
function incompleteHead(p: i32, end: i32): i32 {
  return end - p >= limits.maxHead ? PARSE_FIELDS_TOO_LARGE : PARSE_INCOMPLETE;
}

/** An unfinished request line is 414 once it is longer than the limit (RFC 9112 §3). */
function lineIncomplete(lineLen: i32): i32 {
  return lineLen > limits.maxLine ? PARSE_URI_TOO_LONG : PARSE_INCOMPLETE;
}

@inline function isDigit(c: u8): bool {
  return <u8>(c - 48) <= 9;
}

@inline function isOws(c: u8): bool {
  return c == SP || c == HTAB;
}

/** Whether the 8 bytes of `w` are "HTTP/" DIGIT "." DIGIT. */
@inline function isVersion(w: u64): bool {
  return (w & 0x00ff00ffffffffff) == (HTTP_SLASH | (<u64>46 /* . */ << 48)) &&
    isDigit(<u8>(w >> 40)) && isDigit(<u8>(w >> 56));
}

/** Whether [i, end) is a prefix of "HTTP/" DIGIT "." DIGIT. */
function versionPrefixOk(i: i32, end: i32): bool {
  for (let k = 0; i + k < end && k < 8; k++) {
    const c = load<u8>(i + k);
    let ok: bool;
    if (k < 5) ok = c == <u8>(HTTP_SLASH >> (<u64>k << 3));
    else if (k == 6) ok = c == 46; // .
    else ok = isDigit(c);
    if (!ok) return false;
  }
  return true;
}

/** Every KNOWN slot to -1 (no such field yet), two slots per store. */
@inline function clearKnown(): void {
  for (let k = 0; k < H_COUNT >> 1; k++) store<i64>(KNOWN + (k << 3), -1);
  if (H_COUNT & 1) store<i32>(KNOWN + ((H_COUNT - 1) << 2), -1);
}

/**
 * Method names are case-sensitive (RFC 9110 §9.1), so these are plain word compares. A method
 * of n bytes is read as two overlapping u32 words (bytes 0..3 and n-4..n-1); a 3-byte method
 * with the SP after it. The request line is complete by now, so all four bytes at `off` are in
 * the buffer even for a shorter method, whose `head` is then compared with nothing.
 */
function methodId(off: i32, len: i32): i32 {
  const head = load<u32>(off);
  switch (len) {
    case 3:
      if (head == 0x20544547 /* "GET " */) return METHOD_GET;
      if (head == 0x20545550 /* "PUT " */) return METHOD_PUT;
      break;
    case 4:
      if (head == 0x44414548 /* "HEAD" */) return METHOD_HEAD;
      if (head == 0x54534f50 /* "POST" */) return METHOD_POST;
      break;
    case 5: {
      const tail = load<u32>(off + 1);
      if (head == 0x43544150 /* "PATC" */ && tail == 0x48435441 /* "ATCH" */) {
        return METHOD_PATCH;
      }
      if (head == 0x43415254 /* "TRAC" */ && tail == 0x45434152 /* "RACE" */) {
        return METHOD_TRACE;
      }
      break;
    }
    case 6:
      if (head == 0x454c4544 /* "DELE" */ && load<u32>(off + 2) == 0x4554454c /* "LETE" */) {
        return METHOD_DELETE;
      }
      break;
    case 7: {
      const tail = load<u32>(off + 3);
      if (head == 0x4954504f /* "OPTI" */ && tail == 0x534e4f49 /* "IONS" */) {
        return METHOD_OPTIONS;
      }
      if (head == 0x4e4e4f43 /* "CONN" */ && tail == 0x5443454e /* "NECT" */) {
        return METHOD_CONNECT;
      }
      break;
    }
  }
  return METHOD_OTHER;
}

/**
 * Splits the request-target into path and query (RFC 9112 §3.2) and returns the flags it
 * implies, or a negated status. The path is hashed for the object cache.
 */
function splitTarget(off: i32, len: i32): i32 {
  let flags = 0;
  let pathOff = off;
  const end = off + len;
  setReq(REQ_AUTH_OFF, off);
  setReq(REQ_AUTH_LEN, 0);
  const first = load<u8>(off);
  if (first == 42 /* * */) {
    if (len != 1) return PARSE_BAD_REQUEST;
    setReq(REQ_PATH_OFF, off);
    setReq(REQ_PATH_LEN, 0);
    setReq(REQ_QUERY_OFF, end);
    setReq(REQ_QUERY_LEN, -1);
    setReq(REQ_PATH_HASH, 0);
    return F_ASTERISK_FORM;
  }
  if (first != 47 /* / */) {
    // absolute-form: "http" / "https" "://" authority [path-abempty] ["?" query].
    const schemeEnd = findSchemeEnd(off, end);
    if (schemeEnd < 0) {
      // authority-form (CONNECT only, RFC 9112 §3.2.3): host ":" port, no '/'.
      for (let k = off; k < end; k++) {
        const c = load<u8>(k);
        if (c == 47 || c == 63 || c == 35 || c == 64) return PARSE_BAD_REQUEST;
      }
      setReq(REQ_AUTH_OFF, off);
      setReq(REQ_AUTH_LEN, len);
      setReq(REQ_PATH_OFF, end);
      setReq(REQ_PATH_LEN, 0);
      setReq(REQ_QUERY_OFF, end);
      setReq(REQ_QUERY_LEN, -1);
      setReq(REQ_PATH_HASH, 0);
      return F_AUTHORITY_FORM;
    }
    const authOff = schemeEnd + 3;
    let k = authOff;
    while (k < end) {
      const c = load<u8>(k);
      if (c == 47 || c == 63) break;
      // userinfo is deprecated and a phishing vector (RFC 9110 §4.2.4); '#' never belongs.
      if (c == 64 || c == 35) return PARSE_BAD_REQUEST;
      k++;
    }
    if (k == authOff || !validHost(authOff, k)) return PARSE_BAD_REQUEST;
    setReq(REQ_AUTH_OFF, authOff);
    setReq(REQ_AUTH_LEN, k - authOff);
    pathOff = k;
    flags |= F_ABSOLUTE_FORM;
  }
  // One pass over the path: its end, its plainness and its hash.
  let q = pathOff;
  let plain = true;
  let prev: u8 = 0;
  let hash = FNV_OFFSET;
  while (q < end) {
    const c = load<u8>(q);
    if (c == 63 /* ? */) break;
    if (c == 35 /* # */) return PARSE_BAD_REQUEST; // a fragment is never sent (RFC 9110 §4.2.5)
    if (c == 37 /* % */) plain = false;
    // '//', or a dot segment or a dotfile
    if (prev == 47 /* / */ && (c == 47 || c == 46 /* . */)) plain = false;
    hash = fnvStep(hash, c);
    prev = c;
    q++;
  }
  for (let k = q; k < end; k++) if (load<u8>(k) == 35) return PARSE_BAD_REQUEST;
  setReq(REQ_PATH_OFF, pathOff);
  setReq(REQ_PATH_LEN, q - pathOff);
  setReq(REQ_QUERY_OFF, q < end ? q + 1 : end);
  setReq(REQ_QUERY_LEN, q < end ? end - q - 1 : -1);
  setReq(REQ_PATH_HASH, <i32>hash);
  if (plain) flags |= F_PATH_PLAIN;
  return flags;
}

/** The offset of "://" after an http or https scheme (any case), or -1. */
function findSchemeEnd(off: i32, end: i32): i32 {
  let k = off;
  while (k < end && k - off < 6) {
    const c = lower(load<u8>(k));
    if (c < 97 || c > 122) break;
    k++;
  }
  const n = k - off;
  if (k + 3 > end || load<u8>(k) != 58 || load<u8>(k + 1) != 47 || load<u8>(k + 2) != 47) {
    return -1;
  }
  // The bytes are letters, so folding is exact (see folded32).
  if (n < 4 || folded32(off) != 0x70747468 /* "http" */) return -1;
  if (n == 4) return k;
  if (n == 5 && (load<u8>(off + 4) | 0x20) == 115 /* s */) return k;
  return -1;
}

// FNV-1a, 32 bits: a cheap hash of the raw path for the object cache's lookup (src/bytes.ts
// computes the same for paths it builds).
const FNV_OFFSET: u32 = 0x811c9dc5;

@inline function fnvStep(h: u32, c: u8): u32 {
  return (h ^ c) * 0x01000193;
}

/**
 * Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2): reg-name characters, an
 * IP-literal in brackets, and a port of digits. An empty Host is allowed (RFC 9112 §3.2).
 */
function validHost(off: i32, end: i32): bool {
  let k = off;
  if (k < end && load<u8>(k) == 91 /* [ */) {
    k++;
    while (k < end && load<u8>(k) != 93) {
      const c = load<u8>(k);
      if (!(isHex(c) || c == 58 || c == 46)) return false;
      k++;
    }
    if (k == end) return false;
    k++;
  } else {
    while (k < end && load<u8>(k) != 58) {
      if (load<u8>(REG_NAME + load<u8>(k)) == 0) return false;
      k++;
    }
  }
  if (k == end) return true;
  if (load<u8>(k) != 58) return false;
  k++;
  if (end - k > 5) return false;
  for (; k < end; k++) {
    const c = load<u8>(k);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

// reg-name = *( unreserved / pct-encoded / sub-delims ) (RFC 3986 §3.2.2): 1 for each byte
// that may appear in one ('%' stands in for pct-encoded, whose hex digits are unreserved).
const REG_NAME = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  // SP ! " # $ % & ' ( ) * + , - . /
  0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
  // 0-9 : ; < = > ?
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0,
  // @ A-O
  0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  // P-Z [ \ ] ^ _
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
  // ` a-o
  0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  // p-z { | } ~ DEL
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

@inline function isHex(c: u8): bool {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * Header name → H_* id, case-insensitively (RFC 9110 §5.1). The name is tchar, so folded word
 * compares are exact (see folded32). A name of n bytes is read as two overlapping words, bytes
 * 0.. and ..n-1 (three u64 words past 16 bytes); the comments spell out each word.
 */
function headerId(off: i32, len: i32): i32 {
  switch (len) {
    case 2:
      if (folded16(off) == 0x6574 /* "te" */) return H_TE;
      break;
    case 4:
      if (folded32(off) == 0x74736f68 /* "host" */) return H_HOST;
      break;
    case 5: {
      const head = folded32(off);
      const tail = folded32(off + 1);
      if (head == 0x676e6172 /* "rang" */ && tail == 0x65676e61 /* "ange" */) return H_RANGE;
      if (head == 0x786f7270 /* "prox" */ && tail == 0x79786f72 /* "roxy" */) return H_PROXY;
      break;
    }
    case 6: {
      const head = folded32(off);
      const tail = folded32(off + 2);
      if (head == 0x65707865 /* "expe" */ && tail == 0x74636570 /* "pect" */) return H_EXPECT;
      if (head == 0x65636361 /* "acce" */ && tail == 0x74706563 /* "cept" */) return H_ACCEPT;
      if (head == 0x6769726f /* "orig" */ && tail == 0x6e696769 /* "igin" */) return H_ORIGIN;
      break;
    }
    case 7: {
      const head = folded32(off);
      const tail = folded32(off + 3);
      if (head == 0x72677075 /* "upgr" */ && tail == 0x65646172 /* "rade" */) return H_UPGRADE;
      if (head == 0x69617274 /* "trai" */ && tail == 0x72656c69 /* "iler" */) return H_TRAILER;
      break;
    }
    case 8: {
      const word = folded64(off);
      if (word == 0x686374616d2d6669 /* "if-match" */) return H_IF_MATCH;
      if (word == 0x65676e61722d6669 /* "if-range" */) return H_IF_RANGE;
      break;
    }
    case 10: {
      const head = folded64(off);
      const tail = folded64(off + 2);
      if (
        head == 0x697463656e6e6f63 /* "connecti" */ && tail == 0x6e6f697463656e6e /* "nnection" */
      ) return H_CONNECTION;
      if (
        head == 0x696c612d7065656b /* "keep-ali" */ && tail == 0x6576696c612d7065 /* "ep-alive" */
      ) return H_KEEP_ALIVE;
      break;
    }
    case 12:
      if (
        folded64(off) == 0x2d746e65746e6f63 /* "content-" */ &&
        folded64(off + 4) == 0x657079742d746e65 /* "ent-type" */
      ) return H_CONTENT_TYPE;
      break;
    case 13: {
      const head = folded64(off);
      const tail = folded64(off + 5);
      if (
        head == 0x2d656e6f6e2d6669 /* "if-none-" */ && tail == 0x686374616d2d656e /* "ne-match" */
      ) return H_IF_NONE_MATCH;
      if (
        head == 0x7a69726f68747561 /* "authoriz" */ && tail == 0x6e6f6974617a6972 /* "rization" */
      ) return H_AUTHORIZATION;
      break;
    }
    case 14:
      if (
        folded64(off) == 0x2d746e65746e6f63 /* "content-" */ &&
        folded64(off + 6) == 0x6874676e656c2d74 /* "t-length" */
      ) return H_CONTENT_LENGTH;
      break;
    case 15:
      if (
        folded64(off) == 0x652d747065636361 /* "accept-e" */ &&
        folded64(off + 7) == 0x676e69646f636e65 /* "encoding" */
      ) return H_ACCEPT_ENCODING;
      break;
    case 16:
      if (
        folded64(off) == 0x6f632d79786f7270 /* "proxy-co" */ &&
        folded64(off + 8) == 0x6e6f697463656e6e /* "nnection" */
      ) return H_PROXY_CONNECTION;
      break;
    case 17: {
      const head = folded64(off);
      const mid = folded64(off + 8);
      const tail = folded64(off + 9);
      if (
        head == 0x6669646f6d2d6669 /* "if-modif" */ && mid == 0x636e69732d646569 /* "ied-sinc" */ &&
        tail == 0x65636e69732d6465 /* "ed-since" */
      ) return H_IF_MODIFIED_SINCE;
      if (
        head == 0x726566736e617274 /* "transfer" */ && mid == 0x6e69646f636e652d /* "-encodin" */ &&
        tail == 0x676e69646f636e65 /* "encoding" */
      ) return H_TRANSFER_ENCODING;
      break;
    }
    case 19:
      if (
        folded64(off) == 0x646f6d6e752d6669 /* "if-unmod" */ &&
        folded64(off + 8) == 0x69732d6465696669 /* "ified-si" */ &&
        folded64(off + 11) == 0x65636e69732d6465 /* "ed-since" */
      ) return H_IF_UNMODIFIED_SINCE;
      break;
  }
  return H_OTHER;
}

// The Content-Length value of the last field seen by fieldSemantics.
let clValue: u64 = 0;

/**
 * Applies what a known field means to the flags: returns the new flags (>= 0) or a negated
 * status. `previousLength` is the Content-Length seen so far (with F_CONTENT_LENGTH set).
 */
function fieldSemantics(id: i32, off: i32, end: i32, flags: i32, previousLength: u64): i64 {
  switch (id) {
    case H_CONTENT_LENGTH: {
      // Content-Length = 1*DIGIT (RFC 9110 §8.6); a list of identical values is accepted as
      // one, differing values are an unrecoverable framing error (RFC 9112 §6.3).
      let k = off;
      let first = true;
      let seen: u64 = 0;
      while (true) {
        const r = parseDecimal(k, end);
        if (r < 0) return r;
        const v = decimalValue;
        if (!first && v != seen) return PARSE_BAD_REQUEST;
        seen = v;
        first = false;
        k = <i32>r;
        while (k < end && (load<u8>(k) == SP || load<u8>(k) == HTAB)) k++;
        if (k == end) break;
        if (load<u8>(k) != 44 /* , */) return PARSE_BAD_REQUEST;
        k++;
        while (k < end && (load<u8>(k) == SP || load<u8>(k) == HTAB)) k++;
      }
      if ((flags & F_CONTENT_LENGTH) && seen != previousLength) return PARSE_BAD_REQUEST;
      clValue = seen;
      return flags | F_CONTENT_LENGTH;
    }
    case H_CONNECTION:
      return flags | connectionTokens(off, end);
    case H_EXPECT:
      if (end == off) return flags; // an empty list: no expectation (RFC 9110 §5.6.1)
      // "100-" exactly, then "continue" in any case (letters fold exactly, see folded64).
      if (
        end - off == 12 && load<u32>(off) == 0x2d303031 /* "100-" */ &&
        folded64(off + 4) == 0x65756e69746e6f63 /* "continue" */
      ) return flags | F_EXPECT_CONTINUE;
      return flags | F_EXPECT_OTHER;
    case H_IF_MATCH:
    case H_IF_NONE_MATCH:
    case H_IF_MODIFIED_SINCE:
    case H_IF_UNMODIFIED_SINCE:
    case H_IF_RANGE:
      return flags | F_CONDITIONAL;
    case H_RANGE:
      return flags | F_RANGE;
    case H_ACCEPT_ENCODING:
      return flags | F_ACCEPT_ENCODING;
  }
  return flags;
}

let decimalValue: u64 = 0;

/**
 * 1*DIGIT at [k, end) with checked u64 arithmetic: returns the offset after the digits, or a
 * negated status (400 when there is no digit, 413 when the value overflows u64).
 */
function parseDecimal(k: i32, end: i32): i64 {
  const start = k;
  let v: u64 = 0;
  let overflow = false;
  while (k < end) {
    const c = load<u8>(k);
    if (c < 48 || c > 57) break;
    const d = <u64>(c - 48);
    if (v > (<u64>0xffffffffffffffff - d) / 10) overflow = true;
    v = v * 10 + d;
    k++;
  }
  if (k == start) return PARSE_BAD_REQUEST;
  if (overflow) return PARSE_PAYLOAD_TOO_LARGE;
  decimalValue = v;
  return k;
}

/** Connection = #connection-option (RFC 9110 §7.6.1): close, keep-alive, upgrade. */
function connectionTokens(off: i32, end: i32): i32 {
  let flags = 0;
  let k = off;
  while (k < end) {
    while (k < end && (load<u8>(k) == SP || load<u8>(k) == HTAB || load<u8>(k) == 44)) k++;
    const t = k;
    while (k < end && isTchar(load<u8>(k))) k++;
    const n = k - t;
    // The token is tchar, so folded compares are exact (see folded32).
    if (n == 5) {
      if (folded32(t) == 0x736f6c63 /* "clos" */ && folded32(t + 1) == 0x65736f6c /* "lose" */) {
        flags |= F_CONN_CLOSE;
      }
    } else if (n == 10) {
      if (
        folded64(t) == 0x696c612d7065656b /* "keep-ali" */ &&
        folded64(t + 2) == 0x6576696c612d7065 /* "ep-alive" */
      ) flags |= F_CONN_KEEP_ALIVE;
    } else if (n == 7) {
      if (folded32(t) == 0x72677075 /* "upgr" */ && folded32(t + 3) == 0x65646172 /* "rade" */) {
        flags |= F_CONN_UPGRADE;
      }
    }
    while (k < end && load<u8>(k) != 44) k++;
  }
  return flags;
}

/**
 * Transfer-Encoding over every field line that carries it (RFC 9112 §6.1): chunked must be the
 * final coding and appear once, else 400; any coding before it is one tuxd does not decode,
 * so 501 (RFC 9112 §6.1: a server that receives a coding it does not understand answers 501).
 */
function transferCodings(count: i32): i32 {
  let codings = 0;
  let lastChunked = false;
  let chunkedSeen = 0;
  let other = false;
  for (let n = 0; n < count; n++) {
    const entry = FIELDS + n * FIELD_SIZE;
    if (load<i32>(entry + FIELD_ID) != H_TRANSFER_ENCODING) continue;
    const off = load<i32>(entry + FIELD_VALUE_OFF);
    const end = off + load<i32>(entry + FIELD_VALUE_LEN);
    let k = off;
    while (k < end) {
      while (k < end && (load<u8>(k) == SP || load<u8>(k) == HTAB)) k++;
      if (k < end && load<u8>(k) == 44) {
        k++;
        continue;
      }
      const t = k;
      while (k < end && isTchar(load<u8>(k))) k++;
      if (k == t) return PARSE_BAD_REQUEST;
      // The coding is tchar, so a folded compare is exact (see folded32).
      const chunked = k - t == 7 && folded32(t) == 0x6e756863 /* "chun" */ &&
        folded32(t + 3) == 0x64656b6e /* "nked" */;
      codings++;
      if (chunked) chunkedSeen++;
      else other = true;
      lastChunked = chunked;
      // transfer-parameters: skip to the next list element.
      while (k < end && load<u8>(k) != 44) k++;
    }
  }
  if (codings == 0 || !lastChunked || chunkedSeen > 1) return PARSE_BAD_REQUEST;
  if (other) return PARSE_NOT_IMPLEMENTED;
  return 0;
}
