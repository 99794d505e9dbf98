/**
 * The strict reader of backend responses (src/proxy/response.ts): heads (RFC 9112 §4, §5),
 * framing (RFC 9112 §6.3), chunked decoding (RFC 9112 §7.1) across arbitrary read splits,
 * and the hop-by-hop filtering of the head passed to the client (src/proxy/relay.ts).
 */
import assert from "node:assert/strict";
import {
  type ByteSource,
  MalformedResponse,
  MAX_RESPONSE_HEAD,
  parseResponseHead,
  ResponseBody,
  type ResponseHead,
  TruncatedResponse,
} from "../../src/proxy/response.ts";
import { clientFraming, passedFields } from "../../src/proxy/relay.ts";

const enc = new TextEncoder();

function head(text: string, method = "GET"): ResponseHead {
  const h = parseResponseHead(enc.encode(text), method);
  assert.ok(h, "complete head");
  return h;
}

Deno.test("response head: status, fields in order, length of the head", () => {
  const text = "HTTP/1.1 201 Created\r\nX-A: 1\r\nx-b:  two words \r\nContent-Length: 3\r\n\r\nabc";
  const h = head(text);
  assert.equal(h.status, 201);
  assert.equal(h.minor, 1);
  assert.deepEqual(h.fields, [["X-A", "1"], ["x-b", "two words"], ["Content-Length", "3"]]);
  assert.equal(h.length, text.length - 3);
  assert.deepEqual(h.framing, { kind: "length", length: 3 });
  assert.equal(h.keepAlive, true);
});

Deno.test("response head: incomplete is null, an empty reason phrase is fine", () => {
  assert.equal(parseResponseHead(enc.encode("HTTP/1.1 200 OK\r\nA: b\r\n"), "GET"), null);
  assert.equal(head("HTTP/1.1 204 \r\n\r\n").status, 204);
  assert.equal(head("HTTP/1.1 204\r\n\r\n").status, 204);
});

Deno.test("response head: malformed heads are rejected, not guessed at", () => {
  const bad = [
    "HTTP/2 200 OK\r\n\r\n",
    "HTTP/1.1 20 OK\r\n\r\n",
    "HTTP/1.1 099 Odd\r\n\r\n",
    "HTTP/1.1 600 Odd\r\n\r\n",
    "ICY 200 OK\r\n\r\n",
    "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
    "HTTP/1.1 200 OK\r\nName : x\r\n\r\n", // RFC 9112 §5.1
    "HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n", // obs-fold, RFC 9112 §5.2
    "HTTP/1.1 200 OK\r\nA: 1\nB: 2\r\n\r\n", // bare LF
    "HTTP/1.1 200 OK\r\nA: x\ry\r\n\r\n", // bare CR
    "HTTP/1.1 200 OK\r\nA: \x00\r\n\r\n",
    "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", // §6.3 (3)
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
    "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", // RFC 9112 §6.1
  ];
  for (const text of bad) {
    assert.throws(
      () => parseResponseHead(enc.encode(text), "GET"),
      MalformedResponse,
      JSON.stringify(text),
    );
  }
});

Deno.test("response head: larger than the limit is malformed, complete or not", () => {
  const big = "HTTP/1.1 200 OK\r\nX: " + "a".repeat(MAX_RESPONSE_HEAD) + "\r\n";
  assert.throws(() => parseResponseHead(enc.encode(big), "GET"), MalformedResponse);
  assert.throws(() => parseResponseHead(enc.encode(big + "\r\n"), "GET"), MalformedResponse);
});

Deno.test("response framing: RFC 9112 §6.3 in order", () => {
  assert.deepEqual(head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD").framing, {
    kind: "none",
  });
  assert.deepEqual(head("HTTP/1.1 204 No Content\r\n\r\n").framing, { kind: "none" });
  assert.deepEqual(head("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n").framing, {
    kind: "none",
  });
  assert.deepEqual(head("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n").framing, {
    kind: "none",
  });
  assert.deepEqual(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n").framing, {
    kind: "chunked",
  });
  assert.deepEqual(head("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n").framing, {
    kind: "length",
    length: 7,
  });
  const close = head("HTTP/1.1 200 OK\r\n\r\n");
  assert.deepEqual(close.framing, { kind: "close" });
  assert.equal(close.keepAlive, false, "close-delimited ends the connection");
});

