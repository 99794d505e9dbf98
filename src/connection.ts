// One client connection: socket reads land directly in the connection's slot of WASM memory,
// the WASM parser frames each request in place, and responses are queued and written in as few
// writes as possible (pipelined requests answered in order, one write per batch).

import * as abi from "./abi.ts";
import { BodyReader } from "./body.ts";
import { coarseNow } from "./clock.ts";
import { Request } from "./request.ts";
import { errorResponse, Responder } from "./respond.ts";
import type { Wasm } from "./wasm.ts";

/** What the connection is waiting for; the server's sweeper enforces the timeouts. */
export const enum Phase {
  /** Between requests, no byte of the next one yet: the idle timeout applies. */
  Idle,
  /** Part of a request head has arrived: the head deadline applies (408). */
  Head,
  /** A request is being handled (file, CGI, backend). */
  Busy,
  /** Waiting for request body bytes: the minimum body rate applies. */
  Body,
  /** Half-closed, draining input until the client closes too (see LINGER_MS). */
  Closing,
}

export interface Site {
  /**
   * Answers the request just parsed at WASM `head` (length `len`) synchronously when it can
   * (an object-cache hit) and returns true; false sends it down the slow path.
   */
  fast(c: Connection, head: number, len: number): boolean;
  /** Answers a request on the slow path. */
  handle(req: Request, res: Responder): Promise<void>;
}

export interface ConnectionLimits {
  discardBodyMax: number;
}

const DONE = Promise.resolve();
const TRUE = Promise.resolve(true);

/** Most bytes copied into one write when batching small responses. */
const BATCH_MAX = 256 * 1024;

/**
 * A closing connection drains its input until the client has sent nothing for LINGER_MS, for
 * LINGER_TOTAL_MS and LINGER_MAX bytes at most (nginx's lingering_timeout and lingering_time).
 * The wait is for silence, not a fixed time: a slow reader may still be taking megabytes of the
 * last response from the kernel's buffer, and closing while its bytes arrive would reset it.
 */
export const LINGER_MS = 5000;
export const LINGER_TOTAL_MS = 30_000;
const LINGER_MAX = 4 * 1024 * 1024;

export class Connection {
  /** Slot input region in WASM memory: [base, base + cap). */
  readonly base: number;
  readonly state: number;
  readonly cap: number;
  /** Unparsed bytes are [base + start, base + filled). */
  start = 0;
  filled = 0;
  /** A new connection owes its first request head within the head deadline. */
  phase = Phase.Head;
  /** When the current phase began (ms since the epoch); in Closing, when input last came. */
  since = coarseNow();
  /** When the write in progress began, or 0: the send timeout is measured from it. */
  sendSince = 0;
  /** When the lingering close began. */
  lingerSince = 0;
  /** The slow-path request's responder, while it is handled. */
  #res: Responder | null = null;
  /**
   * The current request body's arrival: bytes received, and the time spent waiting for them
   * (only waiting counts: a handler slow to consume the body is not the client's fault).
   */
  bodyBytes = 0;
  bodyWaited = 0;
  bodyWaitStart = 0;
  closed = false;
  /** Set when the response just queued is the connection's last. */
  ending = false;
  /** Set when a handler took the socket over (a tunnel); the loop must not close it. */
  detached = false;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #batch: Uint8Array | null = null;
  /** The whole slot, the view the common read (nothing left unparsed) lands in. */
  readonly #slotView: Uint8Array;

  constructor(
    readonly wasm: Wasm,
    readonly conn: Deno.TcpConn,
    readonly slot: number,
    readonly site: Site,
    readonly limits: ConnectionLimits,
  ) {
    this.state = abi.SLOTS + slot * (abi.SLOT_STATE + wasm.slotSize);
    this.base = this.state + abi.SLOT_STATE;
    this.cap = wasm.slotSize;
    this.#slotView = wasm.u8.subarray(this.base, this.base + this.cap);
  }

  get remoteAddr(): Deno.NetAddr {
    return this.conn.remoteAddr as Deno.NetAddr;
  }

  /** Queues bytes to send; they must not change until flushed. */
  push(bytes: Uint8Array): void {
    this.#queue.push(bytes);
    this.#queued += bytes.length;
  }

