// Noticing a client that goes away while the backend works on its request. Once the request
// body has been read (and when no next request is buffered already), tuxd reads the client's
// socket once, into the connection's own slot: a pipelined next request lands where the
// connection loop will parse it, and an end of stream means the client is gone, so the
// backend request is cancelled (as nginx does with proxy_ignore_client_abort off).
//
// A read cannot be withdrawn once started, and the connection loop must not read while it is
// in flight, so `settle` waits for it; meanwhile the connection counts as idle, so the idle
// timeout still ends a keep-alive connection that sends nothing more.

import { type Connection, Phase } from "../connection.ts";

export class ClientWatch {
  #reading: Promise<void> | null = null;
  #stopped = false;
  /** The client closed its connection (or it failed). */
  gone = false;

  constructor(private readonly c: Connection, private readonly onGone: () => void) {}

  /** Starts watching; the request body must have been read to its end. */
  start(): void {
    if (this.#reading || this.#stopped) return;
    this.#reading = this.#run();
  }

  async #run(): Promise<void> {
    const c = this.c;
    // Bytes of a next request already buffered: the client is there, and a read now could
    // wait for ever (a pipelining client waits for this response before sending more).
    if (this.#stopped || c.closed || c.start < c.filled) return;
    let more: boolean;
    try {
      more = await c.readMore();
    } catch {
      more = false;
    }
    // Bytes arrived: the next request waits in the slot for the connection loop. None: gone.
    if (!more) {
      this.gone = true;
      if (!this.#stopped) this.onGone();
    }
  }

  /**
   * Stops watching. With `keep` (the connection carries another request), waits for the
   * read in flight, as an idle connection; otherwise the connection is about to close, which
   * ends the read by itself.
   */
  async settle(keep: boolean): Promise<void> {
    this.#stopped = true;
    if (!this.#reading || !keep) return;
    const c = this.c;
    if (c.phase === Phase.Busy) {
      c.phase = c.start < c.filled ? Phase.Head : Phase.Idle;
      c.since = Date.now();
    }
    await this.#reading;
  }
}
