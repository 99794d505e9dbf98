/**
 * A seeded mutation fuzzer for tuxd's request handling, over real sockets.
 *
 * Each input is a valid request (or pipeline) from a fixed set, mutated 1–4 times: byte flips
 * and special bytes, insertions of HTTP tokens, deletions, duplicated header lines, CRLF games,
 * splices of two requests, long runs, and random splits into several writes. Each goes out on
 * a new connection, which is then half-closed; the server must close within 2 s, and every
 * byte it sent must be well-formed responses (status line, field lines, Date, a
 * Content-Length matching the body, no 5xx but 501/505). Every so often and at the end, a
 * fresh connection must get GET /index.html with the exact bytes, and the server process
 * must still be running.
 *
 * Standalone: `deno run -A tests/fuzz/fuzz.ts --seconds 60 --seed 7 [--concurrency 16]`
 * Replay one input: `deno run -A tests/fuzz/fuzz.ts --seed 7 --only 1234 --print`
 * The bounded CI run is tests/server/fuzz_test.ts.
 */
import { startTuxd, type Tuxd } from "../_util/server.ts";

// ---------------------------------------------------------------------------------------------
// PRNG

/** xorshift32; never zero. */
export class Rng {
  #x: number;
  constructor(seed: number) {
    this.#x = (seed >>> 0) || 0x9e3779b9;
    for (let i = 0; i < 4; i++) this.next();
  }
  next(): number {
    let x = this.#x;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.#x = x;
    return x;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
}

/** The seed of input `i` of a run with `seed` (inputs can be replayed one by one). */
export function inputSeed(seed: number, i: number): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (const v of [i & 0xffff, i >>> 16, 0x5bd1e995]) {
    h ^= v;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h || 1;
}

// ---------------------------------------------------------------------------------------------
// The site and the seed requests

export const INDEX = "<!doctype html>\n<title>fuzz</title>\n<p>index page for the fuzzer</p>\n";

/** Files of the fuzzed site. No body starts with "HTTP/" (see `parseAll`). */
export function siteFiles(): Record<string, string> {
  return {
    "index.html": INDEX,
    "style.css": "body { margin: 0 }\n".repeat(40),
    "app.js": "console.log(1);\n",
    "data.json": '{"a":1}\n',
    "dir/index.html": "<p>dir</p>\n",
    "dir/page.txt": "page in dir\n",
    "big.bin": "0123456789abcdef".repeat(4096), // 64 KiB: above --cache-file-max, streamed
    ".well-known/x.txt": "well known\n",
    ".hidden": "hidden\n",
  };
}

/** Flags for the fuzzed server: small limits, so mutations cross them often. */
export const SERVER_ARGS = [
  "--cache-file-max",
  "16K",
  "--max-line",
  "2K",
  "--max-head",
  "8K",
  "--max-fields",
  "40",
  "--max-body",
  "64K",
  "--discard-body-max",
  "8K",
  "--head-timeout",
  "5",
];

const H = "Host: fuzz.test\r\n";
const SEEDS: string[] = [
  `GET /index.html HTTP/1.1\r\n${H}\r\n`,
  `GET / HTTP/1.1\r\n${H}User-Agent: fuzz/1.0\r\nAccept: */*\r\n\r\n`,
  `HEAD /index.html HTTP/1.1\r\n${H}\r\n`,
  `GET /style.css HTTP/1.1\r\n${H}Accept-Encoding: gzip, br;q=0.9, *;q=0\r\n\r\n`,
  `GET /big.bin HTTP/1.1\r\n${H}Range: bytes=0-99,200-299,-10\r\n\r\n`,
  `GET /app.js HTTP/1.1\r\n${H}Range: bytes=5-\r\nIf-Range: "nope"\r\n\r\n`,
  `GET /data.json HTTP/1.1\r\n${H}If-None-Match: "x", W/"y"\r\nIf-Modified-Since: Thu, 01 Jan 2015 00:00:00 GMT\r\n\r\n`,
  `GET /dir?q=1 HTTP/1.1\r\n${H}\r\n`,
  `GET /dir/page.txt HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
  `POST /index.html HTTP/1.1\r\n${H}Content-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world`,
  `GET /app.js HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n`,
  `OPTIONS * HTTP/1.1\r\n${H}\r\n`,
  `GET /index.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`,
  `GET http://fuzz.test/dir/ HTTP/1.1\r\n${H}\r\n`,
  `GET /app.js HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 4\r\n\r\nbody`,
  `GET /%69ndex.html HTTP/1.1\r\n${H}\r\n` + `HEAD /data.json HTTP/1.1\r\n${H}\r\n`,
  `GET /missing/../.well-known/x.txt HTTP/1.1\r\n${H}\r\n`,
  `GET /big.bin HTTP/1.1\r\n${H}\r\n`,
  `DELETE /index.html HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`,
  `GET /index.html HTTP/1.1\r\n${H}\r\nGET /style.css HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
];

const TOKENS = [
  "\r\n",
  "\r\n\r\n",
  "\r",
  "\n",
  " ",
  "\t",
  ":",
  ",",
  ";",
  '"',
  "\0",
  "\x7f",
  "\xff",
  "%",
  "%00",
  "%2f",
  "..",
  "/",
  "?",
  "#",
  "*",
  "HTTP/1.1",
  "HTTP/1.0",
  "HTTP/2.0",
  "chunked",
  "Content-Length: 5\r\n",
  "Content-Length: 99999\r\n",
  "Content-Length: -1\r\n",
  "Transfer-Encoding: chunked\r\n",
  "Transfer-Encoding: gzip, chunked\r\n",
  "Connection: close\r\n",
  "Connection: keep-alive\r\n",
  "Expect: 100-continue\r\n",
  "Host: other\r\n",
  "Range: bytes=0-0\r\n",
  "If-None-Match: *\r\n",
  "0\r\n\r\n",
  "ffffffff\r\n",
  "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
  "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n",
];

const SPECIAL = [0, 9, 10, 13, 32, 34, 35, 37, 44, 47, 58, 59, 63, 127, 128, 255];

function enc(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

function dec(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, i + 8192));
  }
  return s;
}

/** Positions of every CRLF in `s`. */
function crlfs(s: string): number[] {
  const out: number[] = [];
  for (let i = s.indexOf("\r\n"); i >= 0; i = s.indexOf("\r\n", i + 2)) out.push(i);
  return out;
}

const MAX_INPUT = 96 * 1024;

type Mutation = (s: string, r: Rng) => string;

const MUTATIONS: [string, Mutation][] = [
  ["flip", (s, r) => {
    if (!s.length) return s;
    const i = r.int(s.length);
    return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << r.int(8))) + s.slice(i + 1);
  }],
  ["byte", (s, r) => {
    const i = r.int(s.length + 1);
    const c = r.chance(0.6) ? r.pick(SPECIAL) : r.int(256);
    return s.slice(0, i) + String.fromCharCode(c) + s.slice(i + (r.chance(0.5) ? 1 : 0));
  }],
  ["insert", (s, r) => {
    const i = r.int(s.length + 1);
    return s.slice(0, i) + r.pick(TOKENS) + s.slice(i);
  }],
  ["delete", (s, r) => {
    const i = r.int(s.length);
    return s.slice(0, i) + s.slice(i + 1 + r.int(r.chance(0.7) ? 4 : 64));
  }],
  ["dup-header", (s, r) => {
    const c = crlfs(s);
    if (c.length < 2) return s;
    const k = r.int(c.length - 1);
    const line = s.slice(c[k] + 2, c[k + 1] + 2);
    return s.slice(0, c[k + 1] + 2) + line.repeat(1 + r.int(r.chance(0.9) ? 2 : 60)) +
      s.slice(c[k + 1] + 2);
  }],
  ["crlf", (s, r) => {
    const c = crlfs(s);
    if (!c.length) return s;
    const i = r.pick(c);
    const with_ = r.pick([
      "\n",
      "\r",
      "\r\r\n",
      "\r\n\r\n",
      "\n\r",
      "",
      " \r\n",
      "\r\n ",
      "\r\n\t",
    ]);
    return s.slice(0, i) + with_ + s.slice(i + 2);
  }],
  ["splice", (s, r) => {
    const o = r.pick(SEEDS);
    if (r.chance(0.5)) return s + o;
    return s.slice(0, r.int(s.length + 1)) + o.slice(r.int(o.length + 1));
  }],
  ["long-run", (s, r) => {
    const i = r.int(s.length + 1);
    const c = r.chance(0.5)
      ? s.charAt(Math.max(0, i - 1)) || "a"
      : r.pick(["a", "/", " ", "0", "\r\n", "%"]);
    const n = r.pick([10, 100, 1000, 2100, 4000, 8300, 20_000, 70_000]);
    return s.slice(0, i) + c.repeat(Math.ceil(n / c.length)) + s.slice(i);
  }],
  ["case", (s, r) => {
    const i = r.int(s.length);
    const n = 1 + r.int(12);
    const part = s.slice(i, i + n);
    return s.slice(0, i) + (r.chance(0.5) ? part.toUpperCase() : part.toLowerCase()) +
      s.slice(i + n);
  }],
  ["number", (s, r) => {
    const m = [...s.matchAll(/\d+/g)];
    if (!m.length) return s;
    const x = r.pick(m);
    const v = r.pick(["0", "1", "-1", "+1", "00", "4294967296", "18446744073709551616", "1 2", ""]);
    return s.slice(0, x.index!) + v + s.slice(x.index! + x[0].length);
  }],
];

export interface FuzzInput {
  index: number;
  bytes: Uint8Array;
  /** Write boundaries (byte offsets), in order. */
  splits: number[];
  mutations: string[];
  /** For an unmutated seed: the number of final responses it must get. */
  expected?: number;
}

/** Input `i` of the run with `seed`: deterministic. */
export function makeInput(seed: number, i: number): FuzzInput {
  const r = new Rng(inputSeed(seed, i));
  let s = r.pick(SEEDS);
  const names: string[] = [];
  // Every 25th input is a seed as it is: its responses are known, so none may go missing.
  const n = i % 25 === 0 ? 0 : 1 + r.int(4);
  for (let k = 0; k < n; k++) {
    const [name, m] = r.pick(MUTATIONS);
    names.push(name);
    s = m(s, r);
    if (s.length > MAX_INPUT) s = s.slice(0, MAX_INPUT);
  }
  const splits: number[] = [];
  if (r.chance(0.3)) {
    const parts = 1 + r.int(5);
    for (let k = 0; k < parts; k++) splits.push(1 + r.int(Math.max(1, s.length - 1)));
    splits.sort((a, b) => a - b);
  }
  const expected = n === 0 ? s.match(/^[A-Z]+ \S+ HTTP\/1\.\d\r\n/gm)!.length : undefined;
  return { index: i, bytes: enc(s), splits, mutations: names, expected };
}

// ---------------------------------------------------------------------------------------------
// Checking responses

const STATUS_OK = new Set([
  100,
  200,
  204,
  206,
  301,
  304,
  400,
  404,
  405,
  408,
  412,
  413,
  414,
  416,
  417,
  431,
  501,
  505,
]);
/** A control character other than HTAB (never allowed in a field line). */
function hasControl(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const IMF = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Parses everything a server sent for one input as a sequence of responses. A response whose
 * body would start with "HTTP/" (or is cut off exactly at its head) is taken as the answer to
 * a HEAD: none of the site's files starts that way. Returns the statuses, or throws saying
 * what is wrong.
 */
export function parseAll(b: Uint8Array): number[] {
  const statuses: number[] = [];
  let pos = 0;
  const s = dec(b);
  while (pos < s.length) {
    const he = s.indexOf("\r\n\r\n", pos);
    if (he < 0) throw new Error(`unterminated head at byte ${pos}`);
    const lines = s.slice(pos, he).split("\r\n");
    const m = /^HTTP\/1\.1 (\d{3}) [A-Za-z][ -~]*$/.exec(lines[0]);
    if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])} at byte ${pos}`);
    const status = Number(m[1]);
    if (!STATUS_OK.has(status)) throw new Error(`unexpected status ${status}`);
    const fields = new Map<string, string[]>();
    for (const line of lines.slice(1)) {
      const c = line.indexOf(":");
      const name = line.slice(0, c);
      if (c <= 0 || !TOKEN.test(name) || hasControl(line)) {
        throw new Error(`bad field line ${JSON.stringify(line)}`);
      }
      const k = name.toLowerCase();
      fields.set(k, [...(fields.get(k) ?? []), line.slice(c + 1).trim()]);
    }
    if (status >= 200) {
      const date = fields.get("date");
      if (!date || date.length !== 1 || !IMF.test(date[0])) {
        throw new Error(`status ${status}: bad Date ${date}`);
      }
    }
    if (fields.has("transfer-encoding")) throw new Error(`status ${status}: Transfer-Encoding`);
    const cls = fields.get("content-length");
    let end = he + 4;
    if (status >= 200 && status !== 204 && status !== 304) {
      if (!cls || cls.length !== 1 || !/^\d+$/.test(cls[0])) {
        throw new Error(`status ${status}: Content-Length ${cls}`);
      }
      const n = Number(cls[0]);
      const rest = s.slice(end, end + 5);
      const headLike = rest === "" || rest === "HTTP/";
      if (!(n > 0 && headLike)) {
        if (end + n > s.length) {
          throw new Error(`status ${status}: Content-Length ${n}, ${s.length - end} bytes left`);
        }
        end += n;
      }
    } else if (cls && status !== 304 && !(cls.length === 1 && cls[0] === "0")) {
      throw new Error(`status ${status} with Content-Length ${cls}`);
    }
    statuses.push(status);
    pos = end;
  }
  return statuses;
}