  /**
   * Moves everything queued into the start of `buf` when it totals at most `max` bytes, and
   * returns its length (0 when nothing was queued); -1 leaves the queue as it is.
   */
  moveQueued(buf: Uint8Array, max: number): number {
    if (this.#queued > max) return -1;
    let o = 0;
    for (const piece of this.#queue) {
      buf.set(piece, o);
      o += piece.length;
    }
    this.#queue.length = 0;
    this.#queued = 0;
    return o;
  }

  /** Writes everything queued, batching small pieces into one write. */
  flush(): Promise<void> {
    const q = this.#queue;
    if (q.length === 0) return DONE;
    if (q.length === 1) {
      // The common case, one response: straight to the socket, without another async frame.
      const only = q[0];
      q.length = 0;
      this.#queued = 0;
      return this.write(only);
    }
    return this.#flushMany();
  }

  async #flushMany(): Promise<void> {
    const pieces = this.#queue.splice(0);
    this.#queued = 0;
    let i = 0;
    while (i < pieces.length) {
      // Gather a run of pieces that fits in the batch buffer; large pieces go out on their own.
      let n = 0, j = i;
      while (j < pieces.length && n + pieces[j].length <= BATCH_MAX) n += pieces[j++].length;
      if (j === i) {
        await this.write(pieces[i++]);
        continue;
      }
      if (j === i + 1) {
        await this.write(pieces[i++]);
        continue;
      }
      if (!this.#batch || this.#batch.length < n) {
        this.#batch = new Uint8Array(Math.min(BATCH_MAX, Math.max(n, 4096) * 2));
      }
      const batch = this.#batch;
      let o = 0;
      for (; i < j; i++) {
        batch.set(pieces[i], o);
        o += pieces[i].length;
      }
      await this.write(batch.subarray(0, o));
    }
  }

  /** Writes all of `bytes`, waiting for the socket to drain (backpressure). */
  write(bytes: Uint8Array): Promise<void> {
    this.sendSince = coarseNow();
    // Most writes complete whole: only a short one needs the loop (and its subarray).
    return this.conn.write(bytes).then((n) => {
      if (n < bytes.length) return this.#writeRest(bytes, n);
      this.sendSince = 0;
    });
  }

