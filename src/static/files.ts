// The static file handler: maps a request path to a file under the root, chooses its
// representation (content coding), evaluates preconditions and ranges, and answers from the
// object cache or by streaming the file.

import * as abi from "../abi.ts";
import { latin1, latin1Bytes, utf8 } from "../bytes.ts";
import type { Clock } from "../clock.ts";
import type { Connection } from "../connection.ts";
import type { ConnMode, HeadBuilder } from "../head.ts";
import { checkIfRange, CondFalse, evaluatePreconditions } from "../http/conditional.ts";
import { negotiateEncoding } from "../http/encoding.ts";
import { makeBoundary, planByteranges } from "../http/byteranges.ts";
import { contentRange, parseRange, unsatisfiedContentRange } from "../http/range.ts";
import type { Request } from "../request.ts";
import { LEAD_BYTES, type Responder } from "../respond.ts";
import type { Wasm } from "../wasm.ts";
import {
  CachedObject,
  INLINE_BODY_MAX,
  type ObjectCache,
  type Prebuilt,
  type Resource,
  type Variant,
} from "./cache.ts";
import { loadResource } from "./resource.ts";
import { encodePath, normalizePath } from "./path.ts";
import { resolveFile } from "./resolve.ts";
import { firstMatch, globToRegExp } from "./glob.ts";
import { LISTING_CSP, listingHtml, listingJson, readListing, wantsJson } from "./listing.ts";

export const ALLOW = "GET, HEAD, OPTIONS";
const ALLOW_BYTES = latin1Bytes(ALLOW);
const BYTES = latin1Bytes("bytes");
const VARY_AE = latin1Bytes("Accept-Encoding");
const EMPTY = new Uint8Array(0);
const NO_RANGE = { type: "none" } as const;
const VARY_ACCEPT = latin1Bytes("Accept");
const NO_CACHE = latin1Bytes("no-cache");
/** CORS for static reads (Fetch §3.2.3): any origin, and the fields range clients need. */
const CORS_LINES = "Access-Control-Allow-Origin: *\r\n" +
  "Access-Control-Expose-Headers: Content-Length, Content-Range, ETag, Accept-Ranges\r\n";

/** What follows a queued head: parts of one variant (one part for a 200), then a tail. */
interface BodyPlan {
  variant: Variant;
  parts: readonly { head: Uint8Array; start: number; end: number }[];
  tail: Uint8Array | null;
}

export interface StaticOptions {
  /** Real path of the document root. */
  root: string;
  cache: ObjectCache;
  clock: Clock;
  wasm: Wasm;
  head: HeadBuilder;
  /** Decline (rather than answer 404/405/501) what the backend should see. */
  decline?: boolean;
  /** List directories without index.html. */
  listing?: boolean;
  /** Status → path under the root of a page to send with that status. */
  errorPages?: ReadonlyMap<number, string>;
  /** Cache-Control values by glob on the path; first match wins. */
  cacheControl?: readonly [string, string][];
  /** Send Access-Control-Allow-Origin: * and answer CORS preflights. */
  cors?: boolean;
  /** Real paths of CGI directories: never served as files or listed (no source disclosure). */
  hidden?: readonly string[];
}

/** Queues a prebuilt 200 (its head alone for HEAD). */
function pushPrebuilt(c: Connection, p: Prebuilt, headOnly: boolean): void {
  if (headOnly) return c.push(p.bytes.subarray(0, p.headLength));
  c.push(p.bytes);
  if (p.body) c.push(p.body);
}

/** Whether the request (just parsed, still in WASM memory) may take the cache's fast path. */
const SLOW_FLAGS = abi.F_CONDITIONAL | abi.F_RANGE | abi.F_CHUNKED | abi.F_EXPECT_CONTINUE |
  abi.F_EXPECT_OTHER | abi.F_ABSOLUTE_FORM;

export class StaticFiles {
  readonly #root: string;
  readonly #cache: ObjectCache;
  readonly #clock: Clock;
  readonly #w: Wasm;
  readonly #head: HeadBuilder;
  readonly #decline: boolean;
  readonly #opts: StaticOptions;
  readonly #cacheRules: { re: RegExp; value: string }[];

