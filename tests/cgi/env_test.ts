// cgiEnv: the RFC 3875 §4.1 meta-variables from one description of a request.
import assert from "node:assert/strict";
import { cgiEnv, type CgiRequestInfo, envValue } from "../../src/cgi/env.ts";

const base: CgiRequestInfo = {
  method: "GET",
  target: "/cgi-bin/env.sh/a/b?x=1&y=%41",
  query: "x=1&y=%41",
  minor: 1,
  fields: [["Host", "example.test:8080"], ["User-Agent", "t/1"]],
  contentLength: -1,
  remoteAddr: "127.0.0.1",
  remotePort: 40000,
  host: "example.test",
  listenHost: "127.0.0.1",
  listenPort: 8080,
  scriptName: "/cgi-bin/env.sh",
  pathInfo: "/a/b",
  scriptFilename: "/srv/cgi-bin/env.sh",
  documentRoot: "/srv/site",
  passAuth: false,
};

Deno.test("cgiEnv: the §4.1 variables of a GET", () => {
  assert.deepEqual(cgiEnv(base), {
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_SOFTWARE: "tuxd",
    SERVER_NAME: "example.test",
    SERVER_PORT: "8080",
    SERVER_PROTOCOL: "HTTP/1.1",
    REQUEST_METHOD: "GET",
    REQUEST_URI: "/cgi-bin/env.sh/a/b?x=1&y=%41",
    QUERY_STRING: "x=1&y=%41",
    SCRIPT_NAME: "/cgi-bin/env.sh",
    SCRIPT_FILENAME: "/srv/cgi-bin/env.sh",
    PATH_INFO: "/a/b",
    PATH_TRANSLATED: "/srv/site/a/b",
    DOCUMENT_ROOT: "/srv/site",
    REMOTE_ADDR: "127.0.0.1",
    REMOTE_HOST: "127.0.0.1",
    REMOTE_PORT: "40000",
    HTTP_HOST: "example.test:8080",
    HTTP_USER_AGENT: "t/1",
  });
});

Deno.test("cgiEnv: NULL variables are unset (§4.1), QUERY_STRING is always set (§4.1.7)", () => {
  const env = cgiEnv({ ...base, query: null, pathInfo: "", minor: 0 });
  assert.equal(env.QUERY_STRING, "");
  assert.equal(env.PATH_INFO, "");
  assert.equal(env.SERVER_PROTOCOL, "HTTP/1.0");
  for (const name of ["PATH_TRANSLATED", "CONTENT_LENGTH", "CONTENT_TYPE", "AUTH_TYPE"]) {
    assert.ok(!(name in env), `${name} must be unset`);
  }
  for (const name of ["REMOTE_USER", "REMOTE_IDENT"]) assert.ok(!(name in env), name);
});

Deno.test("cgiEnv: the body's length and type come from CONTENT_*, not HTTP_*", () => {
  const env = cgiEnv({
    ...base,
    method: "POST",
    contentLength: 11,
    fields: [["Content-Type", "text/plain"], ["Content-Length", "11"], ["Host", "h"]],
  });
  assert.equal(env.CONTENT_LENGTH, "11");
  assert.equal(env.CONTENT_TYPE, "text/plain");
  assert.ok(!("HTTP_CONTENT_TYPE" in env) && !("HTTP_CONTENT_LENGTH" in env));
  // Content-Length: 0 is a body of no bytes, and says so (§4.1.2).
  assert.equal(cgiEnv({ ...base, contentLength: 0 }).CONTENT_LENGTH, "0");
  // A chunked body's length is not known in advance: unset, the program reads to EOF.
  assert.ok(!("CONTENT_LENGTH" in cgiEnv({ ...base, method: "POST", contentLength: -1 })));
});

Deno.test("cgiEnv: withheld fields (httpoxy, credentials, hop-by-hop, '_' in names)", () => {
  const env = cgiEnv({
    ...base,
    fields: [
      ["Proxy", "http://evil.test:3128"],
      ["Authorization", "Basic dTpw"],
      ["Proxy-Authorization", "Basic dTpw"],
      ["Connection", "keep-alive"],
      ["Transfer-Encoding", "chunked"],
      ["TE", "trailers"],
      ["Expect", "100-continue"],
      ["X_Forwarded_For", "10.0.0.1"],
      ["X-Forwarded-For", "192.0.2.1"],
    ],
  });
  for (
    const name of [
      "HTTP_PROXY",
      "HTTP_AUTHORIZATION",
      "HTTP_PROXY_AUTHORIZATION",
      "HTTP_CONNECTION",
      "HTTP_TRANSFER_ENCODING",
      "HTTP_TE",
      "HTTP_EXPECT",
      "AUTH_TYPE",
    ]
  ) assert.ok(!(name in env), `${name} must not be set`);
  // Only the field spelled with "-" reaches the variable; the "_" one cannot pose as it.
  assert.equal(env.HTTP_X_FORWARDED_FOR, "192.0.2.1");
});

Deno.test("cgiEnv: --cgi-pass-auth passes Authorization and its scheme", () => {
  const env = cgiEnv({ ...base, passAuth: true, fields: [["authorization", "Basic dTpw"]] });
  assert.equal(env.HTTP_AUTHORIZATION, "Basic dTpw");
  assert.equal(env.AUTH_TYPE, "Basic");
});

Deno.test("cgiEnv: repeated fields become one value (§4.1.18)", () => {
  const env = cgiEnv({
    ...base,
    fields: [["Accept", "text/html"], ["Cookie", "a=1"], ["accept", "*/*"], ["Cookie", "b=2"]],
  });
  assert.equal(env.HTTP_ACCEPT, "text/html, */*");
  assert.equal(env.HTTP_COOKIE, "a=1; b=2");
});

Deno.test("cgiEnv: SERVER_NAME falls back to the listening address", () => {
  assert.equal(cgiEnv({ ...base, host: "" }).SERVER_NAME, "127.0.0.1");
  assert.equal(cgiEnv({ ...base, host: "", listenHost: "::1" }).SERVER_NAME, "[::1]");
});

Deno.test("envValue: UTF-8 request bytes arrive unchanged", () => {
  // "é" sent as UTF-8 is two bytes, read as two latin1 characters.
  const sent = "\xc3\xa9";
  assert.equal(envValue(sent), "é");
  assert.deepEqual([...new TextEncoder().encode(envValue(sent))], [0xc3, 0xa9]);
  assert.equal(envValue("plain"), "plain");
  // Not UTF-8: kept as ISO-8859-1 text (§7.2).
  assert.equal(envValue("\xe9"), "é");
});
