/**
 * CGI/1.1 through the real launcher (RFC 3875): meta-variables, request bodies on stdin, the
 * response types of §6.2, invalid output (502), Content-Length that does not match, NPH,
 * framing on persistent and HTTP/1.0 connections, and stderr in the error log.
 */
import assert from "node:assert/strict";
import { parseResponses, rawRequest, startTuxd, text } from "../_util/server.ts";
import { exchange, latin1, openTempDir, PROGRAM_UID, sharedDir, writeScripts } from "./_util.ts";

const SH = "#!/bin/sh\n";

const SCRIPTS: Record<string, string> = {
  "env.sh": `${SH}printf 'Content-Type: text/plain\\n\\n'\nexec env\n`,
  "id.sh": `${SH}printf 'Content-Type: text/plain\\n\\n%s\\n' "$(id -u)"\n`,
  "method.sh": `${SH}printf 'Content-Type: text/plain\\nX-Method: %s\\n\\n%s body\\n' ` +
    `"$REQUEST_METHOD" "$REQUEST_METHOD"\n`,
  "echo.sh": `${SH}printf 'Content-Type: application/octet-stream\\nX-Content-Length: %s\\n\\n' ` +
    `"\${CONTENT_LENGTH-unset}"\nexec cat\n`,
  "status.sh": `${SH}printf 'Status: 201 Created\\nContent-Type: text/plain\\nX-A: 1\\n` +
    `Set-Cookie: a=1\\nSet-Cookie: b=2\\nConnection: close\\n\\ncreated\\n'\n`,
  "nocontent.sh": `${SH}printf 'Status: 204 No Content\\n\\n'\n`,
  "local.sh": `${SH}printf 'Location: /hello.txt\\n\\n'\n`,
  "local-cgi.sh": `${SH}printf 'Location: /cgi-bin/method.sh?from=redirect\\n\\n'\n`,
  "loop.sh": `${SH}printf 'Location: /cgi-bin/loop.sh\\n\\n'\n`,
  "remote.sh": `${SH}printf 'Location: https://example.test/elsewhere\\n\\n'\n`,
  "garbage.sh": `${SH}echo "this is not a CGI response"\necho\necho body\n`,
  "silent.sh": `${SH}exit 0\n`,
  "nohead.sh": `${SH}printf 'Content-Type: text/plain\\n'\n`,
  "bighead.sh": `${SH}i=0\nwhile [ $i -lt 400 ]; do printf 'X-Pad-%s: %s\\n' $i ` +
    `0123456789012345678901234567890123456789; i=$((i+1)); done\n` +
    `printf 'Content-Type: text/plain\\n\\nbody'\n`,
  "twice.sh": `${SH}printf 'Content-Type: text/plain\\nContent-Type: text/html\\n\\nx'\n`,
  "short.sh": `${SH}printf 'Content-Type: text/plain\\nContent-Length: 100\\n\\n0123456789'\n`,
  "surplus.sh": `${SH}printf 'Content-Type: text/plain\\nContent-Length: 5\\n\\n0123456789'\n`,
  "exact.sh": `${SH}printf 'Content-Type: text/plain\\nContent-Length: 10\\n\\n0123456789'\n`,
  "crlf.sh": `${SH}printf 'Content-Type: text/plain\\r\\nX-Crlf: yes\\r\\n\\r\\ncrlf body'\n`,
  "nph-raw.sh": `${SH}printf 'HTTP/1.1 299 Custom Thing\\r\\nContent-Type: text/plain\\r\\n` +
    `X-Nph: yes\\r\\n\\r\\nraw body'\n`,
  "nph-bad.sh": `${SH}printf 'Content-Type: text/plain\\n\\nnot nph'\n`,
  "stderr.sh": `${SH}echo "warning-from-script one" >&2\necho "second line" >&2\n` +
    `printf 'Content-Type: text/plain\\n\\nok'\n`,
  "fail.sh": `${SH}printf 'Content-Type: text/plain\\n\\npartial'\nexit 3\n`,
};

