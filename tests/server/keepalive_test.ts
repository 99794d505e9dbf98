/**
 * Persistent connections (RFC 9112 §9.3): HTTP/1.1 persists unless told otherwise, HTTP/1.0
 * only with `Connection: keep-alive`, `Connection: close` is honoured, and an idle connection
 * is closed after --idle-timeout.
 */
import assert from "node:assert/strict";
import { startTuxd, text } from "../_util/server.ts";
import {
  afterHead,
  bytes,
  Client,
  concat,
  get,
  pseudoRandom,
  readInto,
  sleep,
  tempSite,
  withClient,
} from "./_helpers.ts";

const A = "alpha file\n";
const B = "<p>bravo</p>\n";

async function site() {
  return await tempSite({ "a.txt": A, "b.html": B });
}

Deno.test("tuxd keeps an HTTP/1.1 connection open by default", async () => {
  const s = await site();
  const srv = await startTuxd({ root: s.root });
  try {
    await withClient(srv.port, async (c) => {
      // The first request takes the slow path (cache miss), the next ones the fast path.
      for (let i = 0; i < 4; i++) {
        const from = c.total;
        await c.write(get(i % 2 ? "/b.html" : "/a.txt"));
        const [r] = await c.responses(1, { from });
        assert.equal(r.status, 200);
        assert.equal(text(r.body), i % 2 ? B : A);
        assert.equal(r.headers.get("connection"), undefined, "no Connection field needed");
      }
      // A 404 keeps the connection too.
      const from = c.total;
      await c.write(get("/missing"));
      const [r] = await c.responses(1, { from });
      assert.equal(r.status, 404);
      assert.equal(await c.closedWithin(500), false, "the connection stays open");
    });
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd closes an HTTP/1.0 connection by default", async () => {
  const s = await site();
  const srv = await startTuxd({ root: s.root });
  try {
    // Twice: the slow path first, then the object cache's fast path.
    for (let i = 0; i < 2; i++) {
      await withClient(srv.port, async (c) => {
        await c.write("GET /a.txt HTTP/1.0\r\n\r\n");
        const [r] = await c.responses(1);
        assert.equal(r.status, 200);
        assert.equal(text(r.body), A);
        assert.notEqual(r.headers.get("connection")?.toLowerCase(), "keep-alive");
        assert.ok(await c.closedWithin(2000), `HTTP/1.0 connection #${i} not closed`);
        assert.equal(c.total, r.end, "nothing after the response");
      });
    }
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd keeps an HTTP/1.0 connection with Connection: keep-alive", async () => {
  const s = await site();
  const srv = await startTuxd({ root: s.root });
  try {
    await withClient(srv.port, async (c) => {
      for (let i = 0; i < 4; i++) {
        const from = c.total;
        const path = ["/a.txt", "/b.html", "/missing", "/a.txt"][i];
        await c.write(`GET ${path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`);
        const [r] = await c.responses(1, { from });
        assert.equal(r.status, path === "/missing" ? 404 : 200, path);
        assert.equal(r.headers.get("connection")?.toLowerCase(), "keep-alive", `${path} #${i}`);
        assert.ok(r.headers.has("content-length"), "a persistent 1.0 response needs a length");
      }
      // HEAD on the same connection: the head only, and still open.
      const from = c.total;
      await c.write("HEAD /b.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      const [h] = await c.responses(1, { from, heads: [0] });
      assert.equal(h.status, 200);
      assert.equal(h.headers.get("content-length"), String(B.length));
      assert.equal(await c.closedWithin(300), false, "the connection stays open");
      assert.equal(c.total, from + h.end, "HEAD sent no body");
    });
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd honours Connection: close", async () => {
  const s = await site();
  const srv = await startTuxd({ root: s.root });
  try {
    const cases: [string, string][] = [
      ["first request (slow path)", get("/a.txt", "Connection: close\r\n")],
      ["cached file (fast path)", get("/a.txt", "Connection: close\r\n")],
      ["other tokens too", get("/b.html", "Connection: foo, CLOSE\r\n")],
      ["404", get("/missing", "Connection: close\r\n")],
      ["HTTP/1.0 close", "GET /a.txt HTTP/1.0\r\nConnection: close\r\n\r\n"],
    ];
    for (const [what, req] of cases) {
      await withClient(srv.port, async (c) => {
        // A second pipelined request after the close must not be answered.
        await c.write(req + get("/b.html"));
        const [r] = await c.responses(1);
        assert.ok(r.status === 200 || r.status === 404, what);
        assert.equal(r.headers.get("connection")?.toLowerCase(), "close", what);
        assert.ok(await c.closedWithin(2000), `${what}: not closed`);
        assert.equal(c.total, r.end, `${what}: bytes after the last response`);
      });
    }
    // On a connection that already served requests.
    await withClient(srv.port, async (c) => {
      await c.write(get("/a.txt") + get("/b.html"));
      await c.responses(2);
      const from = c.total;
      await c.write(get("/a.txt", "Connection: close\r\n"));
      const [r] = await c.responses(1, { from });
      assert.equal(r.headers.get("connection"), "close");
      assert.ok(await c.closedWithin(2000), "not closed after the third request");
    });
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd closes an idle keep-alive connection after --idle-timeout", async () => {
  const s = await site();
  const srv = await startTuxd({ root: s.root, args: ["--idle-timeout", "1"] });
  try {
    const c = await Client.open(srv.port);
    const busy = await Client.open(srv.port);
    try {
      await c.write(get("/a.txt"));
      await c.responses(1);
      const t0 = Date.now();
      // Another connection that keeps sending requests every 300 ms is not idle.
      let keepGoing = true;
      const active = (async () => {
        let n = 0;
        while (keepGoing && !busy.eof) {
          const from = busy.total;
          await busy.write(get("/b.html"));
          await busy.responses(1, { from });
          n++;
          await sleep(300);
        }
        return n;
      })();
      assert.equal(await c.closedWithin(700), false, "closed before the idle timeout");
      assert.ok(await c.closedWithin(3000), "idle connection not closed within 3.7 s");
      const idle = Date.now() - t0;
      assert.ok(idle >= 900, `closed after ${idle} ms of idleness, timeout is 1 s`);
      assert.equal(c.total, c.received.length);
      keepGoing = false;
      const n = await active;
      assert.equal(busy.eof, false, "the active connection was closed as idle");
      assert.ok(n >= 3, `only ${n} requests on the active connection`);
    } finally {
      await c.close();
      await busy.close();
    }
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd delivers the whole response before closing on unread input", async () => {
  // RFC 9112 §9.6: closing a socket that still holds unread client bytes makes the kernel
  // send a reset, which can destroy the end of the last response before the client read it;
  // a server closes in stages (half-close, drain, close).
  const big = pseudoRandom(2 * 1024 * 1024, 11);
  const s = await tempSite({ "big.bin": big, "a.txt": A });
  const srv = await startTuxd({ root: s.root, args: ["--discard-body-max", "1K"] });
  try {
    const cases: [string, string, Uint8Array][] = [
      [
        "Connection: close and a stray CRLF",
        get("/big.bin", "Connection: close\r\n"),
        bytes("\r\n"),
      ],
      [
        "Connection: close and a pipelined request",
        get("/big.bin", "Connection: close\r\n"),
        bytes(get("/a.txt")),
      ],
      ["HTTP/1.0 and a pipelined request", "GET /big.bin HTTP/1.0\r\n\r\n", bytes(get("/a.txt"))],
      [
        "a body over --discard-body-max",
        get("/big.bin", "Content-Length: 100000\r\n"),
        new Uint8Array(100_000),
      ],
    ];
    for (const [what, head, after] of cases) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
      const parts: Uint8Array[] = [];
      let error = "";
      try {
        await conn.write(bytes(head));
        await sleep(50);
        try {
          await conn.write(after);
        } catch {
          // the server may have closed its side already
        }
        // A client busy elsewhere: it reads only after the server has written everything.
        await sleep(500);
        await readInto(conn, parts, 5000);
      } catch (e) {
        error = (e as Error).name;
      } finally {
        conn.close();
      }
      const body = afterHead(concat(parts));
      assert.ok(
        body.length === big.length,
        `${what}: ${body.length} of ${big.length} body bytes arrived${error ? ` (${error})` : ""}`,
      );
      assert.ok(body.every((b, i) => b === big[i]), `${what}: body differs`);
    }
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd answers a request whose body it does not read before the body has all come", async () => {
  const s = await site();
  const srv = await startTuxd({ root: s.root });
  try {
    await withClient(srv.port, async (c) => {
      // POST to a static file: 405, whatever the body. Only 100 of 50,000 bytes are sent yet.
      await c.write("POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n");
      await c.write(new Uint8Array(100));
      const [r] = await c.responses(1, { timeoutMs: 2000 });
      assert.equal(r.status, 405);
      // The rest of the body is dropped, and the connection carries the next request.
      const from = c.total;
      await c.write(new Uint8Array(49_900));
      await c.write(get("/a.txt"));
      const [next] = await c.responses(1, { from });
      assert.equal(next.status, 200);
      assert.equal(text(next.body), A);
    });
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd's lingering close waits while a slow reader still sends, and never resets it", async () => {
  // The client reads the last response slowly and keeps sending a byte now and then; the
  // server, done writing, drains input until the client is silent (or closes), then closes.
  const big = pseudoRandom(5 * 1024 * 1024, 12);
  const s = await tempSite({ "big.bin": big });
  const srv = await startTuxd({ root: s.root });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
  const parts: Uint8Array[] = [];
  let error = "";
  try {
    await conn.write(bytes(get("/big.bin", "Connection: close\r\n")));
    await readInto(conn, parts, 6000, async () => {
      await conn.write(bytes("x"));
      await sleep(100);
    });
    await conn.closeWrite();
    await readInto(conn, parts, 5000);
  } catch (e) {
    error = (e as Error).name;
  } finally {
    conn.close();
    await srv.stop();
    await s.cleanup();
  }
  assert.equal(error, "", "the connection was reset");
  assert.equal(afterHead(concat(parts)).length, big.length, "body cut short");
});
