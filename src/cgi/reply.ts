// From a running program's stdout to the client: the CGI head is parsed (bounded by
// --cgi-max-head), rebuilt as an HTTP/1.1 head in WASM, and the body streamed piece by piece
// with the socket's backpressure, never held whole (RFC 3875 §6). NPH output goes through
// as it is (§5). Whatever goes wrong before the head is sent becomes an error status; after
// it, only closing the connection can tell the client the body is incomplete.

import * as abi from "../abi.ts";
import { latin1Bytes } from "../bytes.ts";
import type { BodyError } from "../body.ts";
import type { Request } from "../request.ts";
import type { Responder } from "../respond.ts";
import {
  checkNphStatusLine,
  type HeadResult,
  parseCgiHead,
  passedFields,
  planResponse,
} from "./output.ts";
import type { CgiProcess } from "./spawn.ts";

const CHUNKED = latin1Bytes("chunked");
const EMPTY = new Uint8Array(0);
/** Bytes read from a program per read. */
const PIECE = 64 * 1024;

/**
 * A program's stdout read into one reused buffer (a BYOB reader): each piece is a view valid
 * until the next read, which the socket write has finished with by then. Memory stays the
 * same however much the program writes, instead of a fresh buffer per piece left to the GC.
 */
export class OutputReader {
  #reader: ReadableStreamBYOBReader;
  #buf: Uint8Array<ArrayBuffer> | null = new Uint8Array(PIECE);

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader({ mode: "byob" });
  }

  /** The next piece, or null at the end (or after `cancel`). */
  async read(): Promise<Uint8Array | null> {
    if (this.#buf === null) return null;
    const { value, done } = await this.#reader.read(this.#buf);
    if (done || !value) {
      this.#buf = null;
      return null;
    }
    this.#buf = new Uint8Array(value.buffer);
    return value;
  }

  /** Stops reading: a pending read ends as the end of output. */
  cancel(): void {
    this.#reader.cancel().catch(() => {});
  }
}

/** Why a run ended early; set by the timer, the client watch and the stdin pump. */
export interface RunState {
  timedOut: boolean;
  /** The client went away. */
  gone: boolean;
  /** Reading the request body failed (malformed, or the client stopped sending). */
  bodyError: BodyError | null;
}

export interface ReplyContext {
  req: Request;
  res: Responder;
  proc: CgiProcess;
  stdout: OutputReader;
  state: RunState;
  maxHead: number;
  nph: boolean;
}

/**
 * Answers the request from the program's output. Returns the target of a local redirect
 * (§6.2.2), which the caller serves once the program is done, or null.
 */
export async function reply(ctx: ReplyContext): Promise<string | null> {
  const { stdout, maxHead } = ctx;
  let buf: Uint8Array = EMPTY;
  let result: HeadResult = { kind: "incomplete" };
  let nphOk = false;
  while (true) {
    const value = await stdout.read();
    if (value === null) break;
    buf = join(buf, value);
    if (ctx.nph) {
      const line = checkNphStatusLine(buf);
      if (line !== "incomplete") {
        nphOk = line === "ok";
        if (!nphOk) {
          result = { kind: "bad", reason: "NPH output does not start with a status line" };
        }
        break;
      }
    } else {
      result = parseCgiHead(buf);
      if (result.kind === "head" && result.length > maxHead) {
        result = { kind: "bad", reason: `head longer than --cgi-max-head (${maxHead} bytes)` };
      }
      if (result.kind !== "incomplete") break;
    }
    if (buf.length > maxHead) {
      result = { kind: "bad", reason: `head longer than --cgi-max-head (${maxHead} bytes)` };
      break;
    }
  }
  if (ctx.nph && nphOk) {
    await passThrough(ctx, buf);
    return null;
  }
  if (result.kind === "incomplete") {
    result = { kind: "bad", reason: buf.length ? "output ends inside the head" : "no output" };
  }
  if (result.kind === "bad") {
    fail(ctx, result.reason);
    return null;
  }
  const head = result.head;
  const plan = planResponse(head, ctx.req.isHead);
  if (plan.kind === "local-redirect") {
    // §6.2.2: nothing but the Location is expected; the program has no more to say.
    ctx.proc.kill();
    return plan.target;
  }
  const { req, res } = ctx;
  let chunked = false;
  let headBytes: Uint8Array;
  try {
    const b = res.head.start(plan.status);
    if (head.contentType !== null) b.text(abi.R_CONTENT_TYPE, head.contentType);
    // §6.3.1: tuxd does not guess a missing type, nor lets the browser.
    else if (plan.body) b.nosniff();
    if (head.location !== null) b.text(abi.R_LOCATION, head.location);
    if (plan.length !== null) b.number(abi.R_CONTENT_LENGTH, plan.length);
    else if (plan.body) {
      // RFC 9112 §7.1 for a persistent HTTP/1.1 connection; otherwise the body ends with the
      // connection (§6.3 rule 8), the only framing an HTTP/1.0 client understands.
      if (req.minor >= 1 && req.wantsKeepAlive && !res.closeAfter) {
        chunked = true;
        b.field(abi.R_TRANSFER_ENCODING, CHUNKED);
      } else res.closeAfter = true;
    }
    b.rawText(passedFields(head));
    headBytes = b.end(res.connMode);
  } catch {
    fail(ctx, "response head does not fit");
    return null;
  }
  res.beginBody(headBytes, chunked);
  await streamBody(ctx, buf.subarray(result.length), plan.body, plan.length);
  return null;
}

