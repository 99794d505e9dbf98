// A parsed request as handlers see it: copied out of WASM memory (latin1, byte for byte) so it
// stays valid while the connection reads on. Only requests that miss the object cache's fast
// path pay for this copy.

import * as abi from "./abi.ts";
import { fnv1a, latin1 } from "./bytes.ts";
import type { BodyReader } from "./body.ts";
import type { Wasm } from "./wasm.ts";

export const METHOD_NAMES: Readonly<Record<number, string>> = {
  [abi.METHOD_GET]: "GET",
  [abi.METHOD_HEAD]: "HEAD",
  [abi.METHOD_POST]: "POST",
  [abi.METHOD_PUT]: "PUT",
  [abi.METHOD_DELETE]: "DELETE",
  [abi.METHOD_OPTIONS]: "OPTIONS",
  [abi.METHOD_PATCH]: "PATCH",
  [abi.METHOD_CONNECT]: "CONNECT",
  [abi.METHOD_TRACE]: "TRACE",
};

export class Request {
  /** METHOD_* id and the method as sent (case-sensitive, RFC 9110 §9.1). */
  readonly methodId: number;
  readonly method: string;
  /** The request-target as sent. */
  readonly target: string;
  /** The path part of the target, still percent-encoded. */
  readonly rawPath: string;
  /** FNV-1a of the raw path bytes, as the object cache keys them. */
  readonly pathHash: number;
  /** The query without '?', or null when there is none. */
  readonly query: string | null;
  /** The authority of an absolute-form target, which overrides Host (RFC 9112 §3.2.2). */
  readonly authority: string | null;
  readonly minor: number;
  readonly flags: number;
  /** Content-Length when F_CONTENT_LENGTH, else -1 (chunked or no body). */
  readonly contentLength: number;
  readonly remoteAddr: Deno.NetAddr;
  /** Internal redirects (a CGI Location with a local path) this request went through. */
  redirects = 0;
  /** The request body, when the request has one (Content-Length > 0 or chunked). */
  body: BodyReader | null = null;
  /**
   * The head as one latin1 string: the slot is reused as soon as the connection reads on, and
   * one string (sliced on demand) is far cheaper to keep than typed-array copies.
   */
  private head: string;
  /** The field table: FIELD_SIZE/4 numbers per line, offsets relative to the head. */
  private table: number[];
  /** Per H_* id, the index of its first field line, or -1 (copied out of KNOWN). */
  private known: number[];
  private decoded: [string, string][] | null = null;

  /** Copies the request `parse` just framed at WASM offset `head` (`len` bytes). */
  constructor(w: Wasm, remoteAddr: Deno.NetAddr, head: number, len: number) {
    const i32 = w.i32;
    const r = (field: number) => i32[(abi.REQ + field) >> 2];
    this.head = latin1(w.u8, head, len);
    const count = r(abi.REQ_FIELD_COUNT);
    const stride = abi.FIELD_SIZE >> 2;
    const t = abi.FIELDS >> 2;
    const table: number[] = new Array(count * stride);
    for (let n = 0; n < count * stride; n += stride) {
      table[n] = i32[t + n] - head; // name offset
      table[n + 1] = i32[t + n + 1];
      table[n + 2] = i32[t + n + 2] - head; // value offset
      table[n + 3] = i32[t + n + 3];
      table[n + 4] = i32[t + n + 4];
    }
    this.table = table;
    const known: number[] = new Array(abi.H_COUNT);
    for (let k = 0; k < abi.H_COUNT; k++) known[k] = i32[(abi.KNOWN >> 2) + k];
    this.known = known;
    this.#at = head;
    this.methodId = r(abi.REQ_METHOD);
    this.method = METHOD_NAMES[this.methodId] ??
      this.text(r(abi.REQ_METHOD_OFF), r(abi.REQ_METHOD_LEN));
    this.target = this.text(r(abi.REQ_TARGET_OFF), r(abi.REQ_TARGET_LEN));
    this.rawPath = this.text(r(abi.REQ_PATH_OFF), r(abi.REQ_PATH_LEN));
    this.pathHash = r(abi.REQ_PATH_HASH);
    const qlen = r(abi.REQ_QUERY_LEN);
    this.query = qlen < 0 ? null : this.text(r(abi.REQ_QUERY_OFF), qlen);
    const alen = r(abi.REQ_AUTH_LEN);
    this.authority = alen > 0 ? this.text(r(abi.REQ_AUTH_OFF), alen) : null;
    this.minor = r(abi.REQ_MINOR);
    this.flags = r(abi.REQ_FLAGS);
    this.contentLength = this.flags & abi.F_CONTENT_LENGTH
      ? r(abi.REQ_CL_HI) * 2 ** 32 + (r(abi.REQ_CL_LO) >>> 0)
      : -1;
    this.remoteAddr = remoteAddr;
  }