// ---------------------------------------------------------------------------------------------
// Running

export interface FuzzOptions {
  port: number;
  seconds: number;
  seed: number;
  /** Connections in flight at once. Default 16. */
  concurrency?: number;
  /** Checks the server (alive, serves index.html) every this many inputs. Default 250. */
  checkEvery?: number;
  /** Whether the server process is still running. */
  alive?: () => boolean;
  /** Give up after this many failures. Default 10. */
  maxFailures?: number;
  log?: (line: string) => void;
}

export interface FuzzResult {
  inputs: number;
  responses: number;
  statuses: Record<number, number>;
  failures: string[];
  elapsedMs: number;
  inputsPerSecond: number;
}

const HANG_MS = 2000;

function describe(input: FuzzInput): string {
  const shown = dec(input.bytes.subarray(0, 300));
  return `input #${input.index} [${input.mutations.join(",")}] splits ${
    JSON.stringify(input.splits)
  } ${input.bytes.length} bytes: ${JSON.stringify(shown)}${input.bytes.length > 300 ? "…" : ""}`;
}

/** Sends one input on a new connection, half-closes, and reads until close (or HANG_MS). */
export async function exchange(
  port: number,
  input: FuzzInput,
): Promise<{ bytes: Uint8Array; hung: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const parts: Uint8Array[] = [];
  let total = 0;
  let hung = false;
  let done = false;
  const timer = setTimeout(() => {
    hung = !done;
    try {
      conn.close();
    } catch {
      // closed
    }
  }, HANG_MS);
  const reader = (async () => {
    const buf = new Uint8Array(128 * 1024);
    while (true) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch {
        break;
      }
      if (n === null) break;
      parts.push(buf.slice(0, n));
      total += n;
    }
    done = true;
  })();
  try {
    let prev = 0;
    for (const cut of [...input.splits, input.bytes.length]) {
      let piece = input.bytes.subarray(prev, cut);
      prev = cut;
      while (piece.length) piece = piece.subarray(await conn.write(piece));
      if (cut < input.bytes.length) await new Promise((r) => setTimeout(r, 2));
    }
    await conn.closeWrite();
  } catch {
    // the server closed first: fine, what it sent is checked
  }
  await reader;
  clearTimeout(timer);
  try {
    conn.close();
  } catch {
    // closed by the timer
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { bytes: out, hung };
}

