// Request bodies as a byte stream (RFC 9112 §6): Content-Length bodies are sliced out of the
// connection's slot, chunked ones are decoded in place by the WASM decoder. Consumers (CGI,
// the backend proxy) read chunk by chunk; what they leave is discarded within a limit.

import * as abi from "./abi.ts";
import type { Connection } from "./connection.ts";
import type { Request } from "./request.ts";

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

/** A body that cannot be read to its end: the status to answer, and the connection closes. */
export class BodyError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class BodyReader {
  /** Bytes still to come of a Content-Length body; unused for chunked. */
  #left: number;
  readonly chunked: boolean;
  #expectContinue: boolean;
  done = false;
  /** Decoded bytes delivered so far. */
  received = 0;

  constructor(private readonly c: Connection, req: Request) {
    this.chunked = (req.flags & abi.F_CHUNKED) !== 0;
    this.#left = this.chunked ? 0 : Math.max(0, req.contentLength);
    // RFC 9110 §10.1.1: 100 Continue only if the body is actually going to be read, and only
    // when the client has not started sending it already.
    this.#expectContinue = (req.flags & abi.F_EXPECT_CONTINUE) !== 0 && req.minor > 0 &&
      c.start === c.filled;
    if (this.chunked) c.wasm.u8.fill(0, c.state, c.state + abi.SLOT_STATE);
    if (!this.chunked && this.#left === 0) this.done = true;
  }

  /**
   * The next piece of the body, as a view into WASM memory valid until the next call, or null
   * at the end. Throws BodyError on a malformed chunked body and Deno errors on I/O failure.
   */
  async read(): Promise<Uint8Array | null> {
    if (this.done) return null;
    if (this.#expectContinue) {
      this.#expectContinue = false;
      await this.c.flush();
      await this.c.write(CONTINUE);
    }
    const c = this.c;
    while (true) {
      if (c.start < c.filled) {
        const piece = this.chunked ? this.#decode() : this.#slice();
        if (piece) return piece;
        if (this.done) return null;
        if (c.start < c.filled) continue;
      }
      // While waiting for body bytes the sweeper holds the client to --min-body-rate.
      c.enterBody(this.received);
      const more = await c.readMore();
      c.leaveBody();
      if (!more) throw new BodyError(400, "client closed the connection inside the request body");
    }
  }

  #slice(): Uint8Array {
    const c = this.c;
    const n = Math.min(this.#left, c.filled - c.start);
    const piece = c.wasm.u8.subarray(c.base + c.start, c.base + c.start + n);
    c.start += n;
    this.#left -= n;
    this.received += n;
    if (this.#left === 0) this.done = true;
    return piece;
  }

  #decode(): Uint8Array | null {
    const c = this.c;
    const fn = c.wasm.fn;
    const at = c.base + c.start;
    const r = fn.chunk_decode(c.state, at, c.filled - c.start);
    if (r === abi.CHUNK_BAD) throw new BodyError(400, "malformed chunked body");
    if (r === abi.CHUNK_TOO_LARGE) throw new BodyError(413, "request body too large");
    const out = c.wasm.i32[(c.state + abi.CH_OUT) >> 2];
    c.start += r;
    if (c.wasm.i32[(c.state + abi.CH_STATE) >> 2] === abi.CS_DONE) this.done = true;
    if (out === 0) return null;
    this.received += out;
    return c.wasm.u8.subarray(at, at + out);
  }

  /**
   * Reads and drops the rest of the body if it is at most `limit` more bytes; returns whether
   * the connection is still framed (false: close it).
   */
  async discard(limit: number): Promise<boolean> {
    if (this.done) return true;
    if (!this.chunked && this.#left > limit) return false;
    if (this.#expectContinue) return false; // the client waits for us: do not invite the body
    const stop = this.received + limit;
    try {
      while (await this.read() !== null) {
        if (this.received > stop) return false;
      }
      return true;
    } catch {
      return false;
    }
  }

  /** The body as a web stream of copied chunks (for Deno.Command stdin and fetch). */
  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const piece = await this.read();
        if (piece === null) controller.close();
        else controller.enqueue(piece.slice());
      },
    }, { highWaterMark: 0 });
  }
}
