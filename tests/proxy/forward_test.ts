/**
 * The forwarded request head (src/proxy/forward.ts): hop-by-hop fields out (RFC 9110 §7.6.1),
 * exactly one framing (RFC 9112 §6), forwarding fields replaced or appended (RFC 7239), Via
 * (RFC 9110 §7.6.3), origin-form and Host (RFC 9112 §3.2).
 */
import assert from "node:assert/strict";
import { forwardHead, type ForwardInput } from "../../src/proxy/forward.ts";

function input(over: Partial<ForwardInput> = {}): ForwardInput {
  return {
    method: "GET",
    target: "/app?x=1",
    minor: 1,
    fields: [["Host", "example.test"], ["Accept", "*/*"]],
    authority: null,
    framing: { kind: "none" },
    upgrade: null,
    client: { hostname: "192.0.2.7" },
    server: { hostname: "127.0.0.1", port: 8080 },
    trustForwarded: false,
    ...over,
  };
}

/** [request line, field lines as [name, value]] of a head. */
function parse(head: string): [string, [string, string][]] {
  assert.ok(head.endsWith("\r\n\r\n"), "head ends with an empty line");
  const [line, ...rest] = head.slice(0, -4).split("\r\n");
  return [
    line,
    rest.map((l) => {
      const i = l.indexOf(": ");
      assert.ok(i > 0, `field line ${JSON.stringify(l)}`);
      return [l.slice(0, i), l.slice(i + 2)];
    }),
  ];
}

