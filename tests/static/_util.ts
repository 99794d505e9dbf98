/**
 * Helpers for the static-file semantics tests (issue #4): temporary sites served by a real tuxd,
 * one-shot raw requests whose framing is checked byte for byte, multipart/byteranges parsing,
 * bounded tests and bounded subprocesses.
 */
import { startTuxd, type Tuxd } from "../_util/server.ts";
import { bytes, concat, str, type TempSite, tempSite } from "../server/_helpers.ts";

export { bytes, concat, str };

/** An HTTP response read off a socket that the server closed after it. */
export interface Res {
  status: number;
  /** Lower-case names; repeated fields joined with ", ". */
  headers: Map<string, string>;
  /** Field lines in order, names as sent. */
  fields: [string, string][];
  /** The head (status line and fields, latin1), without the final blank line. */
  head: string;
  body: Uint8Array;
  /** Everything the server sent on the connection. */
  raw: Uint8Array;
}

export type Fields = Record<string, string> | [string, string][];

export interface ReqOptions {
  /** Host field value (default "t"); null sends none. */
  host?: string | null;
  /** Request-target other than `path` (e.g. absolute-form); default `path`. */
  version?: string;
  timeoutMs?: number;
}

/** The request bytes: `METHOD path HTTP/1.1`, Host, fields, Connection: close. */
export function requestBytes(
  method: string,
  path: string,
  fields: Fields = {},
  opts: ReqOptions = {},
): Uint8Array {
  let s = `${method} ${path} ${opts.version ?? "HTTP/1.1"}\r\n`;
  if (opts.host !== null) s += `Host: ${opts.host ?? "t"}\r\n`;
  const list = Array.isArray(fields) ? fields : Object.entries(fields);
  for (const [n, v] of list) s += `${n}: ${v}\r\n`;
  s += "Connection: close\r\n\r\n";
  return bytes(s);
}

