// Keep-alive connections to the backend (RFC 9112 §9.3), reused most-recently-idle first so
// that the rest age out. An idle connection keeps a read pending: the backend closing it (or
// sending anything unasked) is noticed at once and the connection leaves the pool.

import { BackendConn } from "./conn.ts";

export interface PoolOptions {
  hostname: string;
  port: number;
  /** Idle connections kept at most. */
  maxIdle?: number;
  /** An idle connection is closed after this long (ms). */
  idleMs?: number;
}

export class BackendPool {
  readonly hostname: string;
  readonly port: number;
  readonly #maxIdle: number;
  readonly #idleMs: number;
  /** Idle connections, most recently used last. */
  #idle: BackendConn[] = [];
  #timers = new Map<BackendConn, ReturnType<typeof setTimeout>>();
  #closed = false;
  /** Connections opened so far (for tests and the log). */
  opened = 0;

  constructor(opts: PoolOptions) {
    this.hostname = opts.hostname;
    this.port = opts.port;
    this.#maxIdle = opts.maxIdle ?? 32;
    this.#idleMs = opts.idleMs ?? 15_000;
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  /** An idle connection, or (with `fresh`, or when none is idle) a new one. */
  async acquire(fresh = false): Promise<BackendConn> {
    if (this.#closed) throw new Deno.errors.ConnectionRefused("backend pool closed");
    while (!fresh && this.#idle.length) {
      const c = this.#idle.pop()!;
      this.#forget(c);
      if (!c.closed && !c.eof) return c;
    }
    const conn = await Deno.connect({ hostname: this.hostname, port: this.port });
    try {
      conn.setNoDelay(true);
    } catch {
      // not fatal
    }
    this.opened++;
    const c = new BackendConn(conn);
    if (this.#closed) {
      c.close();
      throw new Deno.errors.ConnectionRefused("backend pool closed");
    }
    return c;
  }

  /**
   * Returns a connection whose last exchange ended cleanly at a message boundary. Anything
   * buffered past that boundary is a framing error on the backend's part: such a connection
   * is closed, not reused.
   */
  release(c: BackendConn): void {
    if (this.#closed || c.closed || c.eof || c.view().length > 0) return c.close();
    if (this.#idle.length >= this.#maxIdle) this.#idle.shift()!.close();
    this.#idle.push(c);
    c.watch(() => {
      // Whatever ended the read while idle (EOF, reset, stray bytes) spoils the connection.
      if (this.#idle.includes(c)) this.#drop(c);
    });
    const timer = setTimeout(() => this.#drop(c), this.#idleMs);
    Deno.unrefTimer(timer);
    this.#timers.set(c, timer);
  }

  #drop(c: BackendConn): void {
    const i = this.#idle.indexOf(c);
    if (i >= 0) this.#idle.splice(i, 1);
    this.#forget(c);
    c.close();
  }

  #forget(c: BackendConn): void {
    const t = this.#timers.get(c);
    if (t !== undefined) clearTimeout(t);
    this.#timers.delete(c);
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#idle.splice(0)) {
      this.#forget(c);
      c.close();
    }
  }
}
