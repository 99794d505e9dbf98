// Response-head assembly into OUT: a status line, Date and Server, then fields from numeric
// ids and (offset, length) values, then the Connection field and the empty line. Responses
// are always HTTP/1.1 (RFC 9110 §6.2: a server sends its own highest minor version).

import {
  CONN_CLOSE, CONN_KEEP_ALIVE, CONN_UPGRADE, DATE, DATE_LEN, HEAD_OVERFLOW, OUT, OUT_SIZE,
  R_ACCEPT_RANGES, R_ALLOW, R_CACHE_CONTROL, R_CONTENT_ENCODING, R_CONTENT_LENGTH,
  R_CONTENT_RANGE, R_CONTENT_TYPE, R_ETAG, R_LAST_MODIFIED, R_LOCATION, R_NOSNIFF,
  R_RETRY_AFTER, R_TRANSFER_ENCODING, R_VARY,
} from "./abi";
import { writeDate } from "./date";

let pos: i32 = OUT;
let overflow = false;

@inline function room(n: i32): bool {
  if (pos + n > OUT + OUT_SIZE) overflow = true;
  return !overflow;
}

function putString(s: string): void {
  const n = s.length;
  if (!room(n)) return;
  for (let k = 0; k < n; k++) store<u8>(pos + k, <u8>s.charCodeAt(k));
  pos += n;
}

function putBytes(off: i32, len: i32): void {
  if (!room(len)) return;
  memory.copy(pos, off, len);
  pos += len;
}

@inline function crlf(): void {
  if (!room(2)) return;
  store<u16>(pos, 0x0a0d);
  pos += 2;
}

/** Starts a head: status line, Date (from the DATE region) and Server. */
export function headStart(status: i32): void {
  pos = OUT;
  overflow = false;
  putString("HTTP/1.1 ");
  if (status < 100 || status > 999) status = 500;
  if (room(4)) {
    store<u8>(pos, <u8>(48 + status / 100));
    store<u8>(pos + 1, <u8>(48 + (status / 10) % 10));
    store<u8>(pos + 2, <u8>(48 + status % 10));
    store<u8>(pos + 3, 32);
    pos += 4;
  }
  putString(reason(status));
  crlf();
  putString("Date: ");
  putBytes(DATE, DATE_LEN);
  crlf();
  putString("Server: tuxd\r\n");
}

/** A field with its value taken from memory: "Name: value\r\n". */
export function headField(id: i32, off: i32, len: i32): void {
  putString(fieldName(id));
  putString(": ");
  if (id == R_NOSNIFF) putString("nosniff");
  else putBytes(off, len);
  crlf();
}

/** A field whose value is a non-negative integer below 2^53 (Content-Length, Retry-After). */
export function headNumber(id: i32, value: f64): void {
  putString(fieldName(id));
  putString(": ");
  putDecimal(<u64>value);
  crlf();
}

/** A field whose value is an HTTP-date (Last-Modified). */
export function headDate(id: i32, seconds: f64): void {
  putString(fieldName(id));
  putString(": ");
  if (room(29)) pos += writeDate(pos, seconds);
  crlf();
}

/** Preformatted field lines, each ending in CRLF, copied as they are. */
export function headRaw(off: i32, len: i32): void {
  putBytes(off, len);
}

/** Ends the head; returns its length in OUT, or HEAD_OVERFLOW. */
export function headEnd(conn: i32): i32 {
  if (conn == CONN_CLOSE) putString("Connection: close\r\n");
  else if (conn == CONN_KEEP_ALIVE) putString("Connection: keep-alive\r\n");
  else if (conn == CONN_UPGRADE) putString("Connection: upgrade\r\n");
  crlf();
  return overflow ? HEAD_OVERFLOW : pos - OUT;
}

function putDecimal(v: u64): void {
  let digits = 1;
  for (let t = v / 10; t > 0; t /= 10) digits++;
  if (!room(digits)) return;
  for (let k = digits - 1; k >= 0; k--) {
    store<u8>(pos + k, <u8>(48 + <i32>(v % 10)));
    v /= 10;
  }
  pos += digits;
}

function fieldName(id: i32): string {
  switch (id) {
    case R_CONTENT_TYPE: return "Content-Type";
    case R_CONTENT_LENGTH: return "Content-Length";
    case R_ETAG: return "ETag";
    case R_LAST_MODIFIED: return "Last-Modified";
    case R_ACCEPT_RANGES: return "Accept-Ranges";
    case R_LOCATION: return "Location";
    case R_ALLOW: return "Allow";
    case R_VARY: return "Vary";
    case R_CONTENT_RANGE: return "Content-Range";
    case R_CONTENT_ENCODING: return "Content-Encoding";
    case R_CACHE_CONTROL: return "Cache-Control";
    case R_RETRY_AFTER: return "Retry-After";
    case R_TRANSFER_ENCODING: return "Transfer-Encoding";
    case R_NOSNIFF: return "X-Content-Type-Options";
  }
  return "X-Unknown";
}

/** Reason phrases (RFC 9110 §15); clients ignore them, people read them. */
function reason(status: i32): string {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 511: return "Network Authentication Required";
  }
  return "Unknown";
}