/** Splits a head (latin1) into status and fields. */
export function parseHead(head: string): Omit<Res, "body" | "raw" | "head"> {
  const lines = head.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(lines[0] + " ");
  if (!m) throw new Error(`malformed status line ${JSON.stringify(lines[0])}`);
  const fields: [string, string][] = [];
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`malformed field line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    fields.push([name, value]);
    const k = name.toLowerCase();
    headers.set(k, headers.has(k) ? `${headers.get(k)}, ${value}` : value);
  }
  return { status: Number(m[1]), headers, fields };
}

function indexOfSeq(b: Uint8Array, pat: Uint8Array, from = 0): number {
  outer: for (let i = from; i + pat.length <= b.length; i++) {
    for (let k = 0; k < pat.length; k++) if (b[i + k] !== pat[k]) continue outer;
    return i;
  }
  return -1;
}

const CRLFCRLF = bytes("\r\n\r\n");

/**
 * Sends one request with `Connection: close` over a fresh connection and reads until the server
 * closes. Throws unless exactly one response came and its body is exactly as long as it says:
 * Content-Length bytes for a response with a body, none at all after the head of a HEAD
 * response, a 304 or a 204.
 */
export async function request(
  port: number,
  method: string,
  path: string,
  fields: Fields = {},
  opts: ReqOptions = {},
): Promise<Res> {
  const req = requestBytes(method, path, fields, opts);
  return await exchange(port, req, method === "HEAD", opts.timeoutMs);
}

/** Like {@link request}, for request bytes made by the caller. */
export async function exchange(
  port: number,
  req: Uint8Array,
  isHead: boolean,
  timeoutMs = 5000,
): Promise<Res> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const parts: Uint8Array[] = [];
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // closed
    }
  }, timeoutMs);
  try {
    let w = req;
    while (w.length) w = w.subarray(await conn.write(w));
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (e) {
        if (timedOut || e instanceof Deno.errors.BadResource) break;
        if (e instanceof Deno.errors.ConnectionReset) break;
        throw e;
      }
      if (n === null) break;
      parts.push(buf.slice(0, n));
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
  const raw = concat(parts);
  const label = JSON.stringify(str(req).split("\r\n")[0]);
  if (timedOut) {
    throw new Error(`${label}: no close within ${timeoutMs} ms; got ${str(raw.subarray(0, 300))}`);
  }
  const he = indexOfSeq(raw, CRLFCRLF);
  if (he < 0) throw new Error(`${label}: no complete head in ${JSON.stringify(str(raw))}`);
  const head = str(raw.subarray(0, he));
  const parsed = parseHead(head);
  const rest = raw.subarray(he + 4);
  const noBody = isHead || parsed.status === 304 || parsed.status === 204 ||
    parsed.status < 200;
  if (noBody) {
    if (rest.length) {
      throw new Error(
        `${label}: ${rest.length} bytes after the head of a ${parsed.status}${
          isHead ? " to HEAD" : ""
        } (no body allowed): ${JSON.stringify(str(rest.subarray(0, 80)))}`,
      );
    }
  } else {
    const cl = parsed.headers.get("content-length");
    if (cl === undefined || !/^\d+$/.test(cl)) {
      throw new Error(`${label}: Content-Length ${JSON.stringify(cl)} in\n${head}`);
    }
    if (rest.length !== Number(cl)) {
      throw new Error(
        `${label}: Content-Length ${cl} but ${rest.length} body bytes were written\n${head}`,
      );
    }
  }
  return { ...parsed, head, body: noBody ? new Uint8Array(0) : rest, raw };
}

/** A part of a multipart/byteranges body. */
export interface Part {
  contentType: string | undefined;
  contentRange: string;
  start: number;
  end: number;
  size: number;
  bytes: Uint8Array;
}

/**
 * Parses a multipart/byteranges body strictly (RFC 9110 §14.6, RFC 2046 §5.1.1): delimiter,
 * part fields, exactly the bytes its Content-Range names, … close delimiter, nothing after.
 */
export function parseByteranges(contentType: string, body: Uint8Array): Part[] {
  const m = /^multipart\/byteranges;\s*boundary=("?)([^";]+)\1$/i.exec(contentType);
  if (!m) throw new Error(`not multipart/byteranges: ${contentType}`);
  const boundary = m[2];
  const parts: Part[] = [];
  let pos = 0;
  const expect = (s: string) => {
    const b = bytes(s);
    for (let i = 0; i < b.length; i++) {
      if (body[pos + i] !== b[i]) {
        throw new Error(
          `multipart: expected ${JSON.stringify(s)} at byte ${pos}, got ${
            JSON.stringify(str(body.subarray(pos, pos + b.length + 10)))
          }`,
        );
      }
    }
    pos += b.length;
  };
  for (;;) {
    // The first delimiter may go without its CRLF (empty preamble).
    if (parts.length > 0 || (body[0] === 13 && body[1] === 10)) expect("\r\n");
    expect(`--${boundary}`);
    if (body[pos] === 45 && body[pos + 1] === 45) {
      expect("--");
      // An epilogue of CRLF is fine; anything else is not.
      const rest = str(body.subarray(pos));
      if (rest !== "" && rest !== "\r\n") {
        throw new Error(`multipart: ${JSON.stringify(rest)} after the close delimiter`);
      }
      break;
    }
    expect("\r\n");
    const he = indexOfSeq(body, CRLFCRLF, pos);
    if (he < 0) throw new Error(`multipart: part head not terminated at byte ${pos}`);
    const { headers } = parseHead("HTTP/1.1 200 X\r\n" + str(body.subarray(pos, he)));
    pos = he + 4;
    const cr = headers.get("content-range") ?? "";
    const rm = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(cr);
    if (!rm) throw new Error(`multipart: part Content-Range ${JSON.stringify(cr)}`);
    const start = Number(rm[1]), end = Number(rm[2]), size = Number(rm[3]);
    const n = end - start + 1;
    if (pos + n > body.length) throw new Error(`multipart: part ${cr} cut short`);
    parts.push({
      contentType: headers.get("content-type"),
      contentRange: cr,
      start,
      end,
      size,
      bytes: body.slice(pos, pos + n),
    });
    pos += n;
  }
  return parts;
}

/** A temporary site served by tuxd (started with `args`). */
export interface Served {
  site: TempSite;
  srv: Tuxd;
  port: number;
  root: string;
}

/** Builds a site from `files`, lets `prepare` adjust it (mtimes, links), serves it, runs `fn`. */
export async function withSite(
  files: Record<string, string | Uint8Array>,
  args: string[],
  fn: (s: Served) => Promise<void>,
  prepare?: (root: string, dir: string) => Promise<void>,
): Promise<void> {
  const site = await tempSite(files);
  try {
    if (prepare) await prepare(site.root, site.dir);
    const srv = await startTuxd({ root: site.root, args });
    try {
      await fn({ site, srv, port: srv.port, root: site.root });
    } catch (e) {
      const err = srv.stderr();
      if (err.trim()) (e as Error).message += `\n--- tuxd stderr ---\n${err.slice(-4000)}`;
      throw e;
    } finally {
      await srv.stop();
    }
  } finally {
    await site.cleanup();
  }
}

/**
 * Registers a test that fails when it runs longer than `ms` (every socket and subprocess
 * below has its own, shorter limit; this is the backstop).
 */
export function boundedTest(
  name: string,
  ms: number,
  fn: (t: Deno.TestContext) => Promise<void>,
): void {
  Deno.test(name, async (t) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`test took longer than ${ms} ms`)), ms);
    });
    try {
      await Promise.race([fn(t), limit]);
    } finally {
      clearTimeout(timer);
    }
  });
}

/** Runs a program with a time limit; output captured. Throws if it cannot be found. */
export async function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
  opts: { cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string; timedOut: boolean }> {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, timeoutMs);
  try {
    const out = await new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: ac.signal,
    }).output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** SHA-256 as hex. */
export async function sha256(b: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return [...d].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** Whether two byte arrays are equal (fast path for large ones). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** A strong, quoted entity-tag (RFC 9110 §8.8.3). */
export const STRONG_ETAG = /^"[\x21\x23-\x7e]+"$/;

/** Sets a file's mtime (and atime) to `ms` since the epoch. */
export async function setMtime(path: string, ms: number): Promise<void> {
  await Deno.utime(path, ms / 1000, ms / 1000);
}

/** Compressible text of about `n` bytes (varied, so compression helps but is not trivial). */
export function textOf(n: number, seed = "line"): string {
  let s = "";
  for (let i = 0; s.length < n; i++) s += `${seed} ${i}: the quick brown fox ${i * 7919 % 1000}\n`;
  return s.slice(0, n);
}