/** GET /index.html on a fresh connection: null if it came back exactly right. */
export async function healthCheck(port: number): Promise<string | null> {
  const req = enc("GET /index.html HTTP/1.1\r\nHost: fuzz.test\r\nConnection: close\r\n\r\n");
  const { bytes, hung } = await exchange(port, {
    index: -1,
    bytes: req,
    splits: [],
    mutations: [],
  });
  if (hung) return "health check: no answer within 2 s";
  const s = dec(bytes);
  if (!s.startsWith("HTTP/1.1 200 ")) return `health check: ${JSON.stringify(s.slice(0, 100))}`;
  if (!s.endsWith("\r\n\r\n" + INDEX)) return "health check: wrong body";
  return null;
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const log = opts.log ?? (() => {});
  const concurrency = opts.concurrency ?? 16;
  const checkEvery = opts.checkEvery ?? 250;
  const maxFailures = opts.maxFailures ?? 10;
  const failures: string[] = [];
  const statuses: Record<number, number> = {};
  const t0 = Date.now();
  const deadline = t0 + opts.seconds * 1000;
  let next = 0;
  let inputs = 0;
  let responses = 0;
  let checking: Promise<void> | null = null;

  const check = async (label: string) => {
    if (opts.alive && !opts.alive()) failures.push(`${label}: the server process is gone`);
    const h = await healthCheck(opts.port);
    if (h) failures.push(`${label}: ${h}`);
  };

  const worker = async () => {
    while (Date.now() < deadline && failures.length < maxFailures) {
      if (checking) await checking;
      const i = next++;
      if (i > 0 && i % checkEvery === 0) {
        checking = check(`after ${i} inputs`);
        await checking;
        checking = null;
      }
      const input = makeInput(opts.seed, i);
      let result;
      try {
        result = await exchange(opts.port, input);
      } catch (e) {
        failures.push(`${describe(input)}: connect/write failed: ${e}`);
        continue;
      }
      inputs++;
      if (result.hung) {
        failures.push(
          `${describe(input)}: no close within ${HANG_MS} ms (hang); received ${
            JSON.stringify(dec(result.bytes.subarray(0, 200)))
          }`,
        );
        continue;
      }
      try {
        const got = parseAll(result.bytes);
        const finals = got.filter((st) => st >= 200).length;
        if (input.expected !== undefined && finals !== input.expected) {
          throw new Error(`${finals} final responses to ${input.expected} valid requests`);
        }
        responses += got.length;
        for (const st of got) statuses[st] = (statuses[st] ?? 0) + 1;
      } catch (e) {
        failures.push(
          `${describe(input)}: ${(e as Error).message}; received ${
            JSON.stringify(dec(result.bytes.subarray(0, 400)))
          }`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await check("at the end");
  const elapsedMs = Date.now() - t0;
  const result = {
    inputs,
    responses,
    statuses,
    failures,
    elapsedMs,
    inputsPerSecond: inputs / (elapsedMs / 1000),
  };
  log(
    `fuzz: seed ${opts.seed}: ${inputs} inputs in ${(elapsedMs / 1000).toFixed(1)} s ` +
      `(${result.inputsPerSecond.toFixed(0)} inputs/s), ${responses} responses, statuses ${
        JSON.stringify(statuses)
      }, ${failures.length} failures`,
  );
  return result;
}

/** Creates the fuzz site in a temporary directory and starts tuxd on it. */
export async function startFuzzServer(): Promise<{ srv: Tuxd; cleanup(): Promise<void> }> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "tuxd-fuzz-" }));
  for (const [rel, text] of Object.entries(siteFiles())) {
    const path = `${dir}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  let srv: Tuxd;
  try {
    srv = await startTuxd({ root: dir, args: SERVER_ARGS });
  } catch (e) {
    await Deno.remove(dir, { recursive: true });
    throw e;
  }
  return {
    srv,
    async cleanup() {
      await srv.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Server stderr lines that mean an internal error (not a client's fault). */
export function internalErrors(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /error|panic|uncaught|exception/i.test(l));
}

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(Deno.args[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`${name} needs a number`);
  return v;
}

if (import.meta.main) {
  const seconds = arg("--seconds", 60);
  const seed = arg("--seed", Date.now() % 1_000_000);
  const concurrency = arg("--concurrency", 16);
  const only = arg("--only", -1);
  const { srv, cleanup } = await startFuzzServer();
  let exited = false;
  srv.exited.then(() => exited = true);
  let code = 0;
  try {
    if (only >= 0) {
      const input = makeInput(seed, only);
      console.log(describe(input));
      const r = await exchange(srv.port, input);
      if (Deno.args.includes("--print")) console.log(JSON.stringify(dec(r.bytes)));
      try {
        console.log(`hung: ${r.hung}; statuses ${parseAll(r.bytes)}`);
      } catch (e) {
        console.log(`hung: ${r.hung}; MALFORMED: ${(e as Error).message}`);
        code = 1;
      }
    } else {
      console.log(`fuzz: seed ${seed}, ${seconds} s, ${concurrency} connections at once`);
      const r = await runFuzz({
        port: srv.port,
        seconds,
        seed,
        concurrency,
        alive: () => !exited,
        log: console.log,
      });
      const errs = internalErrors(srv.stderr());
      for (const f of r.failures) console.log(`FAIL ${f}`);
      for (const e of errs) console.log(`SERVER ${e}`);
      console.log(`inputs: ${r.inputs}; inputs/s: ${r.inputsPerSecond.toFixed(0)}`);
      if (r.failures.length || errs.length) code = 1;
    }
  } finally {
    await cleanup();
  }
  Deno.exit(code);
}
