// The backend's response on its way to the client: tuxd writes its own head (status line,
// Date, Server, Connection) and passes the backend's other fields through in order; the body
// keeps a known length, and is otherwise chunked for HTTP/1.1 clients or ended by closing
// for HTTP/1.0 ones (RFC 9112 §6.3, §7).

import * as abi from "../abi.ts";
import type { Responder } from "../respond.ts";
import { hopByHop } from "./hop.ts";
import type { ResponseHead } from "./response.ts";

/** Backend field lines passed on at most (the head tuxd writes must fit WASM's 16 KiB OUT). */
export const MAX_PASSED_FIELDS = 12 * 1024;

/** Fields tuxd writes itself (RFC 9110 §6.6.1 Date, §10.2.4 Server) or reframes. */
const OWN = new Set(["date", "server", "content-length"]);

/** The head is too large to pass on. */
export class HeadTooLarge extends Error {}

/**
 * The backend's field lines to pass on ("Name: value\r\n" each): everything but hop-by-hop
 * fields and the ones tuxd writes itself; for a 101, Upgrade stays (RFC 9110 §7.8).
 */
export function passedFields(head: ResponseHead): string {
  const drop = hopByHop(head.fields, head.status === 101 ? ["upgrade"] : []);
  let out = "";
  for (const [name, value] of head.fields) {
    const lower = name.toLowerCase();
    if (drop.has(lower) || OWN.has(lower)) continue;
    out += `${name}: ${value}\r\n`;
  }
  if (out.length > MAX_PASSED_FIELDS) throw new HeadTooLarge("response fields too large");
  return out;
}

/** How the body goes to the client. */
export interface ClientFraming {
  /** Extra field lines: Content-Length or Transfer-Encoding. */
  lines: string;
  /** Chunk the pieces (RFC 9112 §7.1). */
  chunked: boolean;
  /** The connection must close after the body: its end is the end of the response. */
  closeAfter: boolean;
}

/** RFC 9112 §6.3: the framing of the response to the client, from the backend's. */
export function clientFraming(head: ResponseHead, clientMinor: number): ClientFraming {
  const f = head.framing;
  if (f.kind === "length") {
    return { lines: `Content-Length: ${f.length}\r\n`, chunked: false, closeAfter: false };
  }
  if (f.kind === "none") {
    // A HEAD or 304 response may carry the length the full response would have (RFC 9110
    // §8.6); a 1xx or 204 must not (same section).
    const cl = head.fields.find(([n]) => n.toLowerCase() === "content-length");
    const keep = cl && head.status !== 204 && head.status >= 200;
    const value = keep ? cl[1].split(",")[0].trim() : "";
    return { lines: keep ? `Content-Length: ${value}\r\n` : "", chunked: false, closeAfter: false };
  }
  // Chunked or close-delimited from the backend: the length is not known in advance.
  if (clientMinor > 0) {
    return { lines: "Transfer-Encoding: chunked\r\n", chunked: true, closeAfter: false };
  }
  return { lines: "", chunked: false, closeAfter: true };
}

/** Builds the head for the client; throws HeadTooLarge when it does not fit. */
export function clientHead(res: Responder, head: ResponseHead, framing: ClientFraming): Uint8Array {
  if (framing.closeAfter) res.closeAfter = true;
  const lines = passedFields(head) + framing.lines;
  try {
    return res.head.start(head.status).rawText(lines).end(res.connMode);
  } catch {
    throw new HeadTooLarge("response head too large");
  }
}

/** The head of an interim (1xx) response, forwarded as RFC 9110 §15.2 asks of a proxy. */
export function interimHead(res: Responder, head: ResponseHead): Uint8Array {
  return res.head.start(head.status).rawText(passedFields(head)).end(abi.CONN_DEFAULT);
}

/** The head of a 101 that hands the connection over (RFC 9110 §15.2.2). */
export function switchingHead(res: Responder, head: ResponseHead): Uint8Array {
  return res.head.start(101).rawText(passedFields(head)).end(abi.CONN_UPGRADE);
}