Deno.test("CGI/1.1 protocol through tuxd", async (t) => {
  const base = await openTempDir("tuxd-cgi-proto-");
  const site = `${base}/site`;
  const cgi = `${base}/cgi`;
  await Deno.mkdir(site);
  await Deno.mkdir(cgi);
  await Deno.writeTextFile(`${site}/hello.txt`, "hello from the static side\n");
  await writeScripts(cgi, SCRIPTS);
  await Deno.writeTextFile(`${cgi}/notes.txt`, "#!/bin/sh\necho SOURCE\n"); // not executable
  const marks = await sharedDir(base, "marks");
  const srv = await startTuxd({
    root: site,
    args: [
      "--cgi",
      `/cgi-bin/=${cgi}`,
      "--cgi-env",
      `/cgi-bin/=FIXED_SETTING=from config`,
      "--cgi-env",
      `/cgi-bin/=MARKS=${marks}`,
    ],
    // Must not reach any program: tuxd's own environment stays with tuxd.
    env: { TUXD_TEST_SECRET: "leaked" },
  });
  const url = (p: string) => new URL(p, srv.url);
  const one = async (request: string) => {
    const raw = await rawRequest(srv.port, request);
    const rs = parseResponses(raw, { headRequests: request.startsWith("HEAD") ? [0] : [] });
    assert.equal(rs.length, 1, `one response to ${JSON.stringify(request)}`);
    return rs[0];
  };
  try {
    await t.step("meta-variables (§4.1) and nothing of tuxd's environment", async () => {
      const res = await fetch(url("/cgi-bin/env.sh/extra/p%20q/?a=1&b=%41"), {
        headers: {
          "X-Custom": "yes",
          "Proxy": "http://evil.test:3128",
          "X_Underscore": "sneaky",
          "Authorization": "Basic dTpw",
          "Cookie": "k=v",
        },
      });
      assert.equal(res.status, 200);
      const env = new Map(
        (await res.text()).trim().split("\n").map((
          l,
        ) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      const want: Record<string, string> = {
        GATEWAY_INTERFACE: "CGI/1.1",
        SERVER_SOFTWARE: "tuxd",
        SERVER_NAME: "127.0.0.1",
        SERVER_PORT: String(srv.port),
        SERVER_PROTOCOL: "HTTP/1.1",
        REQUEST_METHOD: "GET",
        REQUEST_URI: "/cgi-bin/env.sh/extra/p%20q/?a=1&b=%41",
        QUERY_STRING: "a=1&b=%41",
        SCRIPT_NAME: "/cgi-bin/env.sh",
        SCRIPT_FILENAME: `${cgi}/env.sh`,
        PATH_INFO: "/extra/p q/",
        PATH_TRANSLATED: `${site}/extra/p q/`,
        DOCUMENT_ROOT: site,
        REMOTE_ADDR: "127.0.0.1",
        REMOTE_HOST: "127.0.0.1",
        HTTP_HOST: `127.0.0.1:${srv.port}`,
        HTTP_X_CUSTOM: "yes",
        HTTP_COOKIE: "k=v",
        FIXED_SETTING: "from config",
        MARKS: marks,
        PATH: "/usr/local/bin:/usr/bin:/bin",
      };
      for (const [k, v] of Object.entries(want)) assert.equal(env.get(k), v, k);
      assert.match(env.get("REMOTE_PORT") ?? "", /^\d+$/);
      for (const k of ["HTTP_PROXY", "HTTP_X_UNDERSCORE", "HTTP_AUTHORIZATION", "AUTH_TYPE"]) {
        assert.ok(!env.has(k), `${k} must not be passed`);
      }
      // Nothing else: no HOME, no TUXD_TEST_SECRET, nothing of the server's environment.
      const allowed = new Set([
        ...Object.keys(want),
        "REMOTE_PORT",
        "HTTP_USER_AGENT",
        "HTTP_ACCEPT",
        "HTTP_ACCEPT_ENCODING",
        "HTTP_ACCEPT_LANGUAGE",
        "HTTP_SEC_FETCH_MODE",
        "PWD", // set by sh itself
      ]);
      const extra = [...env.keys()].filter((k) => !allowed.has(k));
      assert.deepEqual(extra, [], `unexpected variables: ${extra.join(", ")}`);
    });

    await t.step("native programs run as the unprivileged user when tuxd is root", async () => {
      const res = await fetch(url("/cgi-bin/id.sh"));
      assert.equal((await res.text()).trim(), String(PROGRAM_UID));
    });

    await t.step("HEAD runs the program with REQUEST_METHOD=HEAD and drops its body", async () => {
      const r = await one(
        `HEAD /cgi-bin/method.sh HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("x-method"), "HEAD");
      assert.equal(r.body.length, 0);
      const raw = latin1(
        await rawRequest(
          srv.port,
          `HEAD /cgi-bin/method.sh HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
        ),
      );
      assert.ok(!raw.includes("body"), "no body bytes after a HEAD response");
    });

    await t.step("a Content-Length body streams to stdin", async () => {
      const payload = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
      const res = await fetch(url("/cgi-bin/echo.sh"), { method: "POST", body: payload });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-content-length"), "300000");
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), payload);
    });

    await t.step("a chunked body is de-chunked, CONTENT_LENGTH unset, EOF ends it", async () => {
      const r = await one(
        "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n" +
          "Connection: close\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n",
      );
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("x-content-length"), "unset");
      assert.equal(text(r.body), "hello, world");
    });

    await t.step("Expect: 100-continue gets its interim response before the body", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
      try {
        await conn.write(new TextEncoder().encode(
          "POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n" +
            "Expect: 100-continue\r\nConnection: close\r\n\r\n",
        ));
        const buf = new Uint8Array(1024);
        const n = await conn.read(buf);
        assert.match(latin1(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
        await conn.write(new TextEncoder().encode("ping"));
        let rest = "";
        for (let m; (m = await conn.read(buf)) !== null;) rest += latin1(buf.subarray(0, m));
        const [r] = parseResponses(new TextEncoder().encode(rest));
        assert.equal(r.status, 200);
        assert.equal(text(r.body), "ping");
      } finally {
        conn.close();
      }
    });

    await t.step("Status and other fields pass through; connection fields do not", async () => {
      const [r] = parseResponses(
        (await exchange(
          srv.port,
          `GET /cgi-bin/status.sh HTTP/1.1\r\nHost: t\r\n\r\n` +
            `GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
        )).bytes,
      );
      assert.equal(r.status, 201);
      assert.equal(r.headers.get("x-a"), "1");
      assert.equal(r.headers.get("set-cookie"), "a=1\nb=2");
      assert.equal(r.headers.get("content-type"), "text/plain");
      assert.equal(r.headers.get("server"), "tuxd");
      assert.equal(
        r.headers.get("connection"),
        undefined,
        "the program's Connection: close is dropped",
      );
      assert.equal(r.framing, "chunked");
      assert.equal(text(r.body), "created\n");
      const crlf = await one(
        `GET /cgi-bin/crlf.sh HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(crlf.headers.get("x-crlf"), "yes");
      assert.equal(text(crlf.body), "crlf body");
    });

    await t.step("Status: 204 alone is a response without body", async () => {
      const r = await one(
        `GET /cgi-bin/nocontent.sh HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(r.status, 204);
      assert.equal(r.headers.get("content-length"), undefined);
      assert.equal(r.headers.get("transfer-encoding"), undefined);
      assert.equal(r.body.length, 0);
    });

    await t.step("a local Location is served internally (§6.2.2)", async () => {
      const res = await fetch(url("/cgi-bin/local.sh"), { redirect: "manual" });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "hello from the static side\n");
      const cgiRes = await fetch(url("/cgi-bin/local-cgi.sh"), { redirect: "manual" });
      assert.equal(cgiRes.status, 200);
      assert.equal(cgiRes.headers.get("x-method"), "GET");
      // A program redirecting to itself ends at the redirect limit, not in a loop.
      assert.equal((await fetch(url("/cgi-bin/loop.sh"))).status, 500);
    });

    await t.step("an absolute Location is a 302 to the client (§6.2.3)", async () => {
      const res = await fetch(url("/cgi-bin/remote.sh"), { redirect: "manual" });
      await res.body?.cancel();
      assert.equal(res.status, 302);
      assert.equal(res.headers.get("location"), "https://example.test/elsewhere");
    });

    await t.step("output that is not a CGI response is 502, and logged", async () => {
      for (
        const name of [
          "garbage.sh",
          "silent.sh",
          "nohead.sh",
          "bighead.sh",
          "twice.sh",
          "nph-bad.sh",
        ]
      ) {
        const res = await fetch(url(`/cgi-bin/${name}`));
        const body = await res.text();
        assert.equal(res.status, 502, name);
        assert.ok(
          !body.includes("not a CGI") && !body.includes("not nph"),
          `${name}: no program output`,
        );
      }
      assert.match(
        srv.stderr(),
        /cgi \/cgi-bin\/garbage\.sh: invalid response \(502\): not a header field/,
      );
      assert.match(
        srv.stderr(),
        /cgi \/cgi-bin\/bighead\.sh: invalid response \(502\): head longer/,
      );
    });

    await t.step("Content-Length is used for framing but never trusted", async () => {
      const exact = await exchange(
        srv.port,
        `GET /cgi-bin/exact.sh HTTP/1.1\r\nHost: t\r\n\r\n` +
          `GET /cgi-bin/exact.sh HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
      );
      const both = parseResponses(exact.bytes);
      assert.equal(both.length, 2, "the connection carries on after an exact length");
      for (const r of both) {
        assert.equal(r.framing, "content-length");
        assert.equal(text(r.body), "0123456789");
      }
      // Too little: the promised length cannot be kept, so the connection closes short.
      const short = await exchange(srv.port, `GET /cgi-bin/short.sh HTTP/1.1\r\nHost: t\r\n\r\n`);
      assert.ok(short.closed, "closed after a short body");
      const [s] = parseResponses(short.bytes, { allowTruncated: true });
      assert.equal(s.headers.get("content-length"), "100");
      assert.equal(text(s.body), "0123456789");
      // Too much: exactly the promised bytes, then the connection closes.
      const surplus = await exchange(
        srv.port,
        `GET /cgi-bin/surplus.sh HTTP/1.1\r\nHost: t\r\n\r\n`,
      );
      assert.ok(surplus.closed, "closed after surplus output");
      assert.ok(latin1(surplus.bytes).endsWith("\r\n\r\n01234"), latin1(surplus.bytes));
    });

    await t.step(
      "NPH output reaches the client unmodified, then the connection closes",
      async () => {
        const r = await exchange(srv.port, `GET /cgi-bin/nph-raw.sh HTTP/1.1\r\nHost: t\r\n\r\n`);
        assert.ok(r.closed);
        assert.equal(
          latin1(r.bytes),
          "HTTP/1.1 299 Custom Thing\r\nContent-Type: text/plain\r\nX-Nph: yes\r\n\r\nraw body",
        );
      },
    );

    await t.step("persistent HTTP/1.1: chunked responses, one after another", async () => {
      const r = await exchange(
        srv.port,
        `GET /cgi-bin/method.sh HTTP/1.1\r\nHost: t\r\n\r\n` +
          `POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc` +
          `GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n` +
          `GET /cgi-bin/method.sh HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
      );
      const rs = parseResponses(r.bytes);
      assert.deepEqual(rs.map((x) => x.status), [200, 200, 200, 200]);
      assert.deepEqual(rs.map((x) => x.framing), ["chunked", "chunked", "content-length", "close"]);
      assert.equal(text(rs[0].body), "GET body\n");
      assert.equal(text(rs[1].body), "abc");
      assert.equal(text(rs[2].body), "hello from the static side\n");
      assert.equal(rs[3].headers.get("connection"), "close");
    });

    await t.step("HTTP/1.0: the body ends with the connection", async () => {
      const r = await exchange(srv.port, `GET /cgi-bin/method.sh HTTP/1.0\r\n\r\n`);
      assert.ok(r.closed);
      const [x] = parseResponses(r.bytes);
      assert.equal(x.framing, "close");
      assert.equal(x.headers.get("transfer-encoding"), undefined);
      assert.equal(text(x.body), "GET body\n");
    });

    await t.step("stderr lines go to the error log with the script's name", async () => {
      assert.equal(await (await fetch(url("/cgi-bin/stderr.sh"))).text(), "ok");
      assert.equal(await (await fetch(url("/cgi-bin/fail.sh"))).text(), "partial");
      await new Promise((r) => setTimeout(r, 200));
      const log = srv.stderr();
      assert.match(log, /tuxd: cgi \/cgi-bin\/stderr\.sh: warning-from-script one\n/);
      assert.match(log, /tuxd: cgi \/cgi-bin\/stderr\.sh: second line\n/);
      assert.match(log, /tuxd: cgi \/cgi-bin\/fail\.sh: exited with status 3\n/);
    });

    await t.step("what is not a program is 404 and never its source", async () => {
      for (const p of ["/cgi-bin/notes.txt", "/cgi-bin/missing.sh", "/cgi-bin/", "/cgi-bin"]) {
        const res = await fetch(url(p));
        const body = await res.text();
        assert.equal(res.status, 404, p);
        assert.ok(!body.includes("SOURCE"), p);
      }
    });

    await t.step(
      "a program added after launch needs a restart: 404, and the log says so",
      async () => {
        await writeScripts(cgi, { "late.sh": SCRIPTS["method.sh"] });
        const res = await fetch(url("/cgi-bin/late.sh"));
        await res.body?.cancel();
        assert.equal(res.status, 404);
        assert.match(
          srv.stderr(),
          /cgi \/cgi-bin\/late\.sh: .*late\.sh is newer than tuxd; restart/,
        );
      },
    );
  } finally {
    await srv.stop();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("--cgi-pass-auth passes Authorization and AUTH_TYPE", async () => {
  const base = await openTempDir("tuxd-cgi-auth-");
  await writeScripts(base, { "env.sh": SCRIPTS["env.sh"] });
  const srv = await startTuxd({ args: ["--cgi", `/c/=${base}`, "--cgi-pass-auth"] });
  try {
    const res = await fetch(new URL("/c/env.sh", srv.url), {
      headers: { Authorization: "Bearer abc.def" },
    });
    const env = await res.text();
    assert.match(env, /^HTTP_AUTHORIZATION=Bearer abc\.def$/m);
    assert.match(env, /^AUTH_TYPE=Bearer$/m);
  } finally {
    await srv.stop();
    await Deno.remove(base, { recursive: true });
  }
});
