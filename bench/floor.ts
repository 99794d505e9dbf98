// deno-floor: a reference point for the benchmark, not a peer. It is the least work a Deno
// HTTP/1.1 server can do per request, so its numbers bound what any server written on Deno's
// JavaScript socket API (tuxd included) can reach on this machine:
//
//   deno run --allow-read --allow-net bench/floor.ts ROOT --port N
//
// At start every regular file directly in ROOT is read into memory and turned into complete
// ready-made responses (status line, Content-Type, Content-Length, body), one keep-alive and one
// `Connection: close` variant. Per connection the serve loop then only reads into one reused
// 64 KiB buffer, finds complete request heads ("\r\n\r\n"), takes the path from the request line
// and writes the matching ready response; requests that arrived together (pipelining) are
// answered with one write. No other parsing (no header fields but a search for
// "connection: close", no request bodies, no query strings), no Date header, no conditional
// requests, no caching logic, no lingering close: not a usable server, only a floor.

const USAGE = "usage: deno run --allow-read --allow-net bench/floor.ts ROOT --port N";

const READ_SIZE = 64 * 1024;
/** Pipelined responses are gathered into one write up to this size; larger ones go out alone. */
const BATCH_MAX = 256 * 1024;

const enc = new TextEncoder();
const CONNECTION_CLOSE = enc.encode("connection: close");

interface Ready {
  /** The request target it answers, as bytes (empty for the 404). */
  path: Uint8Array;
  keepAlive: Uint8Array;
  close: Uint8Array;
}

function response(status: string, type: string, body: Uint8Array, close: boolean): Uint8Array {
  const head = enc.encode(
    `HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n` +
      (close ? "Connection: close\r\n" : "") + "\r\n",
  );
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function ready(path: string, status: string, type: string, body: Uint8Array): Ready {
  return {
    path: enc.encode(path),
    keepAlive: response(status, type, body, false),
    close: response(status, type, body, true),
  };
}

async function load(root: string): Promise<Map<string, Ready>> {
  const files = new Map<string, Ready>();
  for await (const e of Deno.readDir(root)) {
    if (!e.isFile) continue;
    const body = await Deno.readFile(`${root}/${e.name}`);
    const type = e.name.endsWith(".html") ? "text/html" : "application/octet-stream";
    files.set(`/${e.name}`, ready(`/${e.name}`, "200 OK", type, body));
  }
  return files;
}

const NOT_FOUND = ready("", "404 Not Found", "text/plain", enc.encode("not found\n"));

// The scans below are plain loops bounded by `to`: Uint8Array.indexOf would run on to the end
// of the 64 KiB buffer whenever the byte is missing, i.e. after every last head of a read.

/** Index of "\r\n\r\n" in buf[from, to), or -1. */
function findHeadEnd(buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 3 < to; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/** Whether buf[from, to) contains "connection: close", ASCII case-insensitively. */
function wantsClose(buf: Uint8Array, from: number, to: number): boolean {
  const n = CONNECTION_CLOSE.length;
  outer: for (let i = from; i + n <= to; i++) {
    for (let j = 0; j < n; j++) {
      // | 0x20 lower-cases letters and leaves ':' and ' ' as they are
      if ((buf[i + j] | 0x20) !== CONNECTION_CLOSE[j]) continue outer;
    }
    return true;
  }
  return false;
}

/**
 * The ready response for the request target of the request line in buf[from, to). The target
 * is compared with `last` (the previous request's file on this connection) first: building a
 * string for the Map costs more than the rest of the request handling in JS.
 */
function lookup(
  files: Map<string, Ready>,
  last: Ready,
  buf: Uint8Array,
  from: number,
  to: number,
): Ready {
  let a = from;
  while (a < to && buf[a] !== 32) a++;
  let b = ++a;
  while (b < to && buf[b] !== 32 && buf[b] !== 13) b++;
  const p = last.path;
  if (b - a === p.length && p.length > 0) {
    let k = 0;
    while (k < p.length && buf[a + k] === p[k]) k++;
    if (k === p.length) return last;
  }
  let path = "";
  for (let i = a; i < b && i < a + 1024; i++) path += String.fromCharCode(buf[i]);
  return files.get(path) ?? NOT_FOUND;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let n = 0; n < data.length;) n += await conn.write(data.subarray(n));
}

/**
 * Read buffers of closed connections, for the next ones: a fresh 64 KiB per connection would
 * cost the Connection: close row more in allocation and GC than all the rest.
 */
const freeBuffers: Uint8Array[] = [];

async function serve(conn: Deno.TcpConn, files: Map<string, Ready>): Promise<void> {
  const buf = freeBuffers.pop() ?? new Uint8Array(READ_SIZE);
  let batch: Uint8Array | null = null; // gathers pipelined responses, allocated when first needed
  const out: Uint8Array[] = [];
  let last = NOT_FOUND; // the file of the previous request
  let filled = 0; // bytes in buf: a partial request head carried over, then what was read
  try {
    conn.setNoDelay(true); // as tuxd does
    for (;;) {
      const n = await conn.read(filled === 0 ? buf : buf.subarray(filled));
      if (n === null) return;
      const end = filled + n;
      let start = 0;
      let close = false;
      // every complete head in buf[0, end); the scan restarts 3 bytes before the new data, in
      // case "\r\n\r\n" straddles two reads
      let from = Math.max(0, filled - 3);
      for (;;) {
        const h = findHeadEnd(buf, from, end);
        if (h < 0) break;
        const r = last = lookup(files, last, buf, start, h);
        close = wantsClose(buf, start, h);
        out.push(close ? r.close : r.keepAlive);
        start = from = h + 4;
        if (close) break;
      }
      // the partial head left, if any, moves to the front for the next read
      if (!close && start < end) {
        if (start === 0 && end === buf.length) return; // a head over 64 KiB: give up
        buf.copyWithin(0, start, end);
      }
      filled = close ? 0 : end - start;
      if (out.length === 1) {
        const r = out[0];
        const w = await conn.write(r);
        if (w < r.length) await writeAll(conn, r.subarray(w));
      } else if (out.length > 1) {
        const total = out.reduce((s, r) => s + r.length, 0);
        if (total <= BATCH_MAX) {
          if (!batch || batch.length < total) batch = new Uint8Array(Math.max(total, 16 * 1024));
          let at = 0;
          for (const r of out) {
            batch.set(r, at);
            at += r.length;
          }
          await writeAll(conn, batch.subarray(0, total));
        } else {
          for (const r of out) await writeAll(conn, r);
        }
      }
      out.length = 0;
      if (close) return;
    }
  } catch {
    // reset by the peer, broken pipe: the connection is over
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
    freeBuffers.push(buf);
  }
}

async function main(): Promise<void> {
  const args = [...Deno.args];
  const p = args.indexOf("--port");
  const port = p >= 0 ? Number(args.splice(p, 2)[1]) : NaN;
  if (args.length !== 1 || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(USAGE);
    Deno.exit(2);
  }
  const root = args[0].replace(/(.)\/+$/, "$1");
  const files = await load(root);
  const listener = Deno.listen({ hostname: "127.0.0.1", port, tcpBacklog: 4096 });
  const addr = listener.addr as Deno.NetAddr;
  console.log(
    `deno-floor listening on http://127.0.0.1:${addr.port}/ (root ${root}, ${files.size} files)`,
  );
  for (;;) {
    let conn: Deno.TcpConn;
    try {
      conn = await listener.accept();
    } catch {
      // EMFILE or a connection reset before it was accepted: pause briefly
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    serve(conn, files);
  }
}

if (import.meta.main) {
  await main();
}
