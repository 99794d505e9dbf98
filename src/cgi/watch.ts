// Noticing a client that goes away while a CGI program runs, so the program is killed
// (RFC 3875 §3.4: the server may terminate a script on a transport failure) rather than left
// to run to its timeout. Writing notices only when there is output; a program that thinks
// in silence is noticed by reading: once the request body has been read, the socket is read
// on into the connection's own slot, where a pipelined next request is kept for the
// connection loop, and an end of stream means the client is gone (nginx does the same). One
// read only: once the client has sent more, it is there, and reading on could wait for ever
// for bytes beyond a pipelined request the client waits to have answered.
//
// A socket read cannot be withdrawn once started, and the connection loop must not read
// while one is in flight, so `settle` waits for it, the connection counted as idle so that
// the idle timeout still applies. One watch per connection: an internal redirect to another
// CGI program joins the watch already reading instead of starting a second read.

import { type Connection, Phase } from "../connection.ts";

const watches = new WeakMap<Connection, ClientWatch>();

export class ClientWatch {
  #reading: Promise<void> | null = null;
  #listeners = new Set<() => void>();
  /** The client closed its connection (or the connection failed). */
  gone = false;

  private constructor(private readonly c: Connection) {}

  /** The connection's watch, made on first use. */
  static of(c: Connection): ClientWatch {
    let w = watches.get(c);
    if (!w) {
      w = new ClientWatch(c);
      watches.set(c, w);
    }
    return w;
  }

  /** Settles the connection's watch, if a request started one (see `settle`). */
  static async settle(c: Connection, keep: boolean): Promise<void> {
    await watches.get(c)?.settle(keep);
  }

  /** Calls `fn` once when the client is gone (at once if it is); returns an unsubscribe. */
  listen(fn: () => void): () => void {
    if (this.gone) {
      fn();
      return () => {};
    }
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Starts reading (once); the request body must have been read to its end. */
  start(): void {
    this.#reading ??= this.#run();
  }

  async #run(): Promise<void> {
    const c = this.c;
    // Bytes already waiting, or no room for more: the client is still there, and a read
    // would only wait for bytes beyond a next request it may be waiting to have answered.
    if (c.closed || c.start < c.filled) return;
    let more: boolean;
    try {
      more = await c.readMore();
    } catch {
      more = false;
    }
    // One read only: after a pipelined request, reading on could wait for ever.
    if (more) return;
    this.gone = true;
    for (const fn of this.#listeners) fn();
    this.#listeners.clear();
  }

  /**
   * Ends the watch when the request is done. With `keep` (the connection carries another
   * request) the read in flight is awaited with the connection idle; otherwise the
   * connection is closing, which ends the read by itself.
   */
  async settle(keep: boolean): Promise<void> {
    watches.delete(this.c);
    this.#listeners.clear();
    if (!this.#reading || !keep || this.gone) return;
    const c = this.c;
    // What handlers queued (a redirect target's response) goes out before the wait.
    await c.flush();
    c.phase = c.start < c.filled ? Phase.Head : Phase.Idle;
    c.since = Date.now();
    await this.#reading;
  }
}
