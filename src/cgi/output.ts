// A CGI program's response head (RFC 3875 §6): parsed from its output bytes and turned into a
// plan for the HTTP response. Pure: the handler feeds bytes in and acts on the plan.

/** The parsed head of a (non-NPH) CGI response. */
export interface CgiHead {
  /** The Status field's code (§6.3.3), or null. */
  status: number | null;
  contentType: string | null;
  location: string | null;
  /** A Content-Length the program sent, or null. */
  contentLength: number | null;
  /** Other fields to pass on, [name as sent, value], in order. */
  fields: [string, string][];
}

export type HeadResult =
  | { kind: "incomplete" }
  | { kind: "bad"; reason: string }
  /** `length`: bytes of the head including the empty line; the body starts there. */
  | { kind: "head"; head: CgiHead; length: number };

/**
 * Fields a program must not send (§6.3.4: they concern the client connection, which tuxd
 * manages) or that tuxd writes itself (Date, Server); they are dropped, not refused. X-CGI-*
 * fields are CGI extensions tuxd does not implement (§6.3.5).
 */
const DROPPED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "date",
  "server",
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Field value characters: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5). */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** §6.3.2 local-pathquery: an absolute path, optionally with a query. */
const LOCAL_PATH = /^\/[\x21-\x7e]*$/;
/** §6.3.2 fragment-URI: a scheme, ":", and no white space or controls. */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]*$/;

/** Index just past the empty line ending a head (LF or CRLF line ends, §6.3), or -1. */
export function headEnd(buf: Uint8Array): number {
  let lineStart = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 10) continue;
    const len = i - lineStart;
    if (len === 0 || (len === 1 && buf[lineStart] === 13)) return i + 1;
    lineStart = i + 1;
  }
  return -1;
}

/**
 * Parses the head at the start of `buf`. "incomplete" until the empty line has arrived; the
 * caller bounds how long it waits (--cgi-max-head). "bad" for anything that is not a valid
 * CGI response: no CGI field at all, a CGI field twice (§6.3), a malformed line, Status or
 * Location (a 502 for the client, as RFC 3875 §3.1 leaves the server responsible for it).
 */
export function parseCgiHead(buf: Uint8Array): HeadResult {
  const end = headEnd(buf);
  if (end < 0) return { kind: "incomplete" };
  const head: CgiHead = {
    status: null,
    contentType: null,
    location: null,
    contentLength: null,
    fields: [],
  };
  let cgiFields = 0;
  let lineStart = 0;
  for (let i = 0; i < end; i++) {
    if (buf[i] !== 10) continue;
    let lineEnd = i;
    if (lineEnd > lineStart && buf[lineEnd - 1] === 13) lineEnd--;
    const line = latin1(buf, lineStart, lineEnd);
    lineStart = i + 1;
    if (line === "") break;
    const colon = line.indexOf(":");
    // §6.3: no continuation lines, no white space before the colon.
    if (colon <= 0) return bad(`not a header field: ${show(line)}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return bad(`bad field name ${show(name)}`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (!VALUE.test(value)) return bad(`control character in ${name}`);
    // §6.3: a NULL field value is equivalent to the field not being sent.
    if (value === "") continue;
    const lower = name.toLowerCase();
    if (lower === "status") {
      if (head.status !== null) return bad("Status twice");
      const m = /^(\d{3})(?:[ \t].*)?$/.exec(value);
      const code = m ? Number(m[1]) : 0;
      // A final status only: 1xx would leave the client waiting for another response.
      if (code < 200 || code > 599) return bad(`bad Status ${show(value)}`);
      head.status = code;
      cgiFields++;
    } else if (lower === "content-type") {
      if (head.contentType !== null) return bad("Content-Type twice");
      head.contentType = value;
      cgiFields++;
    } else if (lower === "location") {
      if (head.location !== null) return bad("Location twice");
      if (!LOCAL_PATH.test(value) && !ABSOLUTE_URI.test(value)) {
        return bad(`Location is neither a local path nor an absolute URI: ${show(value)}`);
      }
      head.location = value;
      cgiFields++;
    } else if (lower === "content-length") {
      if (!/^\d{1,15}$/.test(value)) return bad(`bad Content-Length ${show(value)}`);
      const n = Number(value);
      if (head.contentLength !== null && head.contentLength !== n) {
        return bad("conflicting Content-Length");
      }
      head.contentLength = n;
    } else if (!DROPPED.has(lower) && !lower.startsWith("x-cgi-")) {
      head.fields.push([name, value]);
    }
  }
  if (cgiFields === 0) return bad("no Content-Type, Location or Status field");
  return { kind: "head", head, length: end };
}

/** What to answer with, given a parsed head (§6.2). */
export type ResponsePlan =
  | { kind: "local-redirect"; target: string }
  | {
    kind: "document";
    status: number;
    /** Whether the response carries a body at all (not HEAD, 204 or 304). */
    body: boolean;
    /** Content-Length to announce and enforce, or null (chunked or close-delimited). */
    length: number | null;
  };

/**
 * §6.2.2: a local path in Location with no Status is a local redirect, served as a new GET
 * (other fields and any body are ignored, as Apache httpd does). §6.2.3/§6.2.4: an absolute
 * URI is a client redirect, 302 unless Status says otherwise. Anything else is a document
 * (§6.2.1), 200 unless Status says otherwise.
 */
export function planResponse(head: CgiHead, isHead: boolean): ResponsePlan {
  if (head.location !== null && head.status === null && head.location.startsWith("/")) {
    if (head.contentType === null) return { kind: "local-redirect", target: head.location };
  }
  const status = head.status ?? (head.location !== null ? 302 : 200);
  // RFC 9110 §6.4.1: no content in 204 and 304 responses; §9.3.2: none for HEAD (RFC 3875
  // §4.3.3: the server discards what a program sends anyway).
  const body = !isHead && status !== 204 && status !== 304;
  const length = status === 204 ? null : head.contentLength;
  return { kind: "document", status, body, length };
}

/** The field lines passed on ("Name: value\r\n" each), as latin1. */
export function passedFields(head: CgiHead): string {
  let out = "";
  for (const [name, value] of head.fields) out += `${name}: ${value}\r\n`;
  return out;
}

/**
 * Checks the status line an NPH program starts with (§5.2: a complete HTTP response), once
 * its first line has arrived: "ok", "bad" or "incomplete".
 */
export function checkNphStatusLine(buf: Uint8Array): "ok" | "bad" | "incomplete" {
  const nl = buf.indexOf(10);
  if (nl < 0) return "incomplete";
  const line = latin1(buf, 0, nl).replace(/\r$/, "");
  return /^HTTP\/1\.\d [1-5]\d\d(?: [\t\x20-\x7e\x80-\xff]*)?$/.test(line) ? "ok" : "bad";
}

function bad(reason: string): HeadResult {
  return { kind: "bad", reason };
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
  return s;
}

/** A value for a log line: quoted, cut short. */
function show(s: string): string {
  return JSON.stringify(s.length > 80 ? s.slice(0, 80) + "…" : s);
}
