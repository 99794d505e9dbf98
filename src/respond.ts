// Writing responses for the slow path: heads built in WASM, bodies queued or streamed from
// files. Error responses are made in one place (`errorResponse`).

import * as abi from "./abi.ts";
import { latin1Bytes } from "./bytes.ts";
import type { Connection } from "./connection.ts";
import { type ConnMode, HeadBuilder } from "./head.ts";
import type { Request } from "./request.ts";
import type { Wasm } from "./wasm.ts";

/**
 * How much of a large body goes out in the same write as its head: the head and the beginning
 * of the file in one packet, which is what nginx's `tcp_nopush` is for (with TCP_NODELAY a head
 * written alone is a tiny segment of its own, and a wake-up of the client for it). Measured on
 * loopback with wrk: 1 MiB cached files 20-30 % and 10 MiB streamed files ~10 % faster than a
 * head alone; 16 KiB and 192 KiB helped less.
 */
export const LEAD_BYTES = 64 * 1024;

const TEXT_PLAIN = latin1Bytes("text/plain; charset=utf-8");
const CRLF = latin1Bytes("\r\n");
const LAST_CHUNK = latin1Bytes("0\r\n\r\n");

export interface ErrorOptions {
  /** The Allow field value (405). */
  allow?: string;
  /** Extra preformatted field lines ("Name: value\r\n" each, latin1). */
  raw?: string;
  /** Omit the body (HEAD). */
  headOnly?: boolean;
}

/**
 * A complete error response with a short text body ("404 Not Found\n") taken from the status
 * line the WASM module wrote, so the reason phrases live in one table.
 */
export function errorResponse(
  w: Wasm,
  status: number,
  conn: ConnMode,
  opts: ErrorOptions = {},
): Uint8Array {
  const b = new HeadBuilder(w).start(status);
  const line = statusLine(w);
  const body = latin1Bytes(`${line.slice(9)}\n`);
  b.field(abi.R_CONTENT_TYPE, TEXT_PLAIN).number(abi.R_CONTENT_LENGTH, body.length);
  b.nosniff();
  if (opts.allow) b.text(abi.R_ALLOW, opts.allow);
  if (opts.raw) b.rawText(opts.raw);
  const head = b.end(conn);
  if (opts.headOnly) return head;
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** The status line in OUT, without CRLF, right after head_start. */
function statusLine(w: Wasm): string {
  let end = abi.OUT;
  while (w.u8[end] !== 13) end++;
  return String.fromCharCode(...w.u8.subarray(abi.OUT, end));
}

/** Pooled read buffers for streaming files. */
const FILE_CHUNK = 256 * 1024;
const pool: Uint8Array[] = [];
/**
 * Buffers kept for reuse (16 MiB at most). Streams beyond this many at once allocate and drop
 * theirs; below it no stream makes garbage, which would otherwise pile up in external memory
 * until V8 gets round to collecting it, and show as resident memory.
 */
const POOL_MAX = 64;

export class Responder {
  /** Set by a handler when the connection must close after this response. */
  closeAfter = false;
  /** Whether a response (or its head) has been queued. */
  sent = false;
  readonly head: HeadBuilder;

  constructor(readonly c: Connection, readonly req: Request) {
    this.head = new HeadBuilder(c.wasm);
  }

  /** The Connection field this response carries (RFC 9112 §9.3, §9.6). */
  get connMode(): ConnMode {
    if (this.closeAfter || !this.req.wantsKeepAlive) return abi.CONN_CLOSE;
    return this.req.minor === 0 ? abi.CONN_KEEP_ALIVE : abi.CONN_DEFAULT;
  }

  /** Queues a head and, unless the request is HEAD, a body. */
  send(head: Uint8Array, body: Uint8Array | null = null): void {
    this.sent = true;
    this.c.push(head);
    if (body && body.length && !this.req.isHead) this.c.push(body);
  }

  /** Queues an error response with a short text body. */
  error(status: number, opts: ErrorOptions = {}): void {
    if (status === 400 || status === 408 || status === 413 || status >= 500) {
      this.closeAfter = true;
    }
    this.sent = true;
    this.c.push(
      errorResponse(this.c.wasm, status, this.connMode, { ...opts, headOnly: this.req.isHead }),
    );
  }

  #chunked = false;

  /**
   * Queues the head of a streamed body (CGI output, a backend's response). With `chunked`,
   * each piece is framed as a chunk (RFC 9112 §7.1); otherwise the head carries the length or
   * the connection ends after the body.
   */
  beginBody(head: Uint8Array, chunked: boolean): void {
    this.sent = true;
    this.#chunked = chunked && !this.req.isHead;
    this.c.push(head);
  }

  /** Sends one piece of a streamed body and waits until the socket took it (backpressure). */
  async bodyChunk(bytes: Uint8Array): Promise<void> {
    if (this.req.isHead || bytes.length === 0) return;
    if (this.#chunked) this.c.push(latin1Bytes(bytes.length.toString(16) + "\r\n"));
    this.c.push(bytes);
    if (this.#chunked) this.c.push(CRLF);
    await this.c.flush();
  }

  /** Ends a streamed body: the last chunk when chunked. */
  async endBody(): Promise<void> {
    if (this.#chunked) this.c.push(LAST_CHUNK);
    this.#chunked = false;
    await this.c.flush();
  }

  /**
   * Hands the socket over for a tunnel (a 101 Switching Protocols upgrade), with the bytes the
   * client already sent past the request. The connection loop ends; the caller closes `conn`.
   */
  async takeOver(): Promise<{ conn: Deno.TcpConn; buffered: Uint8Array }> {
    await this.c.flush();
    const c = this.c;
    const buffered = c.wasm.u8.slice(c.base + c.start, c.base + c.filled);
    c.start = c.filled;
    c.ending = true;
    c.detached = true;
    return { conn: c.conn, buffered };
  }

  /**
   * Streams `length` bytes of `file` from `start` after whatever is queued, in chunks, each
   * write awaited (backpressure). A file that shrank ends the connection: the promised length
   * cannot be kept, and a short body must not be followed by another response.
   */
  async sendBody(file: Deno.FsFile, start: number, length: number): Promise<void> {
    if (length <= 0) return;
    const buf = pool.pop() ?? new Uint8Array(FILE_CHUNK);
    try {
      file.seekSync(start, Deno.SeekMode.Start);
      // The queued head goes in front of the first LEAD_BYTES of the file, in one write.
      let at = this.c.moveQueued(buf, FILE_CHUNK - LEAD_BYTES);
      if (at < 0) {
        await this.c.flush();
        at = 0;
      }
      let left = length;
      let piece = LEAD_BYTES;
      while (left > 0) {
        // A synchronous read, as nginx reads without aio: a page-cache hit costs tens of
        // microseconds, far less than the thread-pool round trip of an async file read.
        const n = file.readSync(buf.subarray(at, at + Math.min(left, piece)));
        if (n === null || n === 0) {
          if (at > 0) await this.c.write(buf.subarray(0, at));
          this.c.ending = true;
          return;
        }
        await this.c.write(buf.subarray(0, at + n));
        left -= n;
        at = 0;
        piece = FILE_CHUNK;
      }
    } finally {
      if (pool.length < POOL_MAX) pool.push(buf);
    }
  }
}
