/**
 * Header hygiene, checked byte for byte at a raw backend: no hop-by-hop field reaches it
 * (RFC 9110 §7.6.1), one X-Forwarded-For with the real client (a spoofed one replaced, or
 * appended to with --trust-forwarded), Forwarded (RFC 7239) and Via (RFC 9110 §7.6.3), exactly
 * one body framing (RFC 9112 §6); and on the way back, the backend's hop-by-hop fields, Date
 * and Server are replaced by tuxd's own.
 */
import assert from "node:assert/strict";
import { parseResponses, rawRequest, startTuxd, text } from "../_util/server.ts";
import { rawBackend, type RawHead, Reader, writeAll } from "./_util.ts";

interface Seen {
  head: RawHead;
  body: string;
}

/** A backend that records each request (and its body) and answers with fixed odd fields. */
function recordingBackend() {
  const seen: Seen[] = [];
  const backend = rawBackend(async (conn) => {
    const r = new Reader(conn);
    while (true) {
      const head = await r.head();
      if (!head) return;
      const get = (n: string) => head.fields.find(([k]) => k.toLowerCase() === n)?.[1];
      let body: Uint8Array = new Uint8Array(0);
      if (get("transfer-encoding") === "chunked") body = await r.chunked();
      else if (get("content-length")) body = await r.bytes(Number(get("content-length")));
      seen.push({ head, body: new TextDecoder().decode(body) });
      const reply = "hello from the backend";
      await writeAll(
        conn,
        "HTTP/1.1 200 OK\r\nDate: Sat, 01 Jan 2000 00:00:00 GMT\r\nServer: backend/0.1\r\n" +
          "Connection: X-Hop\r\nKeep-Alive: timeout=60\r\nX-Hop: secret\r\n" +
          "Set-Cookie: a=1\r\nX-App: yes\r\nSet-Cookie: b=2\r\n" +
          `Content-Type: text/plain\r\nContent-Length: ${reply.length}\r\n\r\n${reply}`,
      );
    }
  });
  return { backend, seen };
}

const HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"];

function names(h: RawHead): string[] {
  return h.fields.map(([n]) => n.toLowerCase());
}