function values(fields: [string, string][], name: string): string[] {
  return fields.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

Deno.test("forward: method, target and fields as received, in order, as HTTP/1.1", () => {
  const [line, fields] = parse(forwardHead(input({
    method: "PROPFIND",
    fields: [["Host", "example.test"], ["X-B", "2"], ["x-a", "1"], ["Cookie", "a=b; c=d"]],
  })));
  assert.equal(line, "PROPFIND /app?x=1 HTTP/1.1");
  assert.deepEqual(fields.slice(0, 4), [
    ["Host", "example.test"],
    ["X-B", "2"],
    ["x-a", "1"],
    ["Cookie", "a=b; c=d"],
  ]);
});

Deno.test("forward: hop-by-hop fields and every field Connection names are removed", () => {
  const [, fields] = parse(forwardHead(input({
    fields: [
      ["Host", "h"],
      ["Connection", "keep-alive, X-Secret"],
      ["connection", "Foo ,  bar"],
      ["Keep-Alive", "timeout=5"],
      ["Proxy-Connection", "keep-alive"],
      ["TE", "trailers"],
      ["Trailer", "X-T"],
      ["Upgrade", "h2c"],
      ["X-Secret", "s"],
      ["foo", "1"],
      ["Bar", "2"],
      ["X-Kept", "yes"],
    ],
  })));
  const names = fields.map(([n]) => n.toLowerCase());
  for (
    const gone of [
      "connection",
      "keep-alive",
      "proxy-connection",
      "te",
      "trailer",
      "upgrade",
      "x-secret",
      "foo",
      "bar",
      "transfer-encoding",
    ]
  ) assert.ok(!names.includes(gone), `${gone} removed`);
  assert.deepEqual(values(fields, "x-kept"), ["yes"]);
});

Deno.test("forward: Host survives a Connection line naming it", () => {
  const [, fields] = parse(forwardHead(input({
    fields: [["Host", "example.test"], ["Connection", "Host"]],
  })));
  assert.deepEqual(values(fields, "host"), ["example.test"]);
});

Deno.test("forward: exactly one framing: Content-Length, chunked, or none", () => {
  const cl = parse(forwardHead(input({
    method: "POST",
    fields: [["Host", "h"], ["Content-Length", "11"]],
    framing: { kind: "length", length: 11 },
  })))[1];
  assert.deepEqual(values(cl, "content-length"), ["11"]);
  assert.deepEqual(values(cl, "transfer-encoding"), []);

  const ch = parse(forwardHead(input({
    method: "POST",
    fields: [["Host", "h"], ["Transfer-Encoding", "chunked"]],
    framing: { kind: "chunked" },
  })))[1];
  assert.deepEqual(values(ch, "transfer-encoding"), ["chunked"]);
  assert.deepEqual(values(ch, "content-length"), []);

  const none = parse(forwardHead(input()))[1];
  assert.deepEqual(values(none, "transfer-encoding"), []);
  assert.deepEqual(values(none, "content-length"), []);

  const zero = parse(forwardHead(input({
    method: "POST",
    fields: [["Host", "h"], ["Content-Length", "0"]],
    framing: { kind: "length", length: 0 },
  })))[1];
  assert.deepEqual(values(zero, "content-length"), ["0"], "an empty POST still says so");
});

Deno.test("forward: client-sent forwarding fields are replaced by default", () => {
  const [, fields] = parse(forwardHead(input({
    fields: [
      ["Host", "example.test"],
      ["X-Forwarded-For", "6.6.6.6"],
      ["x-forwarded-for", "7.7.7.7"],
      ["X-Forwarded-Proto", "https"],
      ["X-Forwarded-Host", "evil.test"],
      ["Forwarded", "for=6.6.6.6"],
    ],
  })));
  assert.deepEqual(values(fields, "x-forwarded-for"), ["192.0.2.7"]);
  assert.deepEqual(values(fields, "x-forwarded-proto"), ["http"]);
  assert.deepEqual(values(fields, "x-forwarded-host"), ["example.test"]);
  assert.deepEqual(values(fields, "forwarded"), [
    "for=192.0.2.7;host=example.test;proto=http;by=127.0.0.1",
  ]);
});

Deno.test("forward: --trust-forwarded keeps them and appends this hop", () => {
  const [, fields] = parse(forwardHead(input({
    trustForwarded: true,
    fields: [
      ["Host", "example.test"],
      ["X-Forwarded-For", "203.0.113.1"],
      ["X-Forwarded-For", "198.51.100.2, 198.51.100.3"],
      ["X-Forwarded-Proto", "https"],
      ["X-Forwarded-Host", "www.example.test"],
      ["Forwarded", "for=203.0.113.1;proto=https"],
    ],
  })));
  assert.deepEqual(values(fields, "x-forwarded-for"), [
    "203.0.113.1, 198.51.100.2, 198.51.100.3, 192.0.2.7",
  ]);
  assert.deepEqual(values(fields, "x-forwarded-proto"), ["https"]);
  assert.deepEqual(values(fields, "x-forwarded-host"), ["www.example.test"]);
  assert.deepEqual(values(fields, "forwarded"), [
    "for=203.0.113.1;proto=https",
    "for=192.0.2.7;host=example.test;proto=http;by=127.0.0.1",
  ]);
});

Deno.test("forward: IPv6 and host:port are quoted in Forwarded (RFC 7239 §6)", () => {
  const [, fields] = parse(forwardHead(input({
    fields: [["Host", "[::1]:8080"]],
    client: { hostname: "2001:db8::5" },
    server: { hostname: "::1", port: 8080 },
  })));
  assert.deepEqual(values(fields, "forwarded"), [
    'for="[2001:db8::5]";host="[::1]:8080";proto=http;by="[::1]"',
  ]);
  assert.deepEqual(values(fields, "x-forwarded-for"), ["2001:db8::5"]);
});

Deno.test("forward: Via names the client's protocol and keeps an earlier Via", () => {
  const one = parse(forwardHead(input({ fields: [["Host", "h"], ["Via", "1.1 cdn"]] })))[1];
  assert.deepEqual(values(one, "via"), ["1.1 cdn", "1.1 tuxd"]);
  const zero = parse(forwardHead(input({ minor: 0 })))[1];
  assert.deepEqual(values(zero, "via"), ["1.0 tuxd"]);
});

Deno.test("forward: absolute-form authority becomes Host; HTTP/1.0 without Host gets one", () => {
  const abs = parse(forwardHead(input({
    authority: "example.test:81",
    fields: [["Host", "ignored.test"]],
  })))[1];
  assert.deepEqual(values(abs, "host"), ["example.test:81"]);
  const old = parse(forwardHead(input({ minor: 0, fields: [["Accept", "*/*"]] })))[1];
  assert.deepEqual(values(old, "host"), ["127.0.0.1:8080"]);
  assert.equal(old[0][0], "Host", "Host first");
});

Deno.test("forward: an HTTP/1.0 Expect is not turned into an HTTP/1.1 one", () => {
  const zero = parse(forwardHead(input({
    minor: 0,
    fields: [["Host", "h"], ["Expect", "100-continue"]],
  })))[1];
  assert.deepEqual(values(zero, "expect"), []);
  const one = parse(forwardHead(input({ fields: [["Host", "h"], ["Expect", "100-continue"]] })))[1];
  assert.deepEqual(values(one, "expect"), ["100-continue"], "HTTP/1.1: the backend decides");
});

Deno.test("forward: an upgrade request carries Upgrade and Connection: upgrade only", () => {
  const [, fields] = parse(forwardHead(input({
    fields: [
      ["Host", "h"],
      ["Connection", "Upgrade, keep-alive"],
      ["Upgrade", "websocket"],
      ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
      ["Sec-WebSocket-Version", "13"],
    ],
    upgrade: "websocket",
  })));
  assert.deepEqual(values(fields, "upgrade"), ["websocket"]);
  assert.deepEqual(values(fields, "connection"), ["upgrade"]);
  assert.deepEqual(values(fields, "sec-websocket-key"), ["dGhlIHNhbXBsZSBub25jZQ=="]);
});
