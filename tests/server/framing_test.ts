/**
 * Message framing (RFC 9112 §6–§7, issue 3): request bodies on static targets are discarded
 * and the connection stays in sync, or it closes; every ambiguous or invalid framing is
 * rejected and the connection closed; the size limits answer 413/414/431; Expect, CONNECT,
 * TRACE, the request-target forms and method case.
 */
import assert from "node:assert/strict";
import { type ParsedResponse, startTuxd, text, type Tuxd } from "../_util/server.ts";
import { Client, get, sleep, splitResponses, str, type TempSite, tempSite } from "./_helpers.ts";

const A = "file a\n";
const B = "file b\n";

interface Outcome {
  rs: ParsedResponse[];
  /** The server closed the connection (EOF or reset) within the wait. */
  closed: boolean;
  raw: string;
}

/**
 * Writes each of `parts` (latin1) with a short pause between them, then waits up to `waitMs`
 * for the server to close; returns the strictly parsed responses.
 */
async function exchange(
  port: number,
  parts: string | string[],
  opts: { waitMs?: number; heads?: number[] } = {},
): Promise<Outcome> {
  const c = await Client.open(port);
  try {
    const list = typeof parts === "string" ? [parts] : parts;
    for (let i = 0; i < list.length; i++) {
      if (i > 0) await sleep(30);
      try {
        await c.write(list[i]);
      } catch {
        break; // the server closed already; what it sent is the answer
      }
    }
    const closed = await c.closedWithin(opts.waitMs ?? 3000);
    const raw = c.received;
    const { responses, rest } = splitResponses(raw, new Set(opts.heads ?? []), closed);
    assert.equal(rest, raw.length, `incomplete response: ${JSON.stringify(str(raw))}`);
    return { rs: responses, closed, raw: str(raw) };
  } finally {
    await c.close();
  }
}

/** The response to a rejected request: `status`, Connection: close, closed, nothing more. */
function assertRejected(o: Outcome, status: number, what: string) {
  assert.equal(o.rs.length, 1, `${what}: ${o.rs.length} responses: ${JSON.stringify(o.raw)}`);
  assert.equal(o.rs[0].status, status, `${what}: ${JSON.stringify(o.raw)}`);
  assert.equal(o.rs[0].headers.get("connection"), "close", `${what}: Connection field`);
  assert.ok(o.closed, `${what}: the connection stayed open`);
}

/** Two 200s with bodies A and B: the body between them was skipped exactly. */
function assertInSync(o: Outcome, what: string) {
  assert.deepEqual(o.rs.map((r) => r.status), [200, 200], `${what}: ${JSON.stringify(o.raw)}`);
  assert.equal(text(o.rs[0].body), A, what);
  assert.equal(text(o.rs[1].body), B, what);
  assert.ok(o.closed, `${what}: not closed after Connection: close`);
}

const LAST = get("/b.txt", "Connection: close\r\n");

async function withServer(
  args: string[],
  fn: (srv: Tuxd, s: TempSite) => Promise<void>,
  files: Record<string, string> = {},
) {
  const s = await tempSite({ "a.txt": A, "b.txt": B, "secret.txt": "SECRET\n", ...files });
  const srv = await startTuxd({ root: s.root, args });
  try {
    await fn(srv, s);
  } finally {
    await srv.stop();
    await s.cleanup();
  }
}