  #at = 0;

  /** Text of the head by absolute WASM offset (only while constructing). */
  private text(off: number, len: number): string {
    return this.head.substring(off - this.#at, off - this.#at + len);
  }

  /** Text of the head by offset relative to it. */
  private slice(off: number, len: number): string {
    return this.head.substring(off, off + len);
  }

  private value(n: number): string {
    const e = n * (abi.FIELD_SIZE >> 2);
    return this.slice(
      this.table[e + (abi.FIELD_VALUE_OFF >> 2)],
      this.table[e + (abi.FIELD_VALUE_LEN >> 2)],
    );
  }

  private nameIs(n: number, lower: string): boolean {
    const e = n * (abi.FIELD_SIZE >> 2);
    const len = this.table[e + (abi.FIELD_NAME_LEN >> 2)];
    if (len !== lower.length) return false;
    const off = this.table[e + (abi.FIELD_NAME_OFF >> 2)];
    for (let i = 0; i < len; i++) {
      const c = this.head.charCodeAt(off + i);
      if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
    }
    return true;
  }

  /** Field lines in order: [name as sent, value without surrounding OWS]; decoded on demand. */
  get fields(): [string, string][] {
    if (this.decoded === null) {
      const count = this.table.length / (abi.FIELD_SIZE >> 2);
      const out: [string, string][] = new Array(count);
      for (let n = 0; n < count; n++) {
        const e = n * (abi.FIELD_SIZE >> 2);
        out[n] = [
          this.slice(
            this.table[e + (abi.FIELD_NAME_OFF >> 2)],
            this.table[e + (abi.FIELD_NAME_LEN >> 2)],
          ),
          this.value(n),
        ];
      }
      this.decoded = out;
    }
    return this.decoded;
  }

  /**
   * A GET for `target` (origin-form) carrying this request's fields, for a CGI program's
   * local-path Location (RFC 3875 §6.2.2): served as if the client had asked for it.
   */
  redirected(target: string): Request {
    const copy = Object.create(Request.prototype) as Request;
    Object.assign(copy, this);
    const q = target.indexOf("?");
    const self = copy as unknown as Record<string, unknown>;
    self.methodId = abi.METHOD_GET;
    self.method = "GET";
    self.target = target;
    self.rawPath = q < 0 ? target : target.slice(0, q);
    self.query = q < 0 ? null : target.slice(q + 1);
    self.pathHash = fnv1a(self.rawPath as string);
    self.flags = this.flags & ~(abi.F_CONTENT_LENGTH | abi.F_CHUNKED | abi.F_CONDITIONAL |
      abi.F_RANGE | abi.F_EXPECT_CONTINUE | abi.F_ABSOLUTE_FORM);
    self.contentLength = -1;
    copy.body = null;
    copy.decoded = this.decoded;
    copy.redirects = this.redirects + 1;
    return copy;
  }

  /** The first value of a known header (H_* id), or null. */
  get(id: number): string | null {
    const n = this.known[id];
    return n < 0 ? null : this.value(n);
  }

  /** Every value of a known header joined with ", " (RFC 9110 §5.3), or null. */
  getAll(id: number): string | null {
    const first = this.known[id];
    if (first < 0) return null;
    const count = this.table.length / (abi.FIELD_SIZE >> 2);
    const e = first * (abi.FIELD_SIZE >> 2);
    const id0 = this.table[e + (abi.FIELD_ID >> 2)];
    let out = this.value(first);
    for (let n = first + 1; n < count; n++) {
      if (this.table[n * (abi.FIELD_SIZE >> 2) + (abi.FIELD_ID >> 2)] === id0) {
        out += ", " + this.value(n);
      }
    }
    return out;
  }

  /** Any header by name, case-insensitively; several lines are joined with ", ". */
  header(name: string): string | null {
    const lower = name.toLowerCase();
    const count = this.table.length / (abi.FIELD_SIZE >> 2);
    let out: string | null = null;
    for (let n = 0; n < count; n++) {
      if (this.nameIs(n, lower)) out = out === null ? this.value(n) : out + ", " + this.value(n);
    }
    return out;
  }

  get isHead(): boolean {
    return this.methodId === abi.METHOD_HEAD;
  }

  /** Whether the request asks for the connection to persist (RFC 9112 §9.3). */
  get wantsKeepAlive(): boolean {
    if (this.flags & abi.F_CONN_CLOSE) return false;
    return this.minor > 0 || (this.flags & abi.F_CONN_KEEP_ALIVE) !== 0;
  }

  /** Host without port, lower-cased: from an absolute-form target, else the Host field. */
  get hostname(): string {
    const host = this.authority ?? this.get(abi.H_HOST) ?? "";
    const m = /^(\[[^\]]*\]|[^:]*)/.exec(host);
    return (m ? m[1] : host).toLowerCase();
  }
}
