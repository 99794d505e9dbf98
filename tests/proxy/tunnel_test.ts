/**
 * Upgrades (RFC 9110 §7.8, §15.2.2) through tuxd with a raw backend speaking a made-up
 * protocol: bytes sent early by either side arrive, data flows both ways, a half-close is
 * passed on; a declined upgrade is an ordinary response.
 */
import assert from "node:assert/strict";
import { startTuxd } from "../_util/server.ts";
import { rawBackend, Reader, writeAll } from "./_util.ts";

const dec = new TextDecoder();

function upgradeBackend() {
  return rawBackend(async (conn) => {
    const r = new Reader(conn);
    const head = await r.head();
    if (!head) return;
    const get = (n: string) => head.fields.find(([k]) => k.toLowerCase() === n)?.[1];
    if (head.requestLine.startsWith("GET /decline ")) {
      await writeAll(conn, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\ndeclined");
      return;
    }
    if (get("upgrade") !== "shout" || get("connection") !== "upgrade") {
      await writeAll(conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    await writeAll(
      conn,
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\n" +
        "X-Proto: shout/1\r\n\r\nHELLO",
    );
    // Echo in capitals until the client ends its side, then say goodbye and close.
    while (true) {
      const got = await r.some(65536);
      if (got.length === 0) break;
      await writeAll(conn, dec.decode(got).toUpperCase());
    }
    await writeAll(conn, "BYE");
  });
}

Deno.test("tunnel: a 101 joins client and backend, both ways, half-close passed on", async () => {
  const backend = upgradeBackend();
  const srv = await startTuxd({ root: "examples/site", args: ["--backend", backend.url] });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
  try {
    // The first protocol bytes go right behind the request head.
    await writeAll(
      conn,
      "GET /tunnel HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: shout\r\n\r\nearly|",
    );
    const r = new Reader(conn);
    const h = await r.head();
    assert.equal(h!.requestLine, "HTTP/1.1 101 Switching Protocols");
    const fields = Object.fromEntries(h!.fields.map(([n, v]) => [n.toLowerCase(), v]));
    assert.equal(fields.upgrade, "shout");
    assert.equal(fields.connection, "upgrade");
    assert.equal(fields["x-proto"], "shout/1");
    assert.equal(fields.server, "tuxd");
    assert.equal(dec.decode(await r.bytes(5)), "HELLO", "the backend's early bytes");
    assert.equal(dec.decode(await r.bytes(6)), "EARLY|", "the client's early bytes");
    await writeAll(conn, "penguins");
    assert.equal(dec.decode(await r.bytes(8)), "PENGUINS");
    await conn.closeWrite();
    assert.equal(dec.decode(await r.bytes(3)), "BYE", "the half-close reached the backend");
    assert.ok(await r.closed(5000), "then both ends close");
  } finally {
    conn.close();
    await srv.stop();
    await backend.stop();
  }
});

Deno.test("tunnel: an upgrade the backend declines is an ordinary response", async () => {
  const backend = upgradeBackend();
  const srv = await startTuxd({ root: "examples/site", args: ["--backend", backend.url] });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
  try {
    await writeAll(
      conn,
      "GET /decline HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: shout\r\n\r\n" +
        "GET /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    const r = new Reader(conn);
    assert.equal((await r.head())!.requestLine, "HTTP/1.1 200 OK");
    assert.equal(dec.decode(await r.bytes(8)), "declined");
    const next = await r.head();
    assert.equal(next!.requestLine, "HTTP/1.1 200 OK", "the connection carries on as HTTP");
  } finally {
    conn.close();
    await srv.stop();
    await backend.stop();
  }
});
