// A strict reader of the backend's response: the head (RFC 9112 §4, §5), how its body is
// framed (RFC 9112 §6.3), and the body itself as a stream of pieces. Anything a careful
// recipient would have to guess about is a malformed response (502), never a best effort: a
// gateway that guesses at framing is how response splitting gets through.

import { latin1 } from "../bytes.ts";
import { tokens } from "./hop.ts";

/** Largest response head accepted from the backend (the rebuilt head must fit 16 KiB). */
export const MAX_RESPONSE_HEAD = 16 * 1024;
/** Most bytes of one chunk-size line (with extensions) and of a trailer section. */
const MAX_CHUNK_LINE = 4096;
const MAX_TRAILERS = 16 * 1024;

/** The backend broke the protocol: the client gets 502 (before the head) or a cut connection. */
export class MalformedResponse extends Error {}

/** The backend's connection ended before the message did. */
export class TruncatedResponse extends Error {}

export type ResponseFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

export interface ResponseHead {
  status: number;
  minor: number;
  /** Field lines as received: [name, value without surrounding whitespace]. */
  fields: [string, string][];
  framing: ResponseFraming;
  /** Whether the connection may carry another request after this response (RFC 9112 §9.3). */
  keepAlive: boolean;
  /** Bytes of the head, including the empty line. */
  length: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** field-value characters: VCHAR, obs-text, SP and HTAB (RFC 9110 §5.5); no CR, LF or NUL. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const STATUS_LINE = /^HTTP\/1\.([0-9]) ([0-9]{3})(?: [\t\x20-\x7e\x80-\xff]*)?$/;

/**
 * Parses the response head at the start of `buf`. Returns null when the head is not complete
 * yet, and throws MalformedResponse when it is not a valid HTTP/1.1 response head or is larger
 * than MAX_RESPONSE_HEAD. `method` is the request's (a HEAD response has no body).
 */
export function parseResponseHead(buf: Uint8Array, method: string): ResponseHead | null {
  const end = headEnd(buf);
  if (end < 0) {
    if (buf.length > MAX_RESPONSE_HEAD) throw new MalformedResponse("response head too large");
    return null;
  }
  if (end > MAX_RESPONSE_HEAD) throw new MalformedResponse("response head too large");
  const text = latin1(buf, 0, end - 4);
  const lines = text.split("\r\n");
  for (const line of lines) {
    // A bare CR or LF would end a line for some recipients and not for others (RFC 9112 §2.2).
    if (line.includes("\r") || line.includes("\n")) {
      throw new MalformedResponse("bare CR or LF in the response head");
    }
  }
  const m = STATUS_LINE.exec(lines[0]);
  if (!m) throw new MalformedResponse(`bad status line ${JSON.stringify(lines[0].slice(0, 80))}`);
  const minor = Number(m[1]);
  const status = Number(m[2]);
  if (status < 100 || status > 599) throw new MalformedResponse(`status ${status}`);
  const fields: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    // RFC 9112 §5.2: a gateway MUST either reject obs-fold or replace it; tuxd rejects.
    if (line[0] === " " || line[0] === "\t") throw new MalformedResponse("obs-fold in response");
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    // RFC 9112 §5.1: no whitespace between the field name and the colon.
    if (!TOKEN.test(name)) {
      throw new MalformedResponse(`bad field line ${JSON.stringify(line.slice(0, 80))}`);
    }
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (!FIELD_VALUE.test(value)) throw new MalformedResponse(`bad value in ${name}`);
    fields.push([name, value]);
  }
  const framing = responseFraming(status, minor, fields, method);
  const connection = tokens(all(fields, "connection"));
  const keepAlive = framing.kind !== "close" && !connection.includes("close") &&
    (minor > 0 || connection.includes("keep-alive"));
  return { status, minor, fields, framing, keepAlive, length: end };
}

/** The body framing of a response (RFC 9112 §6.3), or MalformedResponse. */
function responseFraming(
  status: number,
  minor: number,
  fields: readonly [string, string][],
  method: string,
): ResponseFraming {
  const te = all(fields, "transfer-encoding");
  const cl = all(fields, "content-length");
  // The length fields are still checked when there is no body, so that a HEAD or 304
  // response's Content-Length passes on only when it is valid.
  if (te !== null) {
    // RFC 9112 §6.1: Transfer-Encoding is HTTP/1.1; with Content-Length as well it is a
    // smuggling attempt "ought to be handled as an error" (§6.3 item 3).
    if (minor === 0) throw new MalformedResponse("Transfer-Encoding in an HTTP/1.0 response");
    if (cl !== null) throw new MalformedResponse("both Transfer-Encoding and Content-Length");
    // Only chunked: tuxd does not pass on transfer codings it would have to re-apply.
    const codings = tokens(te);
    if (codings.length !== 1 || codings[0] !== "chunked") {
      throw new MalformedResponse(`Transfer-Encoding ${JSON.stringify(te)}`);
    }
  }
  let length = -1;
  if (cl !== null) {
    // RFC 9110 §8.6: a list of identical values is one value; anything else is invalid.
    const values = cl.split(",").map((v) => v.trim());
    if (!values.every((v) => /^[0-9]{1,15}$/.test(v) && Number(v) === Number(values[0]))) {
      throw new MalformedResponse(`Content-Length ${JSON.stringify(cl)}`);
    }
    length = Number(values[0]);
  }
  // RFC 9112 §6.3 item 1: no body for HEAD, 1xx, 204 and 304, whatever the fields say.
  if (method === "HEAD" || status < 200 || status === 204 || status === 304) {
    return { kind: "none" };
  }
  if (te !== null) return { kind: "chunked" };
  if (length >= 0) return { kind: "length", length };
  return { kind: "close" }; // §6.3 item 8: read until the connection closes
}