function all(h: RawHead, name: string): string[] {
  return h.fields.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

Deno.test("hygiene: what the backend sees, and what the client gets back", async (t) => {
  const { backend, seen } = recordingBackend();
  const srv = await startTuxd({ root: "examples/site", args: ["--backend", backend.url] });
  try {
    await t.step("hop-by-hop fields removed, one X-Forwarded-For, spoofs replaced", async () => {
      seen.length = 0;
      const raw = await rawRequest(
        srv.port,
        "GET /app/page?q=1&r=%20 HTTP/1.1\r\nHost: example.test\r\n" +
          "Connection: keep-alive, X-Private, close\r\nX-Private: do not pass\r\n" +
          "Keep-Alive: timeout=9\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n" +
          "Trailer: X-T\r\nUpgrade: h2c\r\nX-Forwarded-For: 6.6.6.6\r\n" +
          "X-Forwarded-For: 7.7.7.7\r\nX-Forwarded-Proto: https\r\n" +
          "X-Forwarded-Host: evil.test\r\nForwarded: for=6.6.6.6\r\nAccept: text/html\r\n" +
          "Cookie: s=1\r\nUser-Agent: hygiene-test\r\n\r\n",
      );
      const [res] = parseResponses(raw);
      assert.equal(res.status, 200);
      assert.equal(seen.length, 1);
      const h = seen[0].head;
      assert.equal(h.requestLine, "GET /app/page?q=1&r=%20 HTTP/1.1", "target as received");
      for (const n of [...HOP, "x-private", "transfer-encoding", "content-length"]) {
        assert.ok(!names(h).includes(n), `${n} reached the backend: ${h.head}`);
      }
      assert.deepEqual(all(h, "x-forwarded-for"), ["127.0.0.1"], "one, the real client");
      assert.deepEqual(all(h, "x-forwarded-proto"), ["http"]);
      assert.deepEqual(all(h, "x-forwarded-host"), ["example.test"]);
      assert.deepEqual(all(h, "forwarded"), [
        `for=127.0.0.1;host=example.test;proto=http;by=127.0.0.1`,
      ]);
      assert.deepEqual(all(h, "via"), ["1.1 tuxd"]);
      assert.deepEqual(all(h, "host"), ["example.test"]);
      // End-to-end fields pass in their order.
      const kept = h.fields.filter(([n]) =>
        ["accept", "cookie", "user-agent"].includes(n.toLowerCase())
      );
      assert.deepEqual(kept, [["Accept", "text/html"], ["Cookie", "s=1"], [
        "User-Agent",
        "hygiene-test",
      ]]);
    });

    await t.step(
      "the response: tuxd's Date, Server and Connection; the rest in order",
      async () => {
        const raw = await rawRequest(
          srv.port,
          "GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        );
        const [res] = parseResponses(raw);
        assert.equal(text(res.body), "hello from the backend");
        const got = res.rawHeaders.map(([n]) => n.toLowerCase());
        assert.equal(res.headers.get("server"), "tuxd");
        assert.notEqual(res.headers.get("date"), "Sat, 01 Jan 2000 00:00:00 GMT");
        assert.equal(res.headers.get("connection"), "close", "tuxd's own, for this client");
        for (const n of ["keep-alive", "x-hop"]) assert.ok(!got.includes(n), `${n} passed`);
        assert.deepEqual(
          res.rawHeaders.filter(([n]) => ["set-cookie", "x-app"].includes(n.toLowerCase())),
          [["Set-Cookie", "a=1"], ["X-App", "yes"], ["Set-Cookie", "b=2"]],
        );
        assert.equal(got.filter((n) => n === "date").length, 1);
        assert.equal(got.filter((n) => n === "server").length, 1);
      },
    );

    await t.step("exactly one framing: Content-Length stays, chunked is re-chunked", async () => {
      seen.length = 0;
      const body = "a=1&b=2";
      await rawRequest(
        srv.port,
        `POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
          `Content-Length: ${body.length}\r\n\r\n${body}` +
          "PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
          "3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: 1\r\n\r\n",
      );
      assert.equal(seen.length, 2);
      const [form, up] = seen;
      assert.deepEqual(all(form.head, "content-length"), ["7"]);
      assert.deepEqual(all(form.head, "transfer-encoding"), []);
      assert.equal(form.body, body);
      assert.deepEqual(all(up.head, "transfer-encoding"), ["chunked"]);
      assert.deepEqual(all(up.head, "content-length"), []);
      assert.equal(up.body, "abcdefg");
    });

    await t.step("an HTTP/1.0 request goes on as HTTP/1.1 with a Host and Via 1.0", async () => {
      seen.length = 0;
      await rawRequest(srv.port, "GET /old HTTP/1.0\r\nUser-Agent: old\r\n\r\n");
      const h = seen[0].head;
      assert.equal(h.requestLine, "GET /old HTTP/1.1");
      assert.deepEqual(all(h, "host"), [`127.0.0.1:${srv.port}`]);
      assert.deepEqual(all(h, "via"), ["1.0 tuxd"]);
    });

    await t.step("an absolute-form target goes on in origin-form with its authority", async () => {
      seen.length = 0;
      await rawRequest(
        srv.port,
        "GET http://example.test:8000/abs?x=1 HTTP/1.1\r\nHost: example.test:8000\r\n" +
          "Connection: close\r\n\r\n",
      );
      const h = seen[0].head;
      assert.equal(h.requestLine, "GET /abs?x=1 HTTP/1.1");
      assert.deepEqual(all(h, "host"), ["example.test:8000"]);
    });

    await t.step("CONNECT and TRACE are never forwarded", async () => {
      seen.length = 0;
      const raw = await rawRequest(
        srv.port,
        "TRACE /nothing HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      );
      assert.equal(parseResponses(raw)[0].status, 405);
      assert.equal(seen.length, 0);
    });
  } finally {
    await srv.stop();
    await backend.stop();
  }
});

Deno.test("hygiene: --trust-forwarded appends to the client's forwarding fields", async () => {
  const { backend, seen } = recordingBackend();
  const srv = await startTuxd({
    root: "examples/site",
    args: ["--backend", backend.url, "--trust-forwarded"],
  });
  try {
    await rawRequest(
      srv.port,
      "GET /t HTTP/1.1\r\nHost: www.example.test\r\nX-Forwarded-For: 203.0.113.9\r\n" +
        "X-Forwarded-Proto: https\r\nForwarded: for=203.0.113.9;proto=https\r\n" +
        "Connection: close\r\n\r\n",
    );
    const h = seen[0].head;
    assert.deepEqual(all(h, "x-forwarded-for"), ["203.0.113.9, 127.0.0.1"]);
    assert.deepEqual(all(h, "x-forwarded-proto"), ["https"]);
    assert.deepEqual(all(h, "forwarded"), [
      "for=203.0.113.9;proto=https",
      "for=127.0.0.1;host=www.example.test;proto=http;by=127.0.0.1",
    ]);
  } finally {
    await srv.stop();
    await backend.stop();
  }
});
