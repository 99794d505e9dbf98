// One TCP connection to the backend with a read buffer. At most one read is ever in flight,
// and it lands in the buffer whoever started it: the pool starts one on an idle connection to
// notice the backend closing it, and the next user of the connection simply inherits it.

const BUFFER = 64 * 1024;

export class BackendConn {
  readonly #conn: Deno.TcpConn;
  #buf = new Uint8Array(BUFFER);
  #start = 0;
  #end = 0;
  #pending: Promise<void> | null = null;
  /** The read error (a reset), if the last read failed. */
  #error: unknown = null;
  /** The backend ended its side (or the read failed). */
  eof = false;
  closed = false;
  /** Requests sent on this connection so far (a reused one may have been closed meanwhile). */
  uses = 0;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** The buffered, unconsumed bytes; valid until the next fill or consume. */
  view(): Uint8Array {
    return this.#buf.subarray(this.#start, this.#end);
  }

  consume(n: number): void {
    this.#start += n;
    if (this.#start === this.#end && this.#pending === null) this.#start = this.#end = 0;
  }

  /** Whether a read is in flight (the pool's watch, or an interrupted fill). */
  get reading(): boolean {
    return this.#pending !== null;
  }

  /**
   * Reads more into the buffer. Resolves false at end of stream; rethrows a read error.
   * Throws if the buffer is full of unconsumed bytes (the caller's limits prevent that).
   */
  async fill(): Promise<boolean> {
    if (this.#pending === null) {
      if (this.eof) return this.#ended();
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      if (this.#end === this.#buf.length) throw new Error("backend read buffer full");
      this.#pending = this.#read();
    }
    const before = this.#end;
    await this.#pending;
    if (this.#end > before) return true;
    return this.#ended();
  }

  /** Starts a read without waiting for it (the pool's idle watch); `done` runs when it ends. */
  watch(done: () => void): void {
    if (this.#pending === null && !this.eof) this.#pending = this.#read();
    (this.#pending ?? Promise.resolve()).then(done);
  }

  #ended(): boolean {
    if (this.#error !== null) throw this.#error;
    return false;
  }

  async #read(): Promise<void> {
    try {
      const n = await this.#conn.read(this.#buf.subarray(this.#end));
      if (n === null) this.eof = true;
      else this.#end += n;
    } catch (err) {
      this.#error = err;
      this.eof = true;
    } finally {
      this.#pending = null;
    }
  }

  /** Writes all of `bytes`, waiting for the socket to take them (backpressure). */
  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }

  /**
   * The raw socket and the buffered bytes, for a tunnel (101). No read may be in flight; the
   * connection object is spent afterwards.
   */
  detach(): { conn: Deno.TcpConn; buffered: Uint8Array } {
    if (this.#pending !== null) throw new Error("detach with a read in flight");
    const buffered = this.view().slice();
    this.#start = this.#end = 0;
    this.closed = true;
    return { conn: this.#conn, buffered };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}