Deno.test("tuxd discards a Content-Length body on GET and answers the next request", async () => {
  await withServer([], async (srv) => {
    for (let round = 0; round < 2; round++) { // cold, then cached
      assertInSync(
        await exchange(srv.port, get("/a.txt", "Content-Length: 5\r\n") + "hello" + LAST),
        "body in the same write",
      );
      assertInSync(
        await exchange(srv.port, [
          get("/a.txt", "Content-Length: 11\r\n"),
          "hel",
          "lo world",
          LAST,
        ]),
        "body in later writes",
      );
      // The body looks like a request: it must not be taken for one (no smuggling).
      const smuggled = get("/secret.txt");
      const o = await exchange(
        srv.port,
        get("/a.txt", `Content-Length: ${smuggled.length}\r\n`) + smuggled + LAST,
      );
      assertInSync(o, "request-shaped body");
      assert.ok(!o.raw.includes("SECRET"));
      assertInSync(
        await exchange(srv.port, get("/a.txt", "Content-Length: 0\r\n") + LAST),
        "Content-Length: 0",
      );
      assertInSync(
        await exchange(srv.port, get("/a.txt", "Content-Length: 3, 3\r\n") + "abc" + LAST),
        "identical Content-Length list",
      );
      // Larger than the connection's input slot (--max-head + 4 KiB): read in several fills.
      const big = "b".repeat(60_000);
      assertInSync(
        await exchange(srv.port, get("/a.txt", `Content-Length: ${big.length}\r\n`) + big + LAST),
        "a 60 000-byte body",
      );
      assertInSync(
        await exchange(srv.port, [
          get("/a.txt", "Transfer-Encoding: chunked\r\n") + "7530\r\n" + big.slice(0, 15_000),
          big.slice(0, 15_000) + "\r\n2710\r\n" + big.slice(0, 10_000) + "\r\n0\r\n\r\n",
          LAST,
        ]),
        "a 40 000-byte chunked body",
      );
      // Other methods with a body get their answer and the body is skipped too.
      const p = await exchange(
        srv.port,
        get("/a.txt", "Content-Length: 4\r\n", "POST") + "body" + LAST,
      );
      assert.deepEqual(p.rs.map((r) => r.status), [405, 200]);
      assert.equal(text(p.rs[1].body), B);
    }
  });
});

Deno.test("tuxd discards a chunked body with extensions and trailers", async () => {
  await withServer([], async (srv) => {
    const body = '5;ext=1;quoted="a b"\r\nhello\r\n' + "A ; x\r\n" + "0123456789\r\n" +
      "0;last\r\nX-Trailer: one\r\nX-Other: two\r\n\r\n";
    const te = "Transfer-Encoding: chunked\r\n";
    assertInSync(await exchange(srv.port, get("/a.txt", te) + body + LAST), "one write");
    // Split at every awkward place: inside the size, the CRLFs, the trailer.
    const parts = [get("/a.txt", te)];
    for (let i = 0; i < body.length; i += 7) parts.push(body.slice(i, i + 7));
    parts.push(LAST);
    assertInSync(await exchange(srv.port, parts), "split in 7-byte writes");
    assertInSync(
      await exchange(
        srv.port,
        get("/a.txt", "Transfer-Encoding: Chunked\r\n") + "0\r\n\r\n" + LAST,
      ),
      "empty chunked body, coding name in another case",
    );
    const smuggled = get("/secret.txt");
    const o = await exchange(
      srv.port,
      get("/a.txt", te) + `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n` + LAST,
    );
    assertInSync(o, "request-shaped chunk");
    assert.ok(!o.raw.includes("SECRET"));
  });
});

Deno.test("tuxd answers and closes when a body exceeds --discard-body-max", async () => {
  await withServer(["--discard-body-max", "1K"], async (srv) => {
    assertInSync(
      await exchange(srv.port, get("/a.txt", "Content-Length: 1000\r\n") + "x".repeat(1000) + LAST),
      "a body within the limit",
    );
    const cases: [string, string[]][] = [
      ["Content-Length body", [get("/a.txt", "Content-Length: 5000\r\n"), "x".repeat(5000) + LAST]],
      ["Content-Length body, head only", [get("/a.txt", "Content-Length: 5000\r\n")]],
      [
        "chunked body",
        [get("/a.txt", "Transfer-Encoding: chunked\r\n"), "800\r\n" + "y".repeat(2048) + "\r\n"],
      ],
    ];
    for (const [what, parts] of cases) {
      const o = await exchange(srv.port, parts);
      assert.equal(o.rs.length, 1, `${what}: ${JSON.stringify(o.raw)}`);
      assert.equal(o.rs[0].status, 200, what);
      assert.equal(text(o.rs[0].body), A, what);
      assert.ok(o.closed, `${what}: the connection stayed open`);
    }
  });
});