  /** Writes the rest of `bytes` from `off`; the send timeout restarts with every piece taken. */
  async #writeRest(bytes: Uint8Array, off: number): Promise<void> {
    while (off < bytes.length) {
      this.sendSince = coarseNow();
      off += await this.conn.write(bytes.subarray(off));
    }
    this.sendSince = 0;
  }

  /**
   * Reads more bytes into the slot after `filled`, moving unparsed bytes to the front first
   * when the slot is full. Returns false at end of stream.
   */
  readMore(): Promise<boolean> {
    const u8 = this.wasm.u8;
    if (this.start === this.filled) {
      this.start = this.filled = 0;
      return this.conn.read(this.#slotView).then(this.#onRead);
    } else if (this.filled === this.cap && this.start > 0) {
      u8.copyWithin(this.base, this.base + this.start, this.base + this.filled);
      this.filled -= this.start;
      this.start = 0;
    }
    if (this.filled === this.cap) return TRUE; // nothing to read into: the parser decides
    return this.conn.read(u8.subarray(this.base + this.filled, this.base + this.cap))
      .then(this.#onRead);
  }

  readonly #onRead = (n: number | null): boolean => {
    if (n === null) return false;
    this.filled += n;
    return true;
  };

  /** Serves requests until the client or an error ends the connection. */
  async run(): Promise<void> {
    try {
      await this.#loop();
    } catch (err) {
      if (!isDisconnect(err)) console.error(`tuxd: connection error: ${err}`);
    } finally {
      if (!this.detached) await this.#lingeringClose();
      else this.closed = true;
    }
  }

  /**
   * Closes in stages (RFC 9112 §9.6): a half-close sends FIN after the last response, then
   * input is read and dropped until the client closes too, bounded in time and bytes. Closing
   * at once with unread input (a body past the discard limit, bytes pipelined after
   * `Connection: close`) makes the kernel send a reset, which can destroy the end of the last
   * response before the client has read it.
   */
  async #lingeringClose(): Promise<void> {
    if (this.closed) return;
    // The server's sweeper closes a connection left in this phase too long.
    this.phase = Phase.Closing;
    this.since = this.lingerSince = coarseNow();
    try {
      await this.conn.closeWrite();
      // The slot is this connection's until run() returns: a fine scratch buffer.
      let drained = 0;
      while (!this.closed && drained < LINGER_MAX) {
        const n = await this.conn.read(this.#slotView);
        if (n === null) break;
        drained += n;
        this.since = coarseNow();
      }
    } catch {
      // Reset by the client, or closed by the sweeper or the server shutting down.
    } finally {
      this.close();
    }
  }

  async #loop(): Promise<void> {
    const fn = this.wasm.fn;
    while (true) {
      if (this.start === this.filled) {
        // Everything so far is parsed: read a fresh head into the whole slot (inlined from
        // readMore: one await per read is measurable at 100k+ requests a second).
        this.start = 0;
        const n = await this.conn.read(this.#slotView);
        if (n === null) return;
        this.filled = n;
      } else if (!(await this.readMore())) return;
      if (this.phase === Phase.Idle && this.filled > this.start) this.#enter(Phase.Head);
      while (this.start < this.filled) {
        const head = this.base + this.start;
        const r = fn.parse(head, this.filled - this.start);
        if (r === abi.PARSE_INCOMPLETE) {
          if (this.start === 0 && this.filled === this.cap) {
            // The slot is full and the parser still wants more: the head is too large.
            return await this.#fatal(abi.PARSE_FIELDS_TOO_LARGE);
          }
          break;
        }
        if (r < 0) return await this.#fatal(r);
        // A fast-path answer is synchronous: no clock can look at the phase until the write,
        // which has its own (sendSince).
        if (this.site.fast(this, head, r)) {
          this.start += r;
          if (this.ending) return await this.flush();
        } else {
          this.#enter(Phase.Busy);
          this.start += r;
          if (!(await this.#slow(head, r))) return await this.flush();
        }
      }
      const q = this.#queue;
      if (q.length === 1) {
        // One response (no pipelining): written here, without the flush and write frames.
        const only = q[0];
        q.length = 0;
        this.#queued = 0;
        this.sendSince = coarseNow();
        const n = await this.conn.write(only);
        if (n < only.length) await this.#writeRest(only, n);
        this.sendSince = 0;
      } else await this.flush();
      // The idle and head clocks start once the responses are out, not while they are sent.
      this.#enter(this.start < this.filled ? Phase.Head : Phase.Idle);
    }
  }

  /** The slow path for one request; returns whether the connection may carry another. */
  async #slow(head: number, len: number): Promise<boolean> {
    const req = new Request(this.wasm, this.remoteAddr, head, len);
    const hasBody = req.contentLength > 0 || (req.flags & abi.F_CHUNKED) !== 0;
    if (hasBody) req.body = new BodyReader(this, req);
    const res = this.#res = new Responder(this, req);
    try {
      await this.site.handle(req, res);
    } finally {
      this.#res = null;
    }
    let keep = req.wantsKeepAlive && !res.closeAfter;
    if (keep && req.body && !req.body.done) {
      // The handler left (part of) the body unread: drop it to find the next request, within
      // a limit; past it (or on a bad body) the framing is abandoned with the connection. The
      // response goes first: the client need not finish sending to learn it.
      await this.flush();
      keep = await req.body.discard(this.limits.discardBodyMax);
    }
    return keep && !this.closed && !this.ending;
  }

  /** Answers a request the parser rejected, then closes: its framing cannot be trusted. */
  async #fatal(code: number): Promise<void> {
    this.push(errorResponse(this.wasm, -code, abi.CONN_CLOSE));
    await this.flush();
  }

  /** The body reader is about to wait for bytes, having received `received` so far. */
  enterBody(received: number): void {
    this.bodyBytes = received;
    this.bodyWaitStart = Date.now();
    this.phase = Phase.Body;
  }

  leaveBody(): void {
    this.bodyWaited += Date.now() - this.bodyWaitStart;
    this.phase = Phase.Busy;
  }

  /**
   * Whether the current request's response has begun (its head queued or sent). A body still
   * arriving then may be one a program reads while it answers, or one dropped after the answer.
   */
  get answered(): boolean {
    return this.#res === null || this.#res.sent;
  }

  /** Milliseconds spent waiting for the current request's body so far. */
  bodyWaitMs(now: number): number {
    return this.bodyWaited + (this.phase === Phase.Body ? now - this.bodyWaitStart : 0);
  }

  #enter(phase: Phase): void {
    this.bodyWaited = 0; // every transition here is a request boundary
    if (this.phase !== phase) {
      this.phase = phase;
      this.since = coarseNow();
    }
  }

  /** Sends a final response outside the loop (the sweeper's 408) and closes. */
  async abort(bytes: Uint8Array | null): Promise<void> {
    if (this.closed) return;
    try {
      if (bytes) await this.write(bytes);
    } catch {
      // The client is gone; closing is all that is left.
    }
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** Errors that only mean the peer went away. */
export function isDisconnect(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.NotConnected ||
    err instanceof Deno.errors.BadResource ||
    err instanceof Deno.errors.Interrupted ||
    (err instanceof Error && /os error (104|32)|Bad resource/.test(err.message));
}
