/**
 * Test helpers: start tuxd exactly as `deno task start` does, talk raw bytes to it, and parse
 * HTTP/1.1 responses strictly.
 *
 * ```ts
 * const srv = await startTuxd({ root: "examples/site" });
 * try {
 *   const res = await fetch(new URL("/data.json", srv.url));
 *   const raw = await rawRequest(srv.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
 *   const [r] = parseResponses(raw);
 * } finally {
 *   await srv.stop();
 * }
 * ```
 */

/** Absolute path of the repository root (the directory holding deno.json). */
export const REPO_ROOT: string = decodeURIComponent(new URL("../../", import.meta.url).pathname)
  .replace(/\/$/, "");

/** The exact start command of `deno task start` (see deno.json), without the trailing args. */
export const START_ARGS: readonly string[] = [
  "run",
  "--allow-read=.",
  "--allow-run=deno",
  "src/launch.ts",
];

const LISTEN_RE = /^tuxd listening on (http:\/\/(\[[^\]]+\]|[^\/:]+):(\d+)\/) \(root (.*)\)$/;

export interface StartOptions {
  /** Root directory to serve (relative to the repository root, or absolute). Omitted: default. */
  root?: string;
  /** Extra command-line arguments, appended after `ROOT --port 0`. */
  args?: string[];
  /** Extra environment variables (merged into the current environment). */
  env?: Record<string, string>;
  /** How long to wait for the listening line (default 10 000 ms). */
  readyTimeoutMs?: number;
}

export interface Tuxd {
  /** `http://H:P/` exactly as printed in the listening line. */
  url: string;
  port: number;
  /** Host as printed (IPv6 hosts keep their brackets). */
  host: string;
  /** Root as printed in the listening line. */
  root: string;
  /** The launcher's process id (it is also the id of its process group). */
  pid: number;
  /** SIGTERM, wait up to 5 s, then SIGKILL. Resolves with the launcher's exit status. */
  stop(): Promise<Deno.CommandStatus>;
  /** Everything the launcher (and its server child) wrote to stderr so far. */
  stderr(): string;
  /** Everything written to stdout so far (including the listening line). */
  stdout(): string;
  /** Resolves when the launcher exits (for whatever reason). */
  exited: Promise<Deno.CommandStatus>;
}

const MAX_CAPTURE = 1 << 20;

function capture() {
  let text = "";
  return {
    add(s: string) {
      text += s;
      if (text.length > MAX_CAPTURE) text = text.slice(text.length - MAX_CAPTURE);
    },
    get: () => text,
  };
}

function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let id: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => {
    id = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(id) };
}

function killGroup(pid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pid, signal);
    return true;
  } catch {
    return false; // no such process group (every member already gone)
  }
}

/**
 * Spawn `deno run --allow-read=. --allow-run=deno src/launch.ts [ROOT] --port 0 ...args` in the
 * repository root and wait for its `tuxd listening on http://H:P/ (root ROOT)` line.
 * Rejects (with the collected stderr) if the process exits first or the line does not come
 * within `readyTimeoutMs`.
 */