Deno.test("tuxd rejects ambiguous or invalid Content-Length and Transfer-Encoding", async () => {
  await withServer([], async (srv) => {
    const cl = (v: string) => get("/a.txt", `Content-Length: ${v}\r\n`) + "hello" + LAST;
    const te = (v: string) => get("/a.txt", `Transfer-Encoding: ${v}\r\n`) + "0\r\n\r\n" + LAST;
    const cases: [string, string, number][] = [
      [
        "CL + TE",
        get("/a.txt", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n" + LAST,
        400,
      ],
      [
        "TE + CL",
        get("/a.txt", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") + "0\r\n\r\n" + LAST,
        400,
      ],
      [
        "two differing CLs",
        get("/a.txt", "Content-Length: 5\r\nContent-Length: 6\r\n") + LAST,
        400,
      ],
      ["differing CL list", cl("5, 6"), 400],
      ["CL +5", cl("+5"), 400],
      ["CL -5", cl("-5"), 400],
      ["CL 0x10", cl("0x10"), 400],
      ["CL 4 2", cl("4 2"), 400],
      ["CL empty", get("/a.txt", "Content-Length:\r\n") + LAST, 400],
      ["CL 5.0", cl("5.0"), 400],
      ["CL 5a", cl("5a"), 400],
      ["CL ,5", cl(",5"), 400],
      ["CL 5,", cl("5,"), 400],
      ["TE gzip, chunked", te("gzip, chunked"), 501],
      [
        "TE gzip then chunked lines",
        get("/a.txt", "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n" +
        LAST,
        501,
      ],
      ["TE chunked, gzip", te("chunked, gzip"), 400],
      ["TE chunked, chunked", te("chunked, chunked"), 400],
      ["TE gzip", te("gzip"), 400],
      ["TE identity", te("identity"), 400],
      ["TE empty", get("/a.txt", "Transfer-Encoding:\r\n") + LAST, 400],
      [
        "TE chunked on HTTP/1.0",
        "GET /a.txt HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + LAST,
        400,
      ],
    ];
    for (const [what, req, status] of cases) {
      assertRejected(await exchange(srv.port, req), status, what);
    }
  });
});

Deno.test("tuxd closes on a malformed chunked body and never answers past it", async () => {
  await withServer([], async (srv) => {
    const cases: [string, string][] = [
      ["chunk size not hex", "zz\r\nhello\r\n0\r\n\r\n"],
      ["empty chunk size", "\r\nhello\r\n0\r\n\r\n"],
      ["size with a sign", "+5\r\nhello\r\n0\r\n\r\n"],
      ["data not followed by CRLF", "5\r\nhelloXX\r\n0\r\n\r\n"],
      ["data followed by LF only", "5\r\nhello\n0\r\n\r\n"],
      ["size line ends in bare LF", "5\nhello\r\n0\r\n\r\n"],
      ["size overflows", "fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"],
      ["trailer line starting with whitespace", "0\r\n obs-fold: x\r\n\r\n"],
      ["trailer with a bare CR", "0\r\nX-T: a\rb\r\n\r\n"],
      ["final CRLF missing its LF", "0\r\n\rX"],
    ];
    await assertMalformedBodies(srv.port, cases);
  });
});

/**
 * Each chunked body in `cases`, sent after a static GET's head and followed by another
 * request: one response, then the connection ends. A static GET is answered before its body
 * is read, so the answer is the file (or 400 had the body been read first); what matters is
 * that the framing is abandoned with the connection, never guessed at.
 */
async function assertMalformedBodies(port: number, cases: [string, string][]) {
  const problems: string[] = [];
  for (const [what, body] of cases) {
    const o = await exchange(port, [get("/a.txt", "Transfer-Encoding: chunked\r\n") + body, LAST]);
    if (o.rs.length !== 1) problems.push(`${what}: ${o.rs.length} responses`);
    else if (o.rs[0].status !== 200 && o.rs[0].status !== 400) {
      problems.push(`${what}: status ${o.rs[0].status}`);
    } else if (o.rs[0].status === 400 && o.rs[0].headers.get("connection") !== "close") {
      problems.push(`${what}: 400 without Connection: close`);
    }
    if (!o.closed) problems.push(`${what}: the connection stayed open`);
  }
  assert.deepEqual(problems, [], problems.join("\n"));
}

Deno.test("tuxd rejects malformed chunk extensions and trailer field lines", async () => {
  // RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
  // RFC 9112 §7.1.2: trailer-section = *( field-line CRLF ), field-line = field-name ":" ...
  await withServer([], async (srv) => {
    await assertMalformedBodies(srv.port, [
      ["chunk extension without ';'", "5 xyz\r\nhello\r\n0\r\n\r\n"],
      ["chunk extension with an empty name", "5;\r\nhello\r\n0\r\n\r\n"],
      ["chunk extension name not a token", "5;a@b\r\nhello\r\n0\r\n\r\n"],
      ["trailer line without a colon", "0\r\nbad trailer\r\n\r\n"],
      ["whitespace before the trailer colon", "0\r\nX-T : v\r\n\r\n"],
      ["non-token trailer name", "0\r\nX(T): v\r\n\r\n"],
    ]);
  });
});

Deno.test("tuxd enforces --max-body, --max-line, --max-head and --max-fields", async () => {
  const args = ["--max-body", "1K", "--max-line", "1K", "--max-head", "4K", "--max-fields", "10"];
  await withServer(args, async (srv) => {
    // --max-body: a Content-Length over it is refused before any body byte is read.
    assertRejected(
      await exchange(srv.port, get("/a.txt", "Content-Length: 1025\r\n") + "x".repeat(1025) + LAST),
      413,
      "Content-Length over --max-body",
    );
    assertRejected(
      await exchange(srv.port, get("/a.txt", "Content-Length: 99999999999999999999999\r\n") + LAST),
      413,
      "Content-Length beyond 64 bits",
    );
    assertInSync(
      await exchange(srv.port, get("/a.txt", "Content-Length: 1024\r\n") + "x".repeat(1024) + LAST),
      "Content-Length at --max-body",
    );
    // A chunked body over it: the file was already answered; the connection must end.
    const o = await exchange(srv.port, [
      get("/a.txt", "Transfer-Encoding: chunked\r\n") + "400\r\n" + "x".repeat(1024) + "\r\n",
      "1\r\nx\r\n0\r\n\r\n" + LAST,
    ]);
    assert.equal(o.rs.length, 1, `chunked over --max-body: ${JSON.stringify(o.raw)}`);
    assert.ok([200, 413].includes(o.rs[0].status), `chunked over --max-body: ${o.rs[0].status}`);
    assert.ok(o.closed, "chunked over --max-body: the connection stayed open");

    // --max-line: "GET " + target + " HTTP/1.1" is the line, CRLF excluded.
    const at = "/" + "a".repeat(1024 - 13 - 1);
    const atLimit = await exchange(srv.port, get(at, "Connection: close\r\n"));
    assert.equal(atLimit.rs[0]?.status, 404, "a request line of exactly --max-line");
    assertRejected(await exchange(srv.port, get(at + "a") + LAST), 414, "line over --max-line");
    assertRejected(
      await exchange(srv.port, `GET /${"a".repeat(3000)}`),
      414,
      "unfinished line over --max-line",
    );

    // --max-head: the whole head.
    const field = (n: number) => `X-Fill: ${"f".repeat(n)}\r\n`;
    const base = get("/a.txt", "Connection: close\r\n" + field(0)).length;
    const fits = await exchange(
      srv.port,
      get("/a.txt", "Connection: close\r\n" + field(4096 - base)),
    );
    assert.equal(fits.rs[0]?.status, 200, "a head of exactly --max-head");
    assertRejected(
      await exchange(srv.port, get("/a.txt", "Connection: close\r\n" + field(4097 - base))),
      431,
      "head one byte over --max-head",
    );
    assertRejected(
      await exchange(srv.port, get("/a.txt", field(5000))),
      431,
      "a field over --max-head",
    );
    assertRejected(
      await exchange(srv.port, "GET /a.txt HTTP/1.1\r\nHost: t\r\n" + field(5000)),
      431,
      "unfinished head over --max-head",
    );

    // --max-fields: Host + Connection + 8 = 10 is fine, one more is not.
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-F${i}: ${i}\r\n`).join("");
    const ten = await exchange(srv.port, get("/a.txt", "Connection: close\r\n" + fields(8)));
    assert.equal(ten.rs[0]?.status, 200, "exactly --max-fields fields");
    assertRejected(
      await exchange(srv.port, get("/a.txt", "Connection: close\r\n" + fields(9))),
      431,
      "one field over --max-fields",
    );
  });
});

Deno.test("tuxd does not send 100 Continue for a static GET and stays in sync", async () => {
  await withServer([], async (srv) => {
    // The client waits for 100 Continue before sending its body.
    const c = await Client.open(srv.port);
    try {
      await c.write(get("/a.txt", "Expect: 100-continue\r\nContent-Length: 10\r\n"));
      const [r] = await c.responses(1, { timeoutMs: 2000 });
      assert.ok(!str(c.received).startsWith("HTTP/1.1 100"), "100 Continue was sent");
      assert.equal(r.status, 200);
      assert.equal(text(r.body), A);
      if (!(await c.closedWithin(1000))) {
        // Still open: the body must be skipped and the next request answered.
        const from = c.total;
        await c.write("0123456789" + LAST);
        const [n] = await c.responses(1, { from });
        assert.equal(text(n.body), B, "out of sync after Expect: 100-continue");
      } else {
        assert.equal(r.headers.get("connection"), "close", "closed without saying so");
      }
    } finally {
      await c.close();
    }
    // The body sent right away anyway.
    const o = await exchange(
      srv.port,
      get("/a.txt", "Expect: 100-continue\r\nContent-Length: 5\r\n") + "hello" + LAST,
    );
    assert.ok(o.rs.length >= 1 && o.rs.every((r) => r.status === 200), JSON.stringify(o.raw));
    assert.equal(text(o.rs[0].body), A);
    if (o.rs.length === 2) assert.equal(text(o.rs[1].body), B);
    else assert.equal(o.rs[0].headers.get("connection"), "close");
    // Any other expectation: 417.
    const x = await exchange(
      srv.port,
      get("/a.txt", "Expect: the-unexpected\r\nConnection: close\r\n"),
    );
    assert.equal(x.rs[0]?.status, 417);
  });
});

Deno.test("tuxd refuses CONNECT and TRACE and never echoes the request", async () => {
  await withServer([], async (srv) => {
    const cases: [string, string][] = [
      [
        "TRACE",
        "TRACE /a.txt HTTP/1.1\r\nHost: t\r\nX-Secret: s3cr3t-value\r\nCookie: c00kie\r\n\r\n",
      ],
      ["TRACE *", "TRACE * HTTP/1.1\r\nHost: t\r\nX-Secret: s3cr3t-value\r\n\r\n"],
      [
        "CONNECT authority",
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nX-Secret: s3cr3t-value\r\n\r\n",
      ],
      [
        "CONNECT loopback",
        `CONNECT 127.0.0.1:${srv.port} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`,
      ],
      ["CONNECT path", "CONNECT /a.txt HTTP/1.1\r\nHost: t\r\nX-Secret: s3cr3t-value\r\n\r\n"],
    ];
    for (const [what, req] of cases) {
      // Tunnel bytes after the request: they must not reach anything.
      const o = await exchange(srv.port, [req, get("/secret.txt", "Connection: close\r\n")]);
      const r = o.rs[0];
      assert.ok(r, `${what}: no response`);
      assert.ok([400, 405, 501].includes(r.status), `${what}: ${r.status}`);
      assert.ok(!o.raw.includes("s3cr3t") && !o.raw.includes("c00kie"), `${what}: echoed`);
      assert.ok(!/^TRACE|^CONNECT/m.test(text(r.body)), `${what}: echoed the request line`);
      assert.notEqual(r.headers.get("content-type"), "message/http", what);
      if (r.status === 405) assert.ok(r.headers.get("allow"), `${what}: 405 without Allow`);
      // No tunnel: what follows is a fresh request on the same connection (or nothing).
      if (o.rs.length === 2) assert.equal(text(o.rs[1].body), "SECRET\n", what);
      assert.ok(o.rs.length <= 2, what);
    }
  });
});

Deno.test("tuxd accepts the asterisk form only with OPTIONS", async () => {
  await withServer([], async (srv) => {
    const o = await exchange(
      srv.port,
      "OPTIONS * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert.equal(o.rs[0]?.status, 204, o.raw);
    assert.ok((o.rs[0].headers.get("allow") ?? "").includes("GET"));
    assert.equal(o.rs[0].body.length, 0);
    for (const m of ["GET", "HEAD", "POST"]) {
      const r = await exchange(srv.port, `${m} * HTTP/1.1\r\nHost: t\r\n\r\n` + LAST, {
        heads: m === "HEAD" ? [0] : [],
      });
      assert.equal(r.rs[0]?.status, 400, `${m} *: ${r.raw}`);
      assert.equal(r.rs.length, 1, `${m} *: answered past the 400`);
    }
    const bad = await exchange(srv.port, "OPTIONS *x HTTP/1.1\r\nHost: t\r\n\r\n");
    assert.equal(bad.rs[0]?.status, 400, "OPTIONS *x");
  });
});

Deno.test("tuxd lets an absolute-form target's authority override Host", async () => {
  // With --vhosts the host selects the files, which makes the override visible.
  const files = {
    "a.example/x.txt": "site A\n",
    "b.example/x.txt": "site B\n",
    "default/x.txt": "default site\n",
  };
  await withServer(["--vhosts"], async (srv) => {
    const cases: [string, string, string][] = [
      ["/x.txt", "b.example", "site B\n"],
      ["http://a.example/x.txt", "b.example", "site A\n"],
      ["http://a.example:8080/x.txt", "b.example", "site A\n"],
      ["HTTP://A.EXAMPLE/x.txt", "b.example", "site A\n"],
      ["http://b.example/x.txt", "a.example", "site B\n"],
      ["http://unknown.example/x.txt", "a.example", "default site\n"],
    ];
    for (let round = 0; round < 2; round++) { // cold, then cached
      for (const [target, host, body] of cases) {
        const o = await exchange(
          srv.port,
          `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        );
        assert.equal(o.rs[0]?.status, 200, `${target} Host: ${host}: ${o.raw}`);
        assert.equal(text(o.rs[0].body), body, `${target} with Host: ${host}`);
      }
    }
  }, files);
  await withServer([], async (srv) => {
    const o = await exchange(
      srv.port,
      "GET http://elsewhere/a.txt?q HTTP/1.1\r\nHost: t\r\n\r\n" + LAST,
    );
    assertInSync(o, "absolute-form without --vhosts");
  });
});

Deno.test("tuxd treats method names case-sensitively", async () => {
  await withServer([], async (srv) => {
    for (const m of ["get", "Get", "gET", "head", "HEAd", "options", "post"]) {
      const o = await exchange(
        srv.port,
        `${m} /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(o.rs[0]?.status, 501, `${m}: ${o.raw}`);
      assert.ok(!o.raw.includes(A), `${m}: served the file`);
    }
    const ok = await exchange(srv.port, get("/a.txt", "Connection: close\r\n"));
    assert.equal(text(ok.rs[0].body), A);
  });
});
