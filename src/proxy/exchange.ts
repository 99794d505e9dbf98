// One request's trip through the backend: a pooled connection, the head, the body streamed
// alongside (backpressure both ways), the response head within the time limit, then the
// response relayed, or a tunnel after 101. Failures map to 502/504 before the response head
// and to a cut client connection after it: a truncated body must never look complete.

import * as abi from "../abi.ts";
import { BodyError, type BodyReader } from "../body.ts";
import { latin1Bytes } from "../bytes.ts";
import type { Request } from "../request.ts";
import type { Responder } from "../respond.ts";
import type { BackendConn } from "./conn.ts";
import { Deadline, TIMEOUT } from "./deadline.ts";
import type { BackendPool } from "./pool.ts";
import { clientFraming, clientHead, HeadTooLarge, interimHead, switchingHead } from "./relay.ts";
import {
  MalformedResponse,
  parseResponseHead,
  ResponseBody,
  type ResponseHead,
} from "./response.ts";
import { tunnel } from "./tunnel.ts";
import { ClientWatch } from "./watch.ts";

/** RFC 9110 §9.2.2: methods a client (and so tuxd) may repeat without changing the outcome. */
const IDEMPOTENT = new Set([
  abi.METHOD_GET,
  abi.METHOD_HEAD,
  abi.METHOD_PUT,
  abi.METHOD_DELETE,
  abi.METHOD_OPTIONS,
]);

/** How long a body waits for the backend's 100 Continue before it is sent anyway (§10.1.1). */
const CONTINUE_WAIT_MS = 1000;

const LAST_CHUNK = latin1Bytes("0\r\n\r\n");

export interface ExchangeContext {
  pool: BackendPool;
  /** --backend-timeout in ms. */
  timeoutMs: number;
  /** Writes an error-log line about this request. */
  log(req: Request, message: string): void;
  /** Registers a tunnel's closer while it runs (so the handler can end it on shutdown). */
  track(close: () => void): () => void;
}

export interface Outgoing {
  /** The request head for the backend (forward.ts). */
  head: Uint8Array;
  /** Re-chunk the request body towards the backend (the client sent it chunked). */
  chunked: boolean;
  /** The request asked for a protocol upgrade, and it was passed on. */
  upgrade: boolean;
}

/** Sends the request to the backend and answers the client; retries once when that is safe. */
export async function exchange(
  ctx: ExchangeContext,
  req: Request,
  res: Responder,
  out: Outgoing,
): Promise<void> {
  const deadline = new Deadline(ctx.timeoutMs);
  let current: Attempt | null = null;
  const watch = new ClientWatch(res.c, () => current?.clientGone());
  try {
    let fresh = false;
    while (true) {
      current = new Attempt(ctx, req, res, out, deadline, watch);
      if (!(await current.run(fresh)) || watch.gone) return;
      // RFC 9112 §9.3.1: a reused connection the backend had closed; the request may be
      // repeated (idempotent, nothing of it consumed) on a new one, once.
      fresh = true;
    }
  } finally {
    deadline.stop();
    const c = res.c;
    const keep = req.wantsKeepAlive && !res.closeAfter && !c.ending && !c.closed &&
      (req.body === null || req.body.done);
    await watch.settle(keep);
  }
}

