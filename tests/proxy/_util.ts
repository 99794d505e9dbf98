/**
 * Backends for the proxy tests: a raw TCP server whose every byte the test controls, the
 * example Deno app, and Debian's nginx with a generated configuration. Each returns a
 * `stop()`; everything listens on 127.0.0.1 only.
 */
import { REPO_ROOT } from "../_util/server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

// ---------------------------------------------------------------------------------------------
// Raw backend

export interface RawBackend {
  port: number;
  url: string;
  /** Connections accepted so far. */
  accepted: number;
  stop(): Promise<void>;
}

/**
 * Accepts connections on a free port and hands each to `serve`; errors inside `serve` (the
 * peer going away) are swallowed. `stop` closes the listener and every connection.
 */
export function rawBackend(serve: (conn: Deno.TcpConn, n: number) => Promise<void>): RawBackend {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const conns = new Set<Deno.TcpConn>();
  const tasks = new Set<Promise<void>>();
  const self: RawBackend = {
    port,
    url: `http://127.0.0.1:${port}`,
    accepted: 0,
    async stop() {
      try {
        listener.close();
      } catch {
        // closed
      }
      for (const c of conns) closeQuietly(c);
      await loop;
      await Promise.allSettled([...tasks]);
    },
  };
  const loop = (async () => {
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      conns.add(conn);
      const n = self.accepted++;
      const task = serve(conn, n).catch(() => {}).finally(() => {
        conns.delete(conn);
        closeQuietly(conn);
        tasks.delete(task);
      });
      tasks.add(task);
    }
  })();
  return self;
}

export function closeQuietly(c: Deno.Conn): void {
  try {
    c.close();
  } catch {
    // already closed
  }
}

/** A request head read from a raw connection, and what followed it in the same reads. */
export interface RawHead {
  head: string;
  requestLine: string;
  /** Field lines exactly as received. */
  fields: [string, string][];
  /** Bytes read past the head (the start of a body, or a pipelined request). */
  rest: Uint8Array;
}

/**
 * A buffered reader over a raw connection. Every read is bounded: one that gets nothing for
 * `timeoutMs` closes the connection and throws, so a test never hangs on a silent peer.
 */
export class Reader {
  #buf = new Uint8Array(0);
  constructor(readonly conn: Deno.Conn, readonly timeoutMs = 15_000) {}