  constructor(opts: StaticOptions) {
    this.#opts = opts;
    this.#decline = opts.decline ?? false;
    this.#cacheRules = (opts.cacheControl ?? []).map(([glob, value]) => ({
      re: globToRegExp(glob),
      value,
    }));
    this.#root = opts.root;
    this.#cache = opts.cache;
    this.#clock = opts.clock;
    this.#w = opts.wasm;
    this.#head = opts.head;
  }

  /**
   * The fast path: a GET or HEAD without preconditions, ranges or body whose raw path is a
   * fresh object-cache entry is answered with the precomputed response. Everything else
   * (including the first hit in each second, which rechecks the file) takes the slow path.
   */
  fast(c: Connection): boolean {
    const i32 = this.#w.i32;
    const method = i32[(abi.REQ + abi.REQ_METHOD) >> 2];
    if (method !== abi.METHOD_GET && method !== abi.METHOD_HEAD) return false;
    const flags = i32[(abi.REQ + abi.REQ_FLAGS) >> 2];
    if (flags & SLOW_FLAGS) return false;
    if (
      (flags & abi.F_CONTENT_LENGTH) &&
      (i32[(abi.REQ + abi.REQ_CL_LO) >> 2] | i32[(abi.REQ + abi.REQ_CL_HI) >> 2]) !== 0
    ) return false;
    const obj = this.#cache.find(
      i32[(abi.REQ + abi.REQ_PATH_HASH) >> 2],
      this.#w.u8,
      i32[(abi.REQ + abi.REQ_PATH_OFF) >> 2],
      i32[(abi.REQ + abi.REQ_PATH_LEN) >> 2],
    );
    const tick = this.#clock.tick;
    if (obj === null) return false;
    if (obj.checkedTick !== tick) {
      // The first hit of a new second rechecks the file on the slow path; hits that arrive
      // while that check is in flight are still answered from the object.
      if (obj.checkingTick !== tick) {
        obj.checkingTick = tick;
        return false;
      }
    }
    if ((flags & abi.F_ACCEPT_ENCODING) && obj.negotiable) return false;
    obj.usedTick = tick;
    // RFC 9112 §9.3: HTTP/1.1 persists unless closed; HTTP/1.0 only when asked to.
    const mode = flags & abi.F_CONN_CLOSE
      ? abi.CONN_CLOSE
      : i32[(abi.REQ + abi.REQ_MINOR) >> 2] > 0
      ? abi.CONN_DEFAULT
      : flags & abi.F_CONN_KEEP_ALIVE
      ? abi.CONN_KEEP_ALIVE
      : abi.CONN_CLOSE;
    pushPrebuilt(c, this.#prebuilt(obj, mode), method === abi.METHOD_HEAD);
    if (mode === abi.CONN_CLOSE) c.ending = true;
    return true;
  }

  /**
   * The slow path: GET, HEAD and OPTIONS to a static path, and their errors. With `decline`
   * set (a backend is configured), other methods and missing files are declined instead.
   */
  async handle(req: Request, res: Responder): Promise<boolean> {
    const tick = this.#clock.tick;
    await this.#handle(req, res);
    if (req.methodId === abi.METHOD_GET || req.methodId === abi.METHOD_HEAD) {
      this.#forgetUnchecked(req, tick);
    }
    return res.sent;
  }

  /**
   * A GET or HEAD whose raw path maps to a cached object always rechecks it on the slow path
   * (#resource). If it never got there (the file is gone, or is now a directory), the object
   * must go too, or the fast path would keep answering with it.
   */
  #forgetUnchecked(req: Request, tick: number): void {
    const key = latin1Bytes(req.rawPath);
    const obj = this.#cache.find(req.pathHash, key, 0, key.length);
    if (obj && obj.checkedTick < tick) this.#cache.remove(obj);
  }

  async #handle(req: Request, res: Responder): Promise<void> {
    if (req.flags & abi.F_ASTERISK_FORM) {
      if (req.methodId === abi.METHOD_OPTIONS) return this.#options(req, res);
      return res.error(400);
    }
    if (req.flags & abi.F_AUTHORITY_FORM) {
      return res.error(req.methodId === abi.METHOD_CONNECT ? 405 : 400, { allow: ALLOW });
    }
    if (req.flags & abi.F_EXPECT_OTHER) return res.error(417);
    const m = req.methodId;
    // CONNECT and TRACE are never forwarded or echoed (RFC 9110 §9.3.6, §9.3.8).
    if (m === abi.METHOD_CONNECT || m === abi.METHOD_TRACE) return res.error(405, { allow: ALLOW });
    if (m !== abi.METHOD_GET && m !== abi.METHOD_HEAD && m !== abi.METHOD_OPTIONS) {
      if (this.#decline) return;
      return await this.fail(req, res, m === abi.METHOD_OTHER ? 501 : 405);
    }
    // A client waiting for 100 Continue would wait for nothing: answer and close instead.
    if (req.body && (req.flags & abi.F_EXPECT_CONTINUE)) res.closeAfter = true;

    const norm = normalizePath(req.rawPath);
    if (!norm.ok) return norm.status === 404 ? await this.fail(req, res, 404) : res.error(400);
    const found = await resolveFile(this.#root, norm.path, this.#opts.hidden);
    if (found.kind === "missing") return this.#decline ? undefined : await this.fail(req, res, 404);
    // RFC 9110 §15.4.2: the slash spelling is the directory's URL, so relative links work.
    if (found.kind === "directory" && !norm.slash && norm.path !== "/") {
      return this.#redirect(res, encodePath(norm.path) + "/", req.query);
    }
    if (found.kind === "file" && norm.slash) return await this.fail(req, res, 404); // no file
    const file = found.kind === "directory" ? found.index : found;
    if (m === abi.METHOD_OPTIONS) return this.#options(req, res);
    if (file === null && found.kind === "directory" && this.#opts.listing) {
      return await this.#listing(req, res, norm.path, found.path);
    }
    if (file === null) return this.#decline ? undefined : await this.fail(req, res, 404);

    // Cache-Control globs see the path the client asked for, a directory as its index file.
    const urlPath = found.kind === "directory"
      ? norm.path.replace(/\/?$/, "/index.html")
      : norm.path;
    const { resource, obj } = await this.#resource(req, file.path, file.stat, urlPath);
    const plan = this.#respond(req, res, resource, obj);
    if (plan && !req.isHead) await this.#sendBody(res, plan);
  }

  /**
   * The cached object for a file reached as `urlPath`, checked against its stat, or a freshly
   * loaded resource. Objects are kept per file and per set of extra fields (which depend on
   * the URL path), so two URLs of one file with different Cache-Control never share one.
   */
  async #resource(
    req: Request | null,
    path: string,
    stat: Deno.FileInfo,
    urlPath: string,
  ): Promise<{ resource: Resource; obj: CachedObject | null }> {
    const tick = this.#clock.tick;
    const extra = this.#extraFields(urlPath);
    const id = extra.length ? `${path}\n${latin1(extra, 0, extra.length)}` : path;
    let obj = this.#cache.byId(id);
    if (
      obj && (obj.resource.size !== stat.size || obj.resource.mtimeMs !== stat.mtime?.getTime() ||
        obj.resource.ino !== stat.ino)
    ) {
      this.#cache.remove(obj);
      obj = null;
    }
    if (!obj) {
      const cacheable = this.#cache.admits(stat.size);
      const resource = await loadResource(this.#root, path, stat, cacheable);
      resource.extra = extra;
      if (!cacheable || resource.identity.bytes === null) return { resource, obj: null };
      obj = new CachedObject(resource, tick, id);
    }
    obj.checkedTick = tick;
    obj.usedTick = tick;
    if (req) this.#cache.put(req.pathHash, latin1Bytes(req.rawPath), obj, tick);
    return { resource: obj.resource, obj };
  }

  /**
   * Chooses the representation, then answers 304/412/416 outright, or queues the head of a
   * 200/206 and returns what its body is (RFC 9110 §13.2.2, §14).
   */
  #respond(req: Request, res: Responder, r: Resource, obj: CachedObject | null): BodyPlan | null {
    const v = this.#variant(req, r);
    const validators = { etag: v.etag, lastModifiedMs: r.mtimeMs };
    if (req.flags & abi.F_CONDITIONAL) {
      const pre = evaluatePreconditions(req.method, {
        ifMatch: req.getAll(abi.H_IF_MATCH),
        ifNoneMatch: req.getAll(abi.H_IF_NONE_MATCH),
        // All lines: two dates make no HTTP-date, and are ignored (RFC 9110 §13.1.3, §13.1.4).
        ifModifiedSince: req.getAll(abi.H_IF_MODIFIED_SINCE),
        ifUnmodifiedSince: req.getAll(abi.H_IF_UNMODIFIED_SINCE),
      }, validators);
      if (pre === 304) {
        res.send(this.#notModified(r, v, res.connMode));
        return null;
      }
      if (pre === 412) {
        res.error(412);
        return null;
      }
    }
    // Range applies to GET only (RFC 9110 §14.2); a false If-Range means the whole file.
    if ((req.flags & abi.F_RANGE) && req.methodId === abi.METHOD_GET && v.size > 0) {
      // A Last-Modified in the Date's second or later is weak (RFC 9110 §8.8.2.2).
      const ifRange = { ...validators, nowMs: this.#clock.seconds * 1000 };
      const range = checkIfRange(req.getAll(abi.H_IF_RANGE), ifRange) === CondFalse
        ? NO_RANGE
        : parseRange(req.getAll(abi.H_RANGE), v.size);
      if (range.type === "unsatisfiable") {
        const vary = r.codings.length ? "Vary: Accept-Encoding\r\n" : "";
        res.error(416, { raw: `Content-Range: ${unsatisfiedContentRange(v.size)}\r\n${vary}` });
        return null;
      }
      if (range.type === "ranges" && range.ranges.length === 1) {
        const { start, end } = range.ranges[0];
        res.send(this.#fileHead(206, r, v, res.connMode, end - start + 1, start));
        return { variant: v, parts: [{ head: EMPTY, start, end }], tail: null };
      }
      if (range.type === "ranges") {
        const plan = planByteranges(range.ranges, v.size, r.contentType, makeBoundary());
        res.send(this.#multipartHead(r, v, res.connMode, plan.contentType, plan.length));
        return { variant: v, parts: plan.parts, tail: plan.tail };
      }
    }
    if (obj && v.coding === null) {
      res.sent = true;
      pushPrebuilt(res.c, this.#prebuilt(obj, res.connMode), req.isHead);
      return null;
    }
    res.send(this.#fileHead(200, r, v, res.connMode));
    return { variant: v, parts: [{ head: EMPTY, start: 0, end: v.size - 1 }], tail: null };
  }

  /** Sends the body a head promised, part by part, from memory or from disk. */
  async #sendBody(res: Responder, plan: BodyPlan): Promise<void> {
    const v = plan.variant;
    if (v.bytes) {
      for (const part of plan.parts) {
        if (part.head.length) res.c.push(part.head);
        if (part.end >= part.start) res.c.push(v.bytes.subarray(part.start, part.end + 1));
      }
      if (plan.tail) res.c.push(plan.tail);
      return;
    }
    const file = await openOrNull(v.path);
    if (!file) {
      // Removed between stat and open: the head is out, so only closing keeps framing honest.
      res.c.ending = true;
      return;
    }
    try {
      for (const part of plan.parts) {
        if (part.head.length) res.c.push(part.head);
        await res.sendBody(file, part.start, part.end - part.start + 1);
        if (res.c.ending) return;
      }
      if (plan.tail) res.c.push(plan.tail);
    } finally {
      file.close();
    }
  }

  #variant(req: Request, r: Resource): Variant {
    if (r.codings.length === 0) return r.identity;
    const names = r.codings.map((v) => v.coding!);
    const chosen = negotiateEncoding(req.getAll(abi.H_ACCEPT_ENCODING), names);
    return r.codings.find((v) => v.coding === chosen) ?? r.identity;
  }

  /** The precomputed 200 for an object and Connection mode, rebuilt when the second changed. */
  #prebuilt(obj: CachedObject, mode: ConnMode): Prebuilt {
    const tick = this.#clock.tick;
    let p = obj.prebuilt[mode];
    if (p === undefined || p.tick !== tick) {
      const v = obj.resource.identity;
      const head = this.#fileHead(200, obj.resource, v, mode);
      if (v.size > INLINE_BODY_MAX) {
        const bytes = new Uint8Array(head.length + LEAD_BYTES);
        bytes.set(head);
        bytes.set(v.bytes!.subarray(0, LEAD_BYTES), head.length);
        p = { bytes, headLength: head.length, body: v.bytes!.subarray(LEAD_BYTES), tick };
      } else {
        const bytes = new Uint8Array(head.length + v.size);
        bytes.set(head);
        bytes.set(v.bytes!, head.length);
        p = { bytes, headLength: head.length, body: null, tick };
      }
      obj.prebuilt[mode] = p;
    }
    return p;
  }

  /** The head of a 200 or single-range 206 of variant `v`. */
  #fileHead(
    status: number,
    r: Resource,
    v: Variant,
    conn: ConnMode,
    length = v.size,
    start = 0,
  ): Uint8Array {
    const b = this.#head.start(status);
    b.text(abi.R_CONTENT_TYPE, r.contentType);
    b.number(abi.R_CONTENT_LENGTH, length);
    if (status === 206) {
      b.text(abi.R_CONTENT_RANGE, contentRange(start, start + length - 1, v.size));
    }
    this.#validatorFields(b, r, v);
    return b.end(conn);
  }

  #multipartHead(r: Resource, v: Variant, conn: ConnMode, type: string, length: number) {
    const b = this.#head.start(206);
    b.text(abi.R_CONTENT_TYPE, type);
    b.number(abi.R_CONTENT_LENGTH, length);
    this.#validatorFields(b, r, v);
    return b.end(conn);
  }

  /** ETag, Last-Modified, Accept-Ranges, Content-Encoding, Vary, nosniff. */
  #validatorFields(b: HeadBuilder, r: Resource, v: Variant): void {
    b.text(abi.R_ETAG, v.etag);
    b.date(abi.R_LAST_MODIFIED, this.#lastModified(r));
    b.field(abi.R_ACCEPT_RANGES, BYTES);
    if (v.coding) b.text(abi.R_CONTENT_ENCODING, v.coding);
    if (r.codings.length) b.field(abi.R_VARY, VARY_AE);
    b.nosniff();
    b.raw(r.extra);
  }

  /** The mtime, but never later than Date (RFC 9110 §8.8.2.1). */
  #lastModified(r: Resource): number {
    return Math.min(r.mtimeMs, this.#clock.seconds * 1000);
  }

  /** 304 carries what a 200 would of ETag, Vary and caching fields (RFC 9110 §15.4.5). */
  #notModified(r: Resource, v: Variant, conn: ConnMode): Uint8Array {
    const b = this.#head.start(304);
    b.text(abi.R_ETAG, v.etag);
    b.date(abi.R_LAST_MODIFIED, this.#lastModified(r));
    if (r.codings.length) b.field(abi.R_VARY, VARY_AE);
    b.raw(r.extra);
    return b.end(conn);
  }

  #redirect(res: Responder, location: string, query: string | null): void {
    const target = query === null ? location : `${location}?${query}`;
    const b = this.#head.start(301);
    const body = latin1Bytes(`301 Moved Permanently\n`);
    b.text(abi.R_LOCATION, target);
    b.text(abi.R_CONTENT_TYPE, "text/plain; charset=utf-8");
    b.number(abi.R_CONTENT_LENGTH, body.length);
    b.nosniff();
    res.send(b.end(res.connMode), body);
  }

  /** OPTIONS: the allowed methods, and with --cors the answer to a preflight (Fetch §3.2). */
  #options(req: Request, res: Responder): void {
    const b = this.#head.start(204);
    b.field(abi.R_ALLOW, ALLOW_BYTES);
    if (this.#opts.cors && req.get(abi.H_ORIGIN) !== null) {
      const headers = req.header("access-control-request-headers");
      b.rawText(
        "Access-Control-Allow-Origin: *\r\n" +
          `Access-Control-Allow-Methods: ${ALLOW}\r\n` +
          (headers && /^[\w\-, ]*$/.test(headers)
            ? `Access-Control-Allow-Headers: ${headers}\r\n`
            : "") +
          "Access-Control-Max-Age: 86400\r\n",
      );
    }
    res.send(b.end(res.connMode));
  }

  /** Cache-Control (by glob on the request path) and CORS fields. */
  #extraFields(urlPath: string): Uint8Array {
    let lines = "";
    const cc = firstMatch(this.#cacheRules, urlPath);
    if (cc) lines += `Cache-Control: ${cc}\r\n`;
    if (this.#opts.cors) lines += CORS_LINES;
    return lines ? latin1Bytes(lines) : EMPTY;
  }

  /**
   * An error response; with `--error-page STATUS=PATH` the page at PATH is its body (with
   * that status, no validators: it stands for no representation of the target).
   */
  async fail(req: Request, res: Responder, status: number): Promise<void> {
    const opts = { allow: status === 405 || status === 501 ? ALLOW : undefined };
    const page = this.#opts.errorPages?.get(status);
    if (page === undefined) return res.error(status, opts);
    const norm = normalizePath(page);
    const found = norm.ok ? await resolveFile(this.#root, norm.path, this.#opts.hidden) : null;
    const file = found?.kind === "file" ? found : found?.kind === "directory" ? found.index : null;
    if (!file) return res.error(status, opts);
    const { resource } = await this.#resource(
      null,
      file.path,
      file.stat,
      norm.ok ? norm.path : page,
    );
    const b = this.#head.start(status);
    b.text(abi.R_CONTENT_TYPE, resource.contentType);
    b.number(abi.R_CONTENT_LENGTH, resource.size);
    if (opts.allow) b.field(abi.R_ALLOW, ALLOW_BYTES);
    b.nosniff();
    if (this.#opts.cors) b.rawText(CORS_LINES);
    if (status >= 500) res.closeAfter = true;
    const head = b.end(res.connMode);
    const v = resource.identity;
    res.send(head);
    if (req.isHead) return;
    await this.#sendBody(res, {
      variant: v,
      parts: [{ head: EMPTY, start: 0, end: v.size - 1 }],
      tail: null,
    });
  }

  /** A directory listing: JSON when the client prefers it, else HTML (RFC 9110 §12.5.1). */
  async #listing(req: Request, res: Responder, urlPath: string, dir: string): Promise<void> {
    let entries;
    try {
      entries = await readListing(this.#root, dir, this.#opts.hidden);
    } catch {
      return await this.fail(req, res, 404);
    }
    const path = urlPath.endsWith("/") ? urlPath : urlPath + "/";
    // A listing has no validators, but If-Match and If-None-Match: * still say whether a
    // current representation exists (RFC 9110 §13.1.1, §13.1.2).
    if (req.flags & abi.F_CONDITIONAL) {
      const pre = evaluatePreconditions(req.method, {
        ifMatch: req.getAll(abi.H_IF_MATCH),
        ifNoneMatch: req.getAll(abi.H_IF_NONE_MATCH),
      }, { etag: "", lastModifiedMs: NaN });
      if (pre === 412) return res.error(412);
      if (pre === 304) {
        const b = this.#head.start(304);
        b.field(abi.R_VARY, VARY_ACCEPT);
        b.field(abi.R_CACHE_CONTROL, NO_CACHE);
        return res.send(b.end(res.connMode));
      }
    }
    const json = wantsJson(req.get(abi.H_ACCEPT));
    const body = utf8(json ? listingJson(path, entries) : listingHtml(path, entries));
    const b = this.#head.start(200);
    b.text(
      abi.R_CONTENT_TYPE,
      json ? "application/json; charset=utf-8" : "text/html; charset=utf-8",
    );
    b.number(abi.R_CONTENT_LENGTH, body.length);
    b.field(abi.R_VARY, VARY_ACCEPT);
    b.field(abi.R_CACHE_CONTROL, NO_CACHE);
    b.nosniff();
    b.rawText(`Content-Security-Policy: ${LISTING_CSP}\r\n`);
    if (this.#opts.cors) b.rawText(CORS_LINES);
    res.send(b.end(res.connMode), body);
  }
}

async function openOrNull(path: string): Promise<Deno.FsFile | null> {
  try {
    return await Deno.open(path, { read: true });
  } catch {
    return null;
  }
}