/** Every value of a field joined with ", " (RFC 9110 §5.3), or null. */
export function all(fields: readonly (readonly [string, string])[], lower: string): string | null {
  const values: string[] = [];
  for (const [n, v] of fields) if (n.toLowerCase() === lower) values.push(v);
  return values.length ? values.join(", ") : null;
}

/** Offset just past CRLF CRLF, or -1. */
function headEnd(buf: Uint8Array): number {
  const n = Math.min(buf.length, MAX_RESPONSE_HEAD + 4);
  for (let i = 3; i < n; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  }
  return -1;
}

/** Where response bytes come from: a buffer that can be consumed and refilled. */
export interface ByteSource {
  /** Buffered bytes not consumed yet. */
  view(): Uint8Array;
  consume(n: number): void;
  /** Reads more; false at end of stream. */
  fill(): Promise<boolean>;
}

const enum Chunk {
  Size,
  Data,
  DataEnd,
  Trailers,
  Done,
}

/**
 * A response body as pieces, framed as `framing` says. Pieces are views into the source's
 * buffer, valid until the next read. Throws TruncatedResponse when the backend closes early
 * and MalformedResponse on bad chunked framing.
 */
export class ResponseBody {
  #left: number;
  #state = Chunk.Size;
  #trailerBytes = 0;
  done: boolean;

  constructor(private readonly src: ByteSource, private readonly framing: ResponseFraming) {
    this.#left = framing.kind === "length" ? framing.length : 0;
    this.done = framing.kind === "none" || (framing.kind === "length" && framing.length === 0);
  }

  async read(): Promise<Uint8Array | null> {
    while (!this.done) {
      const piece = this.framing.kind === "chunked" ? this.#chunked() : this.#plain();
      if (piece) return piece;
      if (this.done) break;
      if (!(await this.src.fill())) {
        if (this.framing.kind === "close") {
          this.done = true;
          break;
        }
        throw new TruncatedResponse("backend closed the connection inside the response body");
      }
    }
    return null;
  }

  /** Content-Length and close-delimited bodies: whatever is buffered, up to what is left. */
  #plain(): Uint8Array | null {
    const v = this.src.view();
    if (v.length === 0) return null;
    const n = this.framing.kind === "length" ? Math.min(this.#left, v.length) : v.length;
    const piece = v.subarray(0, n);
    this.src.consume(n);
    this.#left -= n;
    if (this.framing.kind === "length" && this.#left === 0) this.done = true;
    return piece;
  }

  /** One step of the chunked decoder (RFC 9112 §7.1); null when it needs more bytes. */
  #chunked(): Uint8Array | null {
    while (true) {
      const v = this.src.view();
      switch (this.#state) {
        case Chunk.Size: {
          const eol = crlf(v, MAX_CHUNK_LINE);
          if (eol < 0) return null;
          const line = latin1(v, 0, eol);
          // chunk-size [ chunk-ext ]: hex digits, then nothing or BWS ";" extensions (ignored).
          const m = /^([0-9A-Fa-f]{1,13})(?:[ \t]*;[\t\x20-\x7e\x80-\xff]*)?$/.exec(line);
          if (!m) throw new MalformedResponse(`bad chunk size line ${JSON.stringify(line)}`);
          this.src.consume(eol + 2);
          this.#left = parseInt(m[1], 16);
          this.#state = this.#left === 0 ? Chunk.Trailers : Chunk.Data;
          continue;
        }
        case Chunk.Data: {
          if (v.length === 0) return null;
          const n = Math.min(this.#left, v.length);
          const piece = v.subarray(0, n);
          this.src.consume(n);
          this.#left -= n;
          if (this.#left === 0) this.#state = Chunk.DataEnd;
          return piece;
        }
        case Chunk.DataEnd: {
          if (v.length < 2) return null;
          if (v[0] !== 13 || v[1] !== 10) throw new MalformedResponse("chunk data without CRLF");
          this.src.consume(2);
          this.#state = Chunk.Size;
          continue;
        }
        case Chunk.Trailers: {
          // Trailer fields are read and dropped (RFC 9110 §6.5.1 lets a recipient discard them).
          const eol = crlf(v, MAX_TRAILERS - this.#trailerBytes);
          if (eol < 0) return null;
          this.src.consume(eol + 2);
          this.#trailerBytes += eol + 2;
          if (eol === 0) {
            this.#state = Chunk.Done;
            this.done = true;
            return null;
          }
          continue;
        }
        default:
          return null;
      }
    }
  }
}

/** Offset of the first CRLF in v, -1 if none yet; MalformedResponse past `limit` bytes. */
function crlf(v: Uint8Array, limit: number): number {
  const n = Math.min(v.length, limit + 2);
  for (let i = 0; i + 1 < n; i++) {
    if (v[i] === 13) {
      if (v[i + 1] === 10) return i;
      throw new MalformedResponse("bare CR in chunked framing");
    }
    if (v[i] === 10) throw new MalformedResponse("bare LF in chunked framing");
  }
  if (v.length >= limit + 2) throw new MalformedResponse("chunk line or trailers too long");
  return -1;
}
