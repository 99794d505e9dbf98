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
  /** Field lines in order: [name as sent, value without surrounding OWS]. */
  readonly fields: [string, string][];
  /** Content-Length when F_CONTENT_LENGTH, else -1 (chunked or no body). */
  readonly contentLength: number;
  readonly remoteAddr: Deno.NetAddr;
  /** Internal redirects (a CGI Location with a local path) this request went through. */
  redirects = 0;
  /** The request body, when the request has one (Content-Length > 0 or chunked). */
  body: BodyReader | null = null;
  /** Per H_* id, the index of its first field line, or -1 (copied out of KNOWN). */
  private known: Int32Array;

  constructor(w: Wasm, remoteAddr: Deno.NetAddr) {
    const u8 = w.u8, i32 = w.i32;
    const r = (field: number) => i32[(abi.REQ + field) >> 2];
    this.methodId = r(abi.REQ_METHOD);
    this.method = METHOD_NAMES[this.methodId] ??
      latin1(u8, r(abi.REQ_METHOD_OFF), r(abi.REQ_METHOD_LEN));
    this.target = latin1(u8, r(abi.REQ_TARGET_OFF), r(abi.REQ_TARGET_LEN));
    this.rawPath = latin1(u8, r(abi.REQ_PATH_OFF), r(abi.REQ_PATH_LEN));
    this.pathHash = r(abi.REQ_PATH_HASH);
    const qlen = r(abi.REQ_QUERY_LEN);
    this.query = qlen < 0 ? null : latin1(u8, r(abi.REQ_QUERY_OFF), qlen);
    const alen = r(abi.REQ_AUTH_LEN);
    this.authority = alen > 0 ? latin1(u8, r(abi.REQ_AUTH_OFF), alen) : null;
    this.minor = r(abi.REQ_MINOR);
    this.flags = r(abi.REQ_FLAGS);
    const count = r(abi.REQ_FIELD_COUNT);
    this.fields = new Array(count);
    for (let n = 0; n < count; n++) {
      const e = (abi.FIELDS + n * abi.FIELD_SIZE) >> 2;
      this.fields[n] = [
        latin1(u8, i32[e + (abi.FIELD_NAME_OFF >> 2)], i32[e + (abi.FIELD_NAME_LEN >> 2)]),
        latin1(u8, i32[e + (abi.FIELD_VALUE_OFF >> 2)], i32[e + (abi.FIELD_VALUE_LEN >> 2)]),
      ];
    }
    this.known = i32.slice(abi.KNOWN >> 2, (abi.KNOWN >> 2) + abi.H_COUNT);
    this.contentLength = this.flags & abi.F_CONTENT_LENGTH
      ? r(abi.REQ_CL_HI) * 2 ** 32 + (r(abi.REQ_CL_LO) >>> 0)
      : -1;
    this.remoteAddr = remoteAddr;
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
    copy.redirects = this.redirects + 1;
    return copy;
  }

  /** The first value of a known header (H_* id), or null. */
  get(id: number): string | null {
    const n = this.known[id];
    return n < 0 ? null : this.fields[n][1];
  }

  /** Every value of a known header joined with ", " (RFC 9110 §5.3), or null. */
  getAll(id: number): string | null {
    const first = this.known[id];
    if (first < 0) return null;
    const name = this.fields[first][0].toLowerCase();
    const values: string[] = [];
    for (let n = first; n < this.fields.length; n++) {
      if (this.fields[n][0].toLowerCase() === name) values.push(this.fields[n][1]);
    }
    return values.join(", ");
  }

  /** Any header by name, case-insensitively; several lines are joined with ", ". */
  header(name: string): string | null {
    const lower = name.toLowerCase();
    const values: string[] = [];
    for (const [n, v] of this.fields) if (n.toLowerCase() === lower) values.push(v);
    return values.length ? values.join(", ") : null;
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