export async function startTuxd(opts: StartOptions = {}): Promise<Tuxd> {
  const args = [...START_ARGS];
  if (opts.root !== undefined) args.push(opts.root);
  args.push("--port", "0", ...(opts.args ?? []));
  // "deno" from PATH, exactly as `deno task start` runs it (the launcher's --allow-run=deno
  // refers to that name too).
  const child = new Deno.Command("deno", {
    args,
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // Own process group, so that stop() can also reap a server child left behind.
    detached: true,
  }).spawn();
  const pid = child.pid;
  const out = capture();
  const err = capture();

  let onLine: ((line: string) => void) | undefined;
  const stdoutDone = (async () => {
    let pending = "";
    try {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        out.add(chunk);
        pending += chunk;
        let nl;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl).replace(/\r$/, "");
          pending = pending.slice(nl + 1);
          onLine?.(line);
        }
      }
    } catch {
      // stream torn down
    }
  })();
  const stderrDone = (async () => {
    try {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) err.add(chunk);
    } catch {
      // stream torn down
    }
  })();
  const exited = child.status;

  let stopped: Promise<Deno.CommandStatus> | undefined;
  const stop = (): Promise<Deno.CommandStatus> => {
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
      const grace = delay(5000);
      const first = await Promise.race([exited, grace.promise.then(() => null)]);
      grace.cancel();
      if (first === null) {
        killGroup(pid, "SIGKILL");
      }
      const status = await exited;
      // Whatever is left in the group (a server child that outlived the launcher) goes too.
      killGroup(pid, "SIGKILL");
      const drain = delay(3000);
      await Promise.race([Promise.all([stdoutDone, stderrDone]), drain.promise]);
      drain.cancel();
      return status;
    })();
    return stopped;
  };

  const ready = new Promise<RegExpMatchArray>((resolve) => {
    onLine = (line) => {
      const m = LISTEN_RE.exec(line);
      if (m) {
        onLine = undefined;
        resolve(m);
      }
    };
  });
  const timeoutMs = opts.readyTimeoutMs ?? 10_000;
  const timer = delay(timeoutMs);
  const outcome = await Promise.race([
    ready,
    exited.then((s) => ({ exited: s })),
    timer.promise.then(() => ({ timeout: true as const })),
  ]);
  timer.cancel();
  if (!Array.isArray(outcome)) {
    await stop();
    const why = "exited" in outcome
      ? `exited early with code ${outcome.exited.code}${
        outcome.exited.signal ? ` (signal ${outcome.exited.signal})` : ""
      }`
      : `printed no listening line within ${timeoutMs} ms`;
    throw new Error(
      `tuxd (deno ${
        args.join(" ")
      }) ${why}\n--- stdout ---\n${out.get()}\n--- stderr ---\n${err.get()}`,
    );
  }
  const m = outcome;
  return {
    url: m[1],
    host: m[2],
    port: Number(m[3]),
    root: m[4],
    pid,
    stop,
    stderr: err.get,
    stdout: out.get,
    exited,
  };
}

// ---------------------------------------------------------------------------------------------
// Raw requests

export interface RawOptions {
  /** Give up waiting for the peer to close after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Host to connect to (default 127.0.0.1). */
  hostname?: string;
  /** Half-close our side (shutdown(SHUT_WR)) after writing everything. Default false. */
  closeWrite?: boolean;
  /** Write the request in pieces, waiting `delayMs` between them (e.g. to test slow clients). */
  chunks?: { size: number; delayMs: number };
}

export interface RawResult {
  bytes: Uint8Array;
  /** True if we gave up at the timeout; false if the peer closed (EOF or reset). */
  timedOut: boolean;
  /** True if the peer reset the connection (ECONNRESET) or a write failed. */
  reset: boolean;
}

/**
 * Write `bytes` over a fresh TCP connection and read until the peer closes or the timeout
 * passes. Returns everything that was read (also after a timeout).
 */
export async function rawRequest(
  port: number,
  bytes: string | Uint8Array,
  opts: RawOptions = {},
): Promise<Uint8Array> {
  return (await rawExchange(port, bytes, opts)).bytes;
}

/** Like {@link rawRequest} but also says whether the peer closed or we timed out. */
export async function rawExchange(
  port: number,
  bytes: string | Uint8Array,
  opts: RawOptions = {},
): Promise<RawResult> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const conn = await Deno.connect({ hostname: opts.hostname ?? "127.0.0.1", port });
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  };
  let timedOut = false;
  let reset = false;
  const timer = setTimeout(() => {
    timedOut = true;
    close();
  }, opts.timeoutMs ?? 5000);
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = (async () => {
    const buf = new Uint8Array(64 * 1024);
    while (!closed) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (e) {
        if (!timedOut) reset = !(e instanceof Deno.errors.BadResource);
        break;
      }
      if (n === null) break;
      parts.push(buf.slice(0, n));
      total += n;
    }
  })();
  try {
    const step = opts.chunks ? Math.max(1, opts.chunks.size) : data.length || 1;
    for (let off = 0; off < data.length && !closed; off += step) {
      if (off > 0 && opts.chunks) await new Promise((r) => setTimeout(r, opts.chunks!.delayMs));
      let piece = data.subarray(off, Math.min(off + step, data.length));
      while (piece.length > 0 && !closed) piece = piece.subarray(await conn.write(piece));
    }
    if (opts.closeWrite && !closed) await conn.closeWrite();
  } catch {
    // The server may close early (e.g. after a 400); keep what it sent.
    if (!timedOut) reset = true;
  }
  await reader;
  clearTimeout(timer);
  close();
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return { bytes: out, timedOut, reset };
}

// ---------------------------------------------------------------------------------------------
// Response parsing