/**
 * Sends the body that follows the head. A Content-Length from the program frames the
 * response but is not trusted: surplus output is cut off and the program killed, a shortfall
 * leaves the body short; both close the connection so the client sees the mismatch.
 */
async function streamBody(
  ctx: ReplyContext,
  first: Uint8Array,
  body: boolean,
  length: number | null,
): Promise<void> {
  const { res, proc, stdout } = ctx;
  let sent = 0;
  let surplus = false;
  const send = async (bytes: Uint8Array) => {
    if (!body) return; // HEAD, 204, 304: read and dropped (§4.3.3)
    if (length !== null && bytes.length > length - sent) {
      surplus = true;
      bytes = bytes.subarray(0, length - sent);
    }
    sent += bytes.length;
    if (bytes.length) await res.bodyChunk(bytes);
  };
  await send(first);
  while (!surplus) {
    const value = await stdout.read();
    if (value === null) break;
    await send(value);
  }
  if (surplus) {
    console.error(`tuxd: cgi ${proc.label}: more output than its Content-Length ${length}`);
    proc.kill();
    res.closeAfter = true;
    return;
  }
  if (proc.killed) {
    // Cut short (timeout, client gone): no last chunk, so the body cannot pass for whole.
    if (ctx.state.timedOut) console.error(`tuxd: cgi ${proc.label}: killed at the timeout`);
    res.closeAfter = true;
    return;
  }
  if (body && length !== null && sent < length) {
    console.error(`tuxd: cgi ${proc.label}: ${sent} bytes of its Content-Length ${length}`);
    res.closeAfter = true;
    return;
  }
  await res.endBody();
}

/** §5.2: an NPH program's output goes to the client unmodified, and ends the connection. */
async function passThrough(ctx: ReplyContext, first: Uint8Array): Promise<void> {
  const { res, stdout } = ctx;
  res.closeAfter = true;
  res.beginBody(EMPTY, false);
  let bytes: Uint8Array | null = first;
  while (bytes) {
    res.c.push(bytes);
    await res.c.flush();
    bytes = await stdout.read();
  }
}

/** No valid head: the status that says why, unless the client is gone. */
function fail(ctx: ReplyContext, reason: string): void {
  const { proc, res, state } = ctx;
  proc.kill();
  if (state.gone) {
    res.closeAfter = true;
  } else if (state.bodyError) {
    res.error(state.bodyError.status);
  } else if (state.timedOut) {
    console.error(`tuxd: cgi ${proc.label}: killed at the timeout, before its head`);
    res.error(504);
  } else {
    console.error(`tuxd: cgi ${proc.label}: invalid response (502): ${reason}`);
    res.error(502);
  }
}

/** A copy of `a` then `b` (`b` may be a reused buffer's view). */
function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
