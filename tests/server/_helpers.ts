/**
 * Helpers shared by the socket-level server tests: temporary document roots, a persistent raw
 * client that reads in the background and splits responses as they arrive, and /proc readers
 * for the server process.
 */
import { type ParsedResponse, parseResponses } from "../_util/server.ts";

/** Bytes of a latin1 string (each char code 0–255 one byte). */
export function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/**
 * A latin1 string of bytes: each byte one char code 0–255, so `bytes(str(b))` is `b`.
 * (TextDecoder's "latin1" is windows-1252, which maps 0x80–0x9F elsewhere.)
 */
export function str(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, i + 8192));
  }
  return s;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Reads `conn` into `parts` until the peer closes or `ms` pass (`each` runs after every read);
 * a reset is thrown to the caller.
 */
export async function readInto(
  conn: Deno.Conn,
  parts: Uint8Array[],
  ms: number,
  each?: () => Promise<void>,
): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const n = await conn.read(buf);
    if (n === null) return;
    parts.push(buf.slice(0, n));
    await each?.();
  }
}

/** What follows the first response head in `raw`. */
export function afterHead(raw: Uint8Array): Uint8Array {
  return raw.subarray(str(raw.subarray(0, 1000)).indexOf("\r\n\r\n") + 4);
}

/** `GET path HTTP/1.1` with Host and any extra field lines. */
export function get(path: string, extra = "", method = "GET"): string {
  return `${method} ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;
}

export interface TempSite {
  /** The temporary directory holding `root` and anything placed beside it. */
  dir: string;
  /** The document root (an absolute real path). */
  root: string;
  /** Writes a file under the root (parents created). */
  write(rel: string, data: string | Uint8Array): Promise<void>;
  cleanup(): Promise<void>;
}

/** A temporary directory with `root/` holding `files` (relative path → content). */
export async function tempSite(
  files: Record<string, string | Uint8Array> = {},
): Promise<TempSite> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "tuxd-test-" }));
  const root = `${dir}/root`;
  await Deno.mkdir(root);
  const write = async (rel: string, data: string | Uint8Array) => {
    const path = `${root}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof data === "string") await Deno.writeTextFile(path, data);
    else await Deno.writeFile(path, data);
  };
  for (const [rel, data] of Object.entries(files)) await write(rel, data);
  return { dir, root, write, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function pseudoRandom(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Splitting a response stream

function indexOf(b: Uint8Array, pat: number[], from: number): number {
  outer: for (let i = from; i + pat.length <= b.length; i++) {
    for (let k = 0; k < pat.length; k++) if (b[i + k] !== pat[k]) continue outer;
    return i;
  }
  return -1;
}

const CRLFCRLF = [13, 10, 13, 10];

/** The end of a chunked body starting at `pos` (trailers included), or -1 if incomplete. */
function chunkedEnd(b: Uint8Array, pos: number): number {
  while (true) {
    const le = indexOf(b, [13, 10], pos);
    if (le < 0) return -1;
    const size = parseInt(str(b.subarray(pos, le)), 16);
    if (!(size >= 0)) throw new Error(`bad chunk size line at byte ${pos}`);
    pos = le + 2;
    if (size === 0) {
      if (b[pos] === 13 && b[pos + 1] === 10) return pos + 2;
      const te = indexOf(b, CRLFCRLF, pos);
      return te < 0 ? -1 : te + 4;
    }
    pos += size + 2;
    if (pos > b.length) return -1;
  }
}

/**
 * The complete responses at the front of `b` (strictly parsed one by one), and where the
 * incomplete rest starts. `heads` holds indexes of final responses that answer HEAD.
 * Responses must be framed by Content-Length (or have no body); a close-delimited body counts
 * as complete only when `eof`.
 */
export function splitResponses(
  b: Uint8Array,
  heads: ReadonlySet<number> = new Set(),
  eof = false,
): { responses: ParsedResponse[]; rest: number } {
  const responses: ParsedResponse[] = [];
  let pos = 0;
  let final = 0;
  while (pos < b.length) {
    const he = indexOf(b, CRLFCRLF, pos);
    if (he < 0) break;
    const head = str(b.subarray(pos, he + 4));
    const sm = /^HTTP\/\d\.\d (\d{3})/.exec(head);
    if (!sm) throw new Error(`malformed status line at byte ${pos}: ${JSON.stringify(head)}`);
    const status = Number(sm[1]);
    const interim = status < 200;
    const cl = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(head);
    const te = /\r\ntransfer-encoding:[ \t]*chunked[ \t]*\r\n/i.test(head);
    if (!te && /\r\ntransfer-encoding:/i.test(head)) {
      throw new Error(`unexpected Transfer-Encoding in ${JSON.stringify(head)}`);
    }
    let end: number;
    if (interim || heads.has(final) || status === 204 || status === 304) end = he + 4;
    else if (te) end = chunkedEnd(b, he + 4);
    else if (cl) end = he + 4 + Number(cl[1]);
    else if (eof) end = b.length;
    else break;
    if (end < 0 || end > b.length) break;
    const [r] = parseResponses(b.subarray(pos, end), {
      headRequests: interim || !heads.has(final) ? [] : [0],
    });
    r.start += pos;
    r.end += pos;
    responses.push(r);
    if (!interim) final++;
    pos = end;
  }
  return { responses, rest: pos };
}

// ---------------------------------------------------------------------------------------------
// A persistent raw client

export class Client {
  #parts: Uint8Array[] = [];
  #total = 0;
  #flat: Uint8Array | null = null;
  /** Number of successful reads (TCP reads that returned data). */
  reads = 0;
  /** Sizes of the reads. */
  readSizes: number[] = [];
  eof = false;
  reset = false;
  #closed = false;
  #wake: (() => void)[] = [];
  #loop: Promise<void>;

  private constructor(readonly conn: Deno.TcpConn, readBuf: number) {
    this.#loop = this.#read(readBuf);
  }

  static async open(port: number, opts: { readBuf?: number } = {}): Promise<Client> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return new Client(conn, opts.readBuf ?? 64 * 1024);
  }

  async #read(size: number): Promise<void> {
    const buf = new Uint8Array(size);
    try {
      while (true) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        this.#parts.push(buf.slice(0, n));
        this.#total += n;
        this.#flat = null;
        this.reads++;
        this.readSizes.push(n);
        this.#notify();
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource) || !this.#closed) this.reset = true;
    }
    this.eof = true;
    this.#notify();
  }

  #notify() {
    for (const w of this.#wake.splice(0)) w();
  }

  /** Everything received so far. */
  get received(): Uint8Array {
    if (!this.#flat) {
      this.#flat = concat(this.#parts);
      this.#parts = [this.#flat];
    }
    return this.#flat;
  }

  get total(): number {
    return this.#total;
  }

  /** Writes all of `data` (string: latin1). Throws if the peer is gone. */
  async write(data: string | Uint8Array): Promise<void> {
    let b = typeof data === "string" ? bytes(data) : data;
    while (b.length) b = b.subarray(await this.conn.write(b));
  }

  /** Writes `data` in pieces of `size` bytes with `delayMs` between them. */
  async trickle(data: string | Uint8Array, size: number, delayMs: number): Promise<void> {
    const b = typeof data === "string" ? bytes(data) : data;
    for (let off = 0; off < b.length; off += size) {
      if (off > 0) await sleep(delayMs);
      await this.write(b.subarray(off, off + size));
    }
  }

  /** Resolves true when `pred()` holds, false after `timeoutMs`. */
  async until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.eof) return pred();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return true;
  }

  /**
   * Waits for `n` complete final responses from `from` (a byte offset into what was
   * received); throws with what arrived when they do not come within `timeoutMs`.
   */
  async responses(
    n: number,
    opts: { heads?: number[]; timeoutMs?: number; from?: number } = {},
  ): Promise<ParsedResponse[]> {
    const heads = new Set(opts.heads ?? []);
    const from = opts.from ?? 0;
    let got: ParsedResponse[] = [];
    const finals = () => {
      const { responses } = splitResponses(this.received.subarray(from), heads, this.eof);
      got = responses.filter((r) => r.status >= 200);
      return got.length >= n;
    };
    if (!(await this.until(finals, opts.timeoutMs ?? 5000))) {
      const text = str(this.received.subarray(from, from + 2000));
      throw new Error(
        `wanted ${n} responses, got ${got.length} (${
          this.eof ? "connection closed" : "timed out"
        }); received ${JSON.stringify(text)}`,
      );
    }
    return got.slice(0, n);
  }

  /** Whether the peer closed (EOF or reset) within `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<boolean> {
    return this.until(() => this.eof, timeoutMs);
  }

  /** Half-closes our side. */
  async closeWrite(): Promise<void> {
    try {
      await this.conn.closeWrite();
    } catch {
      // already gone
    }
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.conn.close();
      } catch {
        // already closed
      }
    }
    await this.#loop;
  }
}

/** Opens a client, runs `fn`, and always closes it. */
export async function withClient<T>(port: number, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await Client.open(port);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The server process

export { alive, childPids, procStatusBytes, serverPid } from "../_util/proc.ts";