export interface ParsedResponse {
  /** e.g. "HTTP/1.1" */
  version: string;
  status: number;
  statusText: string;
  /** Lower-case names; repeated fields joined with ", " (set-cookie joined with "\n"). */
  headers: Map<string, string>;
  /** Header fields in order as received, names as sent. */
  rawHeaders: [string, string][];
  body: Uint8Array;
  /** Trailer fields of a chunked body (lower-case names). */
  trailers: Map<string, string>;
  /** How the body length was determined. */
  framing: "none" | "content-length" | "chunked" | "close";
  /** Byte offsets of this response within the input. */
  start: number;
  end: number;
}

export interface ParseOptions {
  /**
   * Indexes (0-based, counting final responses only, i.e. one per request) of responses that
   * answer HEAD requests: they have no body whatever their headers say.
   */
  headRequests?: number[];
  /**
   * Accept a last response whose body is cut short (returns what is there, framing as
   * announced). Default false: throw.
   */
  allowTruncated?: boolean;
}

const dec = new TextDecoder("latin1");

function indexOfCrlf(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

function addHeader(map: Map<string, string>, name: string, value: string) {
  const k = name.toLowerCase();
  const prev = map.get(k);
  map.set(k, prev === undefined ? value : `${prev}${k === "set-cookie" ? "\n" : ", "}${value}`);
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Parse one block of header lines starting at `pos`; returns the offset after the blank line. */
function parseFields(
  b: Uint8Array,
  pos: number,
  what: string,
  raw: [string, string][],
  map: Map<string, string>,
): number {
  for (;;) {
    const eol = indexOfCrlf(b, pos);
    if (eol < 0) throw new Error(`${what}: header section not terminated by CRLF CRLF`);
    if (eol === pos) return eol + 2;
    const line = dec.decode(b.subarray(pos, eol));
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`${what}: malformed header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon);
    if (!TOKEN_RE.test(name)) {
      throw new Error(`${what}: invalid header name ${JSON.stringify(name)}`);
    }
    if (line.includes("\n")) throw new Error(`${what}: bare LF in header ${JSON.stringify(line)}`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    raw.push([name, value]);
    addHeader(map, name, value);
    pos = eol + 2;
  }
}

/**
 * Parse a byte stream holding zero or more pipelined HTTP/1.x responses (as returned by
 * {@link rawRequest}). Handles Content-Length, chunked bodies (with trailers), 1xx interim
 * responses, 204/304 and HEAD responses (no body), and close-delimited bodies. Throws on any
 * malformed or truncated input, saying where.
 */
export function parseResponses(bytes: Uint8Array, opts: ParseOptions = {}): ParsedResponse[] {
  const heads = new Set(opts.headRequests ?? []);
  const out: ParsedResponse[] = [];
  let pos = 0;
  let finalIndex = 0;
  while (pos < bytes.length) {
    const start = pos;
    const what = `response #${out.length} at byte ${start}`;
    const eol = indexOfCrlf(bytes, pos);
    if (eol < 0) {
      throw new Error(
        `${what}: no CRLF after status line: ${
          JSON.stringify(dec.decode(bytes.subarray(pos, pos + 80)))
        }`,
      );
    }
    const statusLine = dec.decode(bytes.subarray(pos, eol));
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
    if (!m) throw new Error(`${what}: malformed status line ${JSON.stringify(statusLine)}`);
    const status = Number(m[2]);
    pos = eol + 2;
    const rawHeaders: [string, string][] = [];
    const headers = new Map<string, string>();
    pos = parseFields(bytes, pos, what, rawHeaders, headers);
    const trailers = new Map<string, string>();
    let body = new Uint8Array(0);
    let framing: ParsedResponse["framing"] = "none";
    const interim = status >= 100 && status < 200;
    const isHead = !interim && heads.has(finalIndex);
    const te = headers.get("transfer-encoding");
    const cl = headers.get("content-length");
    if (interim || isHead || status === 204 || status === 304) {
      framing = "none";
    } else if (te !== undefined) {
      const codings = te.toLowerCase().split(",").map((s) => s.trim());
      if (codings[codings.length - 1] !== "chunked") {
        framing = "close";
        body = bytes.slice(pos);
        pos = bytes.length;
      } else {
        if (cl !== undefined) {
          throw new Error(`${what}: both Transfer-Encoding and Content-Length present`);
        }
        framing = "chunked";
        const parts: Uint8Array[] = [];
        let truncated = false;
        for (;;) {
          const le = indexOfCrlf(bytes, pos);
          if (le < 0) {
            truncated = true;
            break;
          }
          const sizeLine = dec.decode(bytes.subarray(pos, le));
          const sm = /^([0-9A-Fa-f]+)[ \t]*(;.*)?$/.exec(sizeLine);
          if (!sm) throw new Error(`${what}: bad chunk size line ${JSON.stringify(sizeLine)}`);
          const size = parseInt(sm[1], 16);
          pos = le + 2;
          if (size === 0) {
            try {
              pos = parseFields(bytes, pos, `${what} (trailers)`, [], trailers);
            } catch (e) {
              if (!opts.allowTruncated) throw e;
              truncated = true;
              pos = bytes.length;
            }
            break;
          }
          if (pos + size + 2 > bytes.length) {
            parts.push(bytes.slice(pos, Math.min(pos + size, bytes.length)));
            pos = bytes.length;
            truncated = true;
            break;
          }
          parts.push(bytes.slice(pos, pos + size));
          pos += size;
          if (bytes[pos] !== 13 || bytes[pos + 1] !== 10) {
            throw new Error(`${what}: chunk data not followed by CRLF at byte ${pos}`);
          }
          pos += 2;
        }
        if (truncated && !opts.allowTruncated) {
          throw new Error(`${what}: chunked body truncated at byte ${bytes.length}`);
        }
        body = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
        let o = 0;
        for (const p of parts) {
          body.set(p, o);
          o += p.length;
        }
      }
    } else if (cl !== undefined) {
      const values = cl.split(",").map((s) => s.trim());
      if (!values.every((v) => /^\d+$/.test(v) && v === values[0])) {
        throw new Error(`${what}: bad Content-Length ${JSON.stringify(cl)}`);
      }
      const n = Number(values[0]);
      framing = "content-length";
      if (pos + n > bytes.length && !opts.allowTruncated) {
        throw new Error(
          `${what}: body truncated: Content-Length ${n} but only ${
            bytes.length - pos
          } bytes follow`,
        );
      }
      body = bytes.slice(pos, Math.min(pos + n, bytes.length));
      pos = Math.min(pos + n, bytes.length);
    } else {
      framing = "close";
      body = bytes.slice(pos);
      pos = bytes.length;
    }
    out.push({
      version: m[1],
      status,
      statusText: m[3] ?? "",
      headers,
      rawHeaders,
      body,
      trailers,
      framing,
      start,
      end: pos,
    });
    if (!interim) finalIndex++;
  }
  return out;
}

/** Decode a body as UTF-8 text. */
export function text(body: Uint8Array): string {
  return new TextDecoder().decode(body);
}

// ---------------------------------------------------------------------------------------------
// Static-file expectations shared by the real-world tests

/**
 * Content-Type that tuxd must send per file extension (lower-case, without the dot). Several
 * entries mean any of them is fine. Extensions not listed: whatever tuxd sends is accepted (the
 * tests print it).
 */
export const EXPECTED_TYPES: Readonly<Record<string, readonly string[]>> = {
  html: ["text/html; charset=utf-8"],
  js: ["text/javascript; charset=utf-8"],
  mjs: ["text/javascript; charset=utf-8"],
  css: ["text/css; charset=utf-8"],
  png: ["image/png"],
  map: ["application/json; charset=utf-8"],
  json: ["application/json; charset=utf-8"],
  md: ["text/markdown; charset=utf-8"],
  txt: ["text/plain; charset=utf-8"],
  svg: ["image/svg+xml", "image/svg+xml; charset=utf-8"],
  ico: ["image/x-icon", "image/vnd.microsoft.icon"],
};

/** Expected Content-Type values for a path, or undefined when any is accepted. */
export function expectedTypes(path: string): readonly string[] | undefined {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return undefined;
  return EXPECTED_TYPES[base.slice(dot + 1).toLowerCase()];
}

const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const ETAG = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

/** Normalise a media type for comparison: lower case, no blanks around `;` and `=`. */
export function normType(t: string): string {
  return t.toLowerCase().replace(/\s*;\s*/g, "; ").replace(/\s*=\s*/g, "=").trim();
}

/**
 * Check the headers of a 200 response for a whole static file. Returns a list of problems
 * (empty when all is well), each prefixed with `label`.
 *
 * - Content-Type as in {@link EXPECTED_TYPES} (any value accepted for unknown extensions)
 * - Content-Length equal to the file size (unless `encoded`: a Content-Encoding was applied)
 * - ETag present and well-formed
 * - Last-Modified an IMF-fixdate equal to the file's mtime (to the second)
 * - Date an IMF-fixdate within 5 minutes of now
 * - X-Content-Type-Options: nosniff
 */
export function checkFileHeaders(
  label: string,
  get: (name: string) => string | null | undefined,
  file: { path: string; size: number; mtime: Date | null },
  opts: { encoded?: boolean } = {},
): string[] {
  const problems: string[] = [];
  const p = (s: string) => problems.push(`${label}: ${s}`);
  const ct = get("content-type");
  const want = expectedTypes(file.path);
  if (!ct) p("no Content-Type");
  else if (want && !want.map(normType).includes(normType(ct))) {
    p(`Content-Type ${JSON.stringify(ct)}, want ${
      want.map((w) => JSON.stringify(w)).join(" or ")
    }`);
  }
  const cl = get("content-length");
  if (!opts.encoded) {
    if (cl === null || cl === undefined) p("no Content-Length");
    else if (cl !== String(file.size)) p(`Content-Length ${cl}, file has ${file.size} bytes`);
  }
  const etag = get("etag");
  if (!etag) p("no ETag");
  else if (!ETAG.test(etag)) p(`malformed ETag ${JSON.stringify(etag)}`);
  const lm = get("last-modified");
  if (!lm) p("no Last-Modified");
  else if (!IMF_FIXDATE.test(lm)) p(`Last-Modified not an IMF-fixdate: ${JSON.stringify(lm)}`);
  else if (file.mtime) {
    const want = Math.floor(file.mtime.getTime() / 1000) * 1000;
    if (Date.parse(lm) !== want) {
      p(`Last-Modified ${lm} but file mtime is ${new Date(want).toUTCString()}`);
    }
  }
  const date = get("date");
  if (!date) p("no Date");
  else if (!IMF_FIXDATE.test(date)) p(`Date not an IMF-fixdate: ${JSON.stringify(date)}`);
  else if (Math.abs(Date.parse(date) - Date.now()) > 5 * 60_000) p(`Date ${date} is off`);
  const xcto = get("x-content-type-options");
  if (xcto?.toLowerCase() !== "nosniff") p(`X-Content-Type-Options ${JSON.stringify(xcto)}`);
  return problems;
}

/** Every regular file under `dir`, as paths relative to it with "/" separators, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(rel ? `${dir}/${rel}` : dir)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(r);
      else if (e.isFile) out.push(r);
    }
  };
  await walk("");
  return out.sort();
}

/** URL path for a relative file path (each segment percent-encoded). */
export function urlPath(rel: string): string {
  return "/" + rel.split("/").map(encodeURIComponent).join("/");
}

/** Byte-for-byte equality; returns a description of the first difference or null. */
export function diffBytes(a: Uint8Array, b: Uint8Array): string | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `differs at byte ${i}`;
  return a.length === b.length ? null : `length ${a.length} vs ${b.length}`;
}

/** Run curl (from PATH) to fetch `url` into a file; returns body bytes and the parsed head. */
export async function curlGet(
  url: string,
  workDir: string,
  extraArgs: string[] = [],
): Promise<{ code: number; stderr: string; body: Uint8Array; head: ParsedResponse | null }> {
  const name = crypto.randomUUID();
  const bodyFile = `${workDir}/${name}.body`;
  const headFile = `${workDir}/${name}.head`;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("curl", {
      args: ["-sS", "--max-time", "30", "-o", bodyFile, "-D", headFile, ...extraArgs, url],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error("curl not found on PATH (Debian: apt-get install curl; .ci/run does this)");
    }
    throw e;
  }
  const read = async (f: string) => {
    try {
      return await Deno.readFile(f);
    } catch {
      return new Uint8Array(0);
    } finally {
      await Deno.remove(f).catch(() => {});
    }
  };
  const body = await read(bodyFile);
  const headBytes = await read(headFile);
  let head: ParsedResponse | null = null;
  if (headBytes.length) {
    // -D writes every header block it saw (interim 1xx too); the last one is the answer.
    const all = parseResponses(headBytes, { headRequests: [0] });
    head = all[all.length - 1];
  }
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr), body, head };
}