Deno.test("response keep-alive: HTTP/1.1 unless close; HTTP/1.0 only with keep-alive", () => {
  assert.equal(head("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive, true);
  assert.equal(
    head("HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 0\r\n\r\n").keepAlive,
    false,
  );
  assert.equal(head("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keepAlive, false);
  assert.equal(
    head("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").keepAlive,
    true,
  );
});

/** A byte source that hands out `data` in pieces of `step` bytes. */
class Source implements ByteSource {
  #buf = new Uint8Array(0);
  #pos = 0;
  constructor(private readonly data: Uint8Array, private readonly step: number) {}
  view(): Uint8Array {
    return this.#buf;
  }
  consume(n: number): void {
    this.#buf = this.#buf.slice(n);
  }
  fill(): Promise<boolean> {
    if (this.#pos >= this.data.length) return Promise.resolve(false);
    const piece = this.data.subarray(this.#pos, this.#pos + this.step);
    this.#pos += piece.length;
    const next = new Uint8Array(this.#buf.length + piece.length);
    next.set(this.#buf);
    next.set(piece, this.#buf.length);
    this.#buf = next;
    return Promise.resolve(true);
  }
  get left(): number {
    return this.#buf.length + this.data.length - this.#pos;
  }
}

async function readAll(body: ResponseBody): Promise<string> {
  let out = "";
  for (let p = await body.read(); p !== null; p = await body.read()) {
    out += new TextDecoder().decode(p);
  }
  return out;
}

const CHUNKED = '5\r\nhello\r\n1;ext=1; other="q"\r\n \r\n00006\r\nworld!\r\n0\r\n' +
  "X-Trailer: t\r\n\r\nNEXT";

Deno.test("chunked body: decoded across every read split, trailers dropped, stops at the end", async () => {
  for (const step of [1, 2, 3, 7, 64]) {
    const src = new Source(enc.encode(CHUNKED), step);
    const body = new ResponseBody(src, { kind: "chunked" });
    assert.equal(await readAll(body), "hello world!", `step ${step}`);
    assert.equal(body.done, true);
    // The next message's bytes are left where they are (the connection may be reused).
    const rest = new TextDecoder().decode(src.view());
    assert.ok("NEXT".startsWith(rest) && src.left === 4, `step ${step}: left ${src.left}`);
  }
});

Deno.test("chunked body: bad framing is malformed, an early end is truncation", async () => {
  for (
    const bad of [
      "x\r\n",
      "5\r\nhelloXX",
      "5\nhello\r\n0\r\n\r\n",
      "-1\r\n",
      "fffffffffffffff\r\n",
      "5 ;\r\nhello\r\n0\r\n\r\n".replace(" ;", "\x00"),
    ]
  ) {
    const body = new ResponseBody(new Source(enc.encode(bad), 3), { kind: "chunked" });
    await assert.rejects(readAll(body), MalformedResponse, JSON.stringify(bad));
  }
  const cut = new ResponseBody(new Source(enc.encode("5\r\nhel"), 2), { kind: "chunked" });
  await assert.rejects(readAll(cut), TruncatedResponse);
});

Deno.test("length and close-delimited bodies", async () => {
  const src = new Source(enc.encode("0123456789NEXT"), 4);
  const fixed = new ResponseBody(src, { kind: "length", length: 10 });
  assert.equal(await readAll(fixed), "0123456789");
  assert.equal(src.left, 4, "bytes past Content-Length are not consumed");

  const short = new ResponseBody(new Source(enc.encode("0123"), 3), { kind: "length", length: 10 });
  await assert.rejects(readAll(short), TruncatedResponse);

  const close = new ResponseBody(new Source(enc.encode("all of it"), 2), { kind: "close" });
  assert.equal(await readAll(close), "all of it");

  const none = new ResponseBody(new Source(enc.encode("junk"), 2), { kind: "none" });
  assert.equal(await readAll(none), "");
});

Deno.test("relay: hop-by-hop, Date, Server and length fields are not passed on", () => {
  const h = head(
    "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2001 00:00:00 GMT\r\nServer: app/1\r\n" +
      "Connection: X-Private, keep-alive\r\nKeep-Alive: timeout=5\r\nX-Private: 1\r\n" +
      "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n" +
      "Upgrade: h2c\r\nProxy-Connection: x\r\nContent-Type: text/plain\r\n\r\n",
  );
  assert.equal(
    passedFields(h),
    "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Type: text/plain\r\n",
  );
  const ws = head(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
  );
  assert.equal(
    passedFields(ws),
    "Upgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
  );
});

Deno.test("relay: the client's framing follows the backend's and the client's version", () => {
  const cl = head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
  assert.deepEqual(clientFraming(cl, 1), {
    lines: "Content-Length: 12\r\n",
    chunked: false,
    closeAfter: false,
  });
  const ch = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  assert.deepEqual(clientFraming(ch, 1), {
    lines: "Transfer-Encoding: chunked\r\n",
    chunked: true,
    closeAfter: false,
  });
  assert.deepEqual(clientFraming(ch, 0), { lines: "", chunked: false, closeAfter: true });
  const headCl = head("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", "HEAD");
  assert.equal(clientFraming(headCl, 1).lines, "Content-Length: 99\r\n", "HEAD keeps the length");
  const noContent = head("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
  assert.equal(clientFraming(noContent, 1).lines, "", "204 never has Content-Length");
});