class Attempt {
  #conn: BackendConn | null = null;
  #pump: Promise<void> | null = null;
  /** The whole request body reached the backend. */
  #sent = false;
  /** Set once the client is gone or the request failed on its side: stop quietly. */
  #aborted = false;
  /** The response is being relayed or done: late events must not start anything. */
  #finished = false;
  #continueTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ctx: ExchangeContext,
    private readonly req: Request,
    private readonly res: Responder,
    private readonly out: Outgoing,
    private readonly deadline: Deadline,
    private readonly watch: ClientWatch,
  ) {}

  /** One try; returns true when it should be repeated on a fresh connection. */
  async run(fresh: boolean): Promise<boolean> {
    let retry = false;
    try {
      retry = await this.#run(fresh);
    } finally {
      clearTimeout(this.#continueTimer);
      this.#finished = true;
      if (retry || this.#aborted) this.#conn?.close();
      // The body pump reads the client's socket: it must be done before the connection loop
      // reads again (a read cannot be withdrawn). Closing the backend side unblocks it.
      if (this.#pump && !this.#sent) this.#conn?.close();
      await this.#pump;
    }
    return retry;
  }

  async #run(fresh: boolean): Promise<boolean> {
    const { ctx, req, deadline } = this;
    const acquiring = ctx.pool.acquire(fresh);
    let got: BackendConn | typeof TIMEOUT;
    try {
      got = await deadline.race(acquiring);
    } catch (err) {
      return this.#fail(502, `cannot connect: ${message(err)}`);
    }
    if (got === TIMEOUT) {
      acquiring.then((c) => c.close(), () => {});
      return this.#fail(504, `no connection within ${ctx.timeoutMs / 1000}s`);
    }
    const conn = this.#conn = got;
    const reused = conn.uses++ > 0;
    // Safe to repeat only if nothing can have reached the backend's application and no byte
    // of the body has been taken from the client.
    const retryable = () =>
      reused && !fresh && IDEMPOTENT.has(req.methodId) &&
      (req.body === null || (this.#pump === null && req.body.received === 0));

    try {
      await conn.write(this.out.head);
    } catch (err) {
      if (retryable()) return true;
      return this.#fail(502, `cannot send the request: ${message(err)}`);
    }
    deadline.touch();
    const body = req.body;
    if (body) {
      if ((req.flags & abi.F_EXPECT_CONTINUE) && req.minor > 0) {
        // Let the backend decide first (RFC 9110 §10.1.1); its 100, or a quiet second,
        // starts the body, and reading it sends the client its own 100 Continue.
        this.#continueTimer = setTimeout(() => this.#startPump(body), CONTINUE_WAIT_MS);
      } else this.#startPump(body);
    } else if (!this.out.upgrade) this.watch.start();

    let head: ResponseHead;
    let interim = false;
    while (true) {
      const got = await this.#readHead();
      if (got === "eof") {
        if (this.#aborted) return false;
        if (!interim && retryable()) return true;
        return this.#fail(502, "connection closed without a response");
      }
      if (got === null) return false; // answered already
      if (got.status === 100) {
        if (body) this.#startPump(body);
        interim = true;
        continue;
      }
      if (got.status === 101) {
        if (!this.out.upgrade) return this.#fail(502, "101 to a request without Upgrade");
        await this.#switch(got);
        return false;
      }
      if (got.status < 200) {
        // RFC 9110 §15.2: forward 1xx (103 Early Hints, ...) but never to an HTTP/1.0 client.
        if (req.minor > 0) {
          this.res.c.push(interimHead(this.res, got));
          await this.res.c.flush();
        }
        interim = true;
        continue;
      }
      head = got;
      break;
    }
    clearTimeout(this.#continueTimer);
    deadline.stop();
    await this.#relay(head);
    return false;
  }

  /**
   * The next response head: a ResponseHead, "eof" when the backend ended (or reset) the
   * connection first, or null when the client has been answered with 502/504 already.
   */
  async #readHead(): Promise<ResponseHead | "eof" | null> {
    const conn = this.#conn!;
    while (true) {
      let head: ResponseHead | null;
      try {
        head = parseResponseHead(conn.view(), this.req.method);
      } catch (err) {
        this.#fail(502, `malformed response: ${message(err)}`);
        return null;
      }
      if (head) {
        conn.consume(head.length);
        return head;
      }
      let more: boolean | typeof TIMEOUT;
      try {
        more = await this.deadline.race(conn.fill());
      } catch (err) {
        if (this.#aborted) return "eof";
        if (conn.view().length > 0) {
          this.#fail(502, `connection failed inside the response head: ${message(err)}`);
          return null;
        }
        return "eof";
      }
      if (this.#aborted) return "eof";
      if (more === TIMEOUT) {
        this.#fail(504, `no response head within ${this.ctx.timeoutMs / 1000}s`);
        return null;
      }
      if (!more) {
        if (conn.view().length > 0) {
          this.#fail(502, "connection closed inside the response head");
          return null;
        }
        return "eof";
      }
    }
  }

  /** Passes the response on: tuxd's head, the backend's fields, the body as it comes. */
  async #relay(head: ResponseHead): Promise<void> {
    const { req, res } = this;
    const conn = this.#conn!;
    this.#finished = true;
    const framing = clientFraming(head, req.minor);
    let bytes: Uint8Array;
    try {
      bytes = clientHead(res, head, framing);
    } catch (err) {
      if (!(err instanceof HeadTooLarge)) throw err;
      this.#fail(502, err.message);
      return;
    }
    res.beginBody(bytes, framing.chunked);
    const body = new ResponseBody(conn, head.framing);
    while (true) {
      let piece: Uint8Array | null;
      try {
        piece = await body.read();
      } catch (err) {
        // The head promised a body that did not come: the client's connection ends, so it
        // cannot mistake what it got for the whole response (RFC 9112 §8).
        if (!this.#aborted) this.ctx.log(req, `response body cut short: ${message(err)}`);
        res.c.ending = true;
        conn.close();
        return;
      }
      if (piece === null) break;
      try {
        await res.bodyChunk(piece);
      } catch {
        this.clientGone();
        return;
      }
    }
    try {
      await res.endBody();
    } catch {
      this.clientGone();
      return;
    }
    // The connection carries another request only after a complete exchange both ways.
    const pumpDone = this.req.body === null || this.#sent;
    if (head.keepAlive && pumpDone && !this.#aborted) this.ctx.pool.release(conn);
    else conn.close();
  }

  /** 101: the client gets tuxd's 101 head, then both sockets are joined. */
  async #switch(head: ResponseHead): Promise<void> {
    const { res } = this;
    if (this.#pump) await this.#pump;
    if (this.#aborted || (this.req.body && !this.#sent)) {
      this.#conn!.close();
      return;
    }
    this.#finished = true;
    res.send(switchingHead(res, head));
    const backend = this.#conn!.detach();
    const client = await res.takeOver();
    const untrack = this.ctx.track(() => {
      for (const c of [client.conn, backend.conn]) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
    });
    try {
      await tunnel(client, backend);
    } finally {
      untrack();
    }
  }

  #startPump(body: BodyReader): void {
    clearTimeout(this.#continueTimer);
    if (this.#pump || this.#finished || this.#aborted) return;
    this.#pump = this.#sendBody(body);
  }

  /** Streams the request body to the backend, each piece written before the next is read. */
  async #sendBody(body: BodyReader): Promise<void> {
    const conn = this.#conn!;
    const chunked = this.out.chunked;
    while (true) {
      let piece: Uint8Array | null;
      try {
        piece = await body.read();
      } catch (err) {
        return this.#clientBodyFailed(err);
      }
      if (piece !== null && piece.length === 0) continue;
      try {
        if (piece === null) {
          if (chunked) await conn.write(LAST_CHUNK);
        } else await conn.write(chunked ? chunk(piece) : piece);
      } catch {
        // The backend stopped reading: it may have answered already (413, say); the response
        // reader finds out. Nothing more of the body is read from the client.
        return;
      }
      if (piece === null) break;
      this.deadline.touch();
    }
    this.#sent = true;
    if (!this.#finished && !this.out.upgrade) this.watch.start();
  }

  /** The client's body failed (malformed chunked, or the client left): the backend's request is cancelled. */
  #clientBodyFailed(err: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#conn?.close();
    const res = this.res;
    if (err instanceof BodyError) {
      if (!res.sent) res.error(err.status);
      res.c.ending = true;
    } else this.clientGone();
  }

  /** The client left: the backend's request is cancelled by closing its connection. */
  clientGone(): void {
    this.#aborted = true;
    this.res.c.ending = true;
    this.#conn?.close();
  }

  /** Answers the client with 502/504 (a short body) and logs why; returns false (no retry). */
  #fail(status: number, why: string): false {
    this.#conn?.close();
    if (this.#aborted) return false;
    this.ctx.log(this.req, `${status}: ${why}`);
    if (!this.res.sent) this.res.error(status);
    else this.res.c.ending = true;
    this.#aborted = true;
    return false;
  }
}

/** One chunk (RFC 9112 §7.1): size line, data, CRLF, in one buffer for one write. */
function chunk(piece: Uint8Array): Uint8Array {
  const size = latin1Bytes(piece.length.toString(16) + "\r\n");
  const out = new Uint8Array(size.length + piece.length + 2);
  out.set(size);
  out.set(piece, size.length);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}

function message(err: unknown): string {
  if (err instanceof MalformedResponse) return err.message;
  if (err instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (err instanceof Deno.errors.ConnectionReset) return "connection reset";
  return err instanceof Error ? err.message : String(err);
}