  async #read(chunk: Uint8Array): Promise<number | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) =>
      timer = setTimeout(() => r("timeout"), this.timeoutMs)
    );
    try {
      const got = await Promise.race([this.conn.read(chunk), timeout]);
      if (got === "timeout") {
        closeQuietly(this.conn);
        throw new Error(`nothing to read for ${this.timeoutMs} ms`);
      }
      return got;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads until `n` bytes are buffered; false at end of stream. */
  async #need(n: number): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    while (this.#buf.length < n) {
      const got = await this.#read(chunk);
      if (got === null) return false;
      const next = new Uint8Array(this.#buf.length + got);
      next.set(this.#buf);
      next.set(chunk.subarray(0, got), this.#buf.length);
      this.#buf = next;
    }
    return true;
  }

  /** The next request (or response) head, or null at end of stream. */
  async head(): Promise<RawHead | null> {
    while (true) {
      const text = dec.decode(this.#buf);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const head = text.slice(0, end);
        this.#buf = this.#buf.slice(end + 4);
        const [requestLine, ...lines] = head.split("\r\n");
        const fields = lines.map((l): [string, string] => {
          const i = l.indexOf(":");
          return [l.slice(0, i), l.slice(i + 1).trim()];
        });
        return { head, requestLine, fields, rest: this.#buf };
      }
      if (!(await this.#need(this.#buf.length + 1))) return null;
    }
  }

  /** Exactly `n` bytes (fewer at end of stream). */
  async bytes(n: number): Promise<Uint8Array> {
    await this.#need(n);
    const out = this.#buf.slice(0, Math.min(n, this.#buf.length));
    this.#buf = this.#buf.slice(out.length);
    return out;
  }

  /** What is buffered, or the next read's bytes, up to `max` (empty at end of stream). */
  async some(max: number): Promise<Uint8Array> {
    if (this.#buf.length === 0) await this.#need(1);
    return this.bytes(Math.min(max, this.#buf.length));
  }

  /** A whole chunked body (RFC 9112 §7.1), decoded; trailers dropped. */
  async chunked(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    while (true) {
      const line = await this.line();
      const size = parseInt(line.split(";")[0], 16);
      if (!Number.isFinite(size)) throw new Error(`bad chunk line ${JSON.stringify(line)}`);
      if (size === 0) {
        while ((await this.line()) !== "");
        break;
      }
      parts.push(await this.bytes(size));
      if ((await this.line()) !== "") throw new Error("chunk data not followed by CRLF");
    }
    return concat(parts);
  }

  async line(): Promise<string> {
    while (true) {
      const i = dec.decode(this.#buf).indexOf("\r\n");
      if (i >= 0) {
        const line = dec.decode(this.#buf.subarray(0, i));
        this.#buf = this.#buf.slice(i + 2);
        return line;
      }
      if (!(await this.#need(this.#buf.length + 1))) throw new Error("end of stream in a line");
    }
  }

  /** Whether the peer closed: waits up to `ms` for end of stream (or reset). */
  async closed(ms: number): Promise<boolean> {
    const chunk = new Uint8Array(4096);
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const left = deadline - Date.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        this.conn.read(chunk).then((n) => n === null ? "eof" : "data", () => "eof"),
        new Promise<"time">((res) => timer = setTimeout(() => res("time"), left)),
      ]);
      clearTimeout(timer);
      if (r === "eof") return true;
      if (r === "time") return false;
    }
    return false;
  }
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

export async function writeAll(conn: Deno.Conn, data: string | Uint8Array): Promise<void> {
  let b = typeof data === "string" ? enc.encode(data) : data;
  while (b.length) b = b.subarray(await conn.write(b));
}

/** A free loopback port (bound and released; the caller binds it right away). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every 20 ms until it is true or `ms` pass; returns the last result. */
export async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

// ---------------------------------------------------------------------------------------------
// Child processes: the example app and nginx

export interface Child {
  port: number;
  url: string;
  stop(): Promise<void>;
  output(): string;
}

async function spawnUntil(
  cmd: string,
  args: string[],
  ready: RegExp,
  what: string,
  cwd = REPO_ROOT,
): Promise<{ child: Deno.ChildProcess; match: RegExpMatchArray; output: () => string }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  let onText: (() => void) | undefined;
  const pump = async (s: ReadableStream<Uint8Array>) => {
    try {
      for await (const t of s.pipeThrough(new TextDecoderStream())) {
        text += t;
        onText?.();
      }
    } catch {
      // torn down
    }
  };
  pump(child.stdout);
  pump(child.stderr);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const match = await new Promise<RegExpMatchArray | null>((resolve) => {
    onText = () => {
      const m = ready.exec(text);
      if (m) resolve(m);
    };
    child.status.then(() => resolve(null));
    timer = setTimeout(() => resolve(null), 15_000);
  });
  clearTimeout(timer);
  onText = undefined;
  if (!match) {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
    await child.status;
    throw new Error(`${what} did not start:\n${text}`);
  }
  return { child, match, output: () => text };
}

async function stopChild(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = await Promise.race([
    child.status.then(() => false),
    new Promise<boolean>((r) => timer = setTimeout(() => r(true), 5000)),
  ]);
  clearTimeout(timer);
  if (late) {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
  }
  await child.status;
}

/** examples/backend/app.ts on a free port, with only the permission it needs. */
export async function startApp(): Promise<Child> {
  const { child, match, output } = await spawnUntil(
    "deno",
    ["run", "--allow-net=127.0.0.1", "examples/backend/app.ts", "--port", "0"],
    /app listening on http:\/\/127\.0\.0\.1:(\d+)\//,
    "examples/backend/app.ts",
  );
  const port = Number(match[1]);
  return { port, url: `http://127.0.0.1:${port}`, stop: () => stopChild(child), output };
}

/** The nginx binary: $NGINX, else Debian's. */
export const NGINX_BIN = Deno.env.get("NGINX") ?? "/usr/sbin/nginx";

/**
 * Debian's nginx serving `root` on a free loopback port, in the foreground, as the current
 * user, with config and temp paths in a private directory (as shared/conformance/peers/nginx.sh
 * runs it). `extra` goes into the server block.
 */
export async function startNginx(root: string, extra = ""): Promise<Child> {
  const dir = await Deno.makeTempDir({ prefix: "tuxd-nginx-" });
  const port = freePort();
  const user = Deno.uid() === 0 ? "user root root;" : "";
  const conf = `${user}
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr notice;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  server_tokens off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 30s;
  server {
    listen 127.0.0.1:${port};
    root "${root}";
    index index.html;
    ${extra}
  }
}
`;
  await Deno.writeTextFile(`${dir}/nginx.conf`, conf);
  try {
    await Deno.stat(NGINX_BIN);
  } catch {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`${NGINX_BIN} not found (Debian: apt-get install nginx; .ci/run does this)`);
  }
  let started;
  try {
    started = await spawnUntil(
      NGINX_BIN,
      ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", "stderr"],
      /start worker process|using the "\w+" event method/,
      "nginx",
      dir,
    );
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
  // The "started" line comes before the socket is listening in some builds: wait for it.
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      await sleep(50);
    }
  }
  const { child, output } = started;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    output,
    async stop() {
      await stopChild(child);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** The SHA-256 of bytes, as hex. */
export async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}
