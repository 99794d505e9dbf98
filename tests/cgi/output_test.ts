// The CGI response head (RFC 3875 §6): parsing and the response it calls for.
import assert from "node:assert/strict";
import {
  checkNphStatusLine,
  headEnd,
  parseCgiHead,
  passedFields,
  planResponse,
} from "../../src/cgi/output.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

function head(s: string) {
  const r = parseCgiHead(bytes(s));
  if (r.kind !== "head") throw new Error(`expected a head, got ${JSON.stringify(r)}`);
  return r;
}

function reason(s: string): string {
  const r = parseCgiHead(bytes(s));
  if (r.kind !== "bad") throw new Error(`expected bad, got ${JSON.stringify(r)} for ${s}`);
  return r.reason;
}

Deno.test("headEnd: LF and CRLF line ends, mixed (§6.3, §7.2)", () => {
  assert.equal(headEnd(bytes("A: b\n\nbody")), 6);
  assert.equal(headEnd(bytes("A: b\r\n\r\nbody")), 8);
  assert.equal(headEnd(bytes("A: b\r\n\nbody")), 7);
  assert.equal(headEnd(bytes("A: b\n\r\nbody")), 7);
  assert.equal(headEnd(bytes("A: b\r\nC: d\r\n")), -1);
  assert.equal(headEnd(bytes("A: b\r\r\n")), -1); // a bare CR is not an empty line
});

Deno.test("parseCgiHead: a document response", () => {
  const r = head(
    "Content-Type: text/html\nX-Thing:  a b \nSet-Cookie: a=1\nSet-Cookie: b=2\n\n<p>",
  );
  assert.equal(r.length, 72); // the body "<p>" follows
  assert.deepEqual(r.head, {
    status: null,
    contentType: "text/html",
    location: null,
    contentLength: null,
    fields: [["X-Thing", "a b"], ["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]],
  });
  assert.equal(passedFields(r.head), "X-Thing: a b\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n");
});

Deno.test("parseCgiHead: Status, Location, Content-Length; names in any case", () => {
  const r = head(
    "status: 404 Not Here\r\nLOCATION: https://x.test/a?b#c\r\ncontent-length: 12\r\n\r\n",
  );
  assert.equal(r.head.status, 404);
  assert.equal(r.head.location, "https://x.test/a?b#c");
  assert.equal(r.head.contentLength, 12);
  assert.equal(head("Status: 204\n\n").head.status, 204); // reason phrase optional
});

Deno.test("parseCgiHead: connection fields and tuxd's own are dropped, not passed", () => {
  const r = head(
    "Content-Type: a/b\nConnection: close\nTransfer-Encoding: chunked\nKeep-Alive: 5\n" +
      "Date: x\nServer: evil\nUpgrade: h2c\nX-CGI-Thing: 1\nVary: Cookie\n\n",
  );
  assert.deepEqual(r.head.fields, [["Vary", "Cookie"]]);
});

Deno.test("parseCgiHead: an empty value is no field (§6.3)", () => {
  assert.equal(head("Content-Type: a/b\nLocation:\n\n").head.location, null);
  assert.match(reason("Content-Type:\n\n"), /no Content-Type, Location or Status/);
});

Deno.test("parseCgiHead: not a CGI response", () => {
  assert.match(reason("Hello, world!\n\nbody"), /not a header field/);
  assert.match(reason("\nbody"), /no Content-Type, Location or Status/);
  assert.match(reason("X-Only: other\n\n"), /no Content-Type/);
  assert.match(reason("Content-Type: a/b\n continued\n\n"), /not a header field/);
  assert.match(reason("Content-Type : a/b\n\n"), /bad field name/);
  assert.match(reason("Content-Type: a/b\nContent-Type: c/d\n\n"), /twice/);
  assert.match(reason("Status: 200\nStatus: 200\n\n"), /twice/);
  assert.match(reason("Status: 99 Low\n\n"), /bad Status/);
  assert.match(reason("Status: 100 Continue\n\n"), /bad Status/);
  assert.match(reason("Status: 600\n\n"), /bad Status/);
  assert.match(reason("Status: OK\n\n"), /bad Status/);
  assert.match(reason("Location: relative/path\n\n"), /neither a local path/);
  assert.match(reason("Location: /a b\n\n"), /neither a local path/);
  assert.match(reason("Content-Type: a/b\nContent-Length: -1\n\n"), /bad Content-Length/);
  assert.match(reason("Content-Type: a/b\nContent-Length: 1\nContent-Length: 2\n\n"), /conflict/);
  assert.match(reason("Content-Type: a/b\nX: a\x01b\n\n"), /control character/);
  assert.equal(parseCgiHead(bytes("Content-Type: a/b\n")).kind, "incomplete");
});

Deno.test("planResponse: the four response types of §6.2", () => {
  // §6.2.2 local redirect: a path and nothing else.
  assert.deepEqual(planResponse(head("Location: /x?y\n\n").head, false), {
    kind: "local-redirect",
    target: "/x?y",
  });
  // §6.2.3 client redirect: 302.
  assert.deepEqual(planResponse(head("Location: http://a.test/\n\n").head, false), {
    kind: "document",
    status: 302,
    body: true,
    length: null,
  });
  // §6.2.4 client redirect with document, another status.
  const r = head("Location: http://a.test/\nStatus: 301 Moved\nContent-Type: t/h\n\n");
  assert.equal((planResponse(r.head, false) as { status: number }).status, 301);
  // A local path with a Status is passed on to the client (Location may be relative).
  assert.equal(
    (planResponse(head("Status: 303 See\nLocation: /done\n\n").head, false) as { status: number })
      .status,
    303,
  );
  // §6.2.1 document: 200 unless Status.
  assert.deepEqual(planResponse(head("Content-Type: t/p\nContent-Length: 3\n\n").head, false), {
    kind: "document",
    status: 200,
    body: true,
    length: 3,
  });
});

Deno.test("planResponse: no body for HEAD, 204 and 304", () => {
  const doc = head("Content-Type: t/p\nContent-Length: 3\n\n").head;
  assert.deepEqual(planResponse(doc, true), {
    kind: "document",
    status: 200,
    body: false,
    length: 3,
  });
  const noContent = head("Status: 204\nContent-Length: 3\n\n").head;
  assert.deepEqual(planResponse(noContent, false), {
    kind: "document",
    status: 204,
    body: false,
    length: null, // RFC 9110 §8.6: never Content-Length in a 204
  });
  assert.equal(
    (planResponse(head("Status: 304\n\n").head, false) as { body: boolean }).body,
    false,
  );
});

Deno.test("checkNphStatusLine: an HTTP/1.x status line first (§5.2)", () => {
  assert.equal(checkNphStatusLine(bytes("HTTP/1.1 200 OK\r\n")), "ok");
  assert.equal(checkNphStatusLine(bytes("HTTP/1.0 299 Custom Thing\n")), "ok");
  assert.equal(checkNphStatusLine(bytes("HTTP/1.1 200")), "incomplete");
  assert.equal(checkNphStatusLine(bytes("Content-Type: text/plain\n")), "bad");
  assert.equal(checkNphStatusLine(bytes("HTTP/2 200\n")), "bad");
  assert.equal(checkNphStatusLine(bytes("HTTP/1.1 099 Low\n")), "bad");
});
