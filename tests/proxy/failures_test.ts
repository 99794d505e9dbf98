/**
 * When the backend fails: refused (502), silent (504 after --backend-timeout), a malformed
 * head (502), closing mid-body (the client's connection closes: a cut body is never followed
 * by another response), a broken pooled connection (retried once for idempotent requests
 * only, RFC 9112 §9.3.1), and each failure logged. Also interim responses (RFC 9110 §15.2),
 * a 101 nobody asked for, and 100-continue (RFC 9110 §10.1.1).
 */
import assert from "node:assert/strict";
import { parseResponses, rawExchange, rawRequest, startTuxd, text } from "../_util/server.ts";
import { rawBackend, type RawHead, Reader, sleep, writeAll } from "./_util.ts";

type Script = (conn: Deno.TcpConn, r: Reader, head: RawHead) => Promise<boolean | void>;

/**
 * A backend whose behaviour per request is chosen by the path's first segment; a script
 * returning true keeps the connection for the next request.
 */
function scriptedBackend(scripts: Record<string, Script>) {
  const log: string[] = [];
  const backend = rawBackend(async (conn, n) => {
    const r = new Reader(conn);
    while (true) {
      const head = await r.head();
      if (!head) return;
      const path = head.requestLine.split(" ")[1];
      log.push(`${n} ${head.requestLine.split(" ")[0]} ${path}`);
      const script = scripts[path.split("/")[1]];
      if (!script || !(await script(conn, r, head))) return;
    }
  });
  return { backend, log };
}

const ok = (body: string) =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

/** Per-connection request counters for the "flaky" script. */
const flakyUses = new Map<Deno.TcpConn, number>();

const SCRIPTS: Record<string, Script> = {
  // Never answers; holds the connection open until the test ends it.
  silent: async (_c, r) => {
    await r.closed(20_000);
  },
  malformed: async (c) => {
    await writeAll(c, "HTTP/1.1 200 OK\r\nBad Header\r\n\r\nbody");
  },
  "head-too-large": async (c) => {
    await writeAll(
      c,
      `HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(20_000)}\r\nContent-Length: 0\r\n\r\n`,
    );
  },
  "no-response": async () => {},
  "cut-length": async (c) => {
    await writeAll(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000));
  },
  "cut-chunked": async (c) => {
    await writeAll(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nwo");
  },
  "bad-chunk": async (c) => {
    await writeAll(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n");
  },
  chunked: async (c) => {
    await writeAll(
      c,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nin two\r\n7\r\n pieces\r\n0\r\n\r\n",
    );
    return true;
  },
  "close-delimited": async (c) => {
    await writeAll(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end");
  },
  error: async (c) => {
    await writeAll(
      c,
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 14\r\n\r\nbackend is sad",
    );
    return true;
  },
  // Answers the first request on each connection, then closes on the second without a word.
  flaky: async (c, r, head) => {
    const uses = (flakyUses.get(c) ?? 0) + 1;
    flakyUses.set(c, uses);
    if (uses > 1) return false;
    const cl = head.fields.find(([n]) => n.toLowerCase() === "content-length");
    if (cl) await r.bytes(Number(cl[1]));
    await writeAll(c, ok("fine"));
    return true;
  },
  hints: async (c) => {
    await writeAll(c, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n");
    await sleep(20);
    await writeAll(c, ok("after hints"));
    return true;
  },
  "unasked-101": async (c) => {
    await writeAll(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
  },
  // 100 Continue first, then the body is read and its length reported.
  continue: async (c, r, head) => {
    await writeAll(c, "HTTP/1.1 100 Continue\r\n\r\n");
    const cl = head.fields.find(([n]) => n.toLowerCase() === "content-length")!;
    const body = await r.bytes(Number(cl[1]));
    await writeAll(c, ok(`got ${body.length}`));
    return true;
  },
  // A final answer without reading the body (RFC 9110 §10.1.1: the server may refuse it).
  refuse: async (c) => {
    await writeAll(c, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 8\r\n\r\ntoo much");
  },
};

async function withSetup(
  fn: (srv: Awaited<ReturnType<typeof startTuxd>>, log: string[]) => Promise<void>,
  args: string[] = [],
) {
  const { backend, log } = scriptedBackend(SCRIPTS);
  const srv = await startTuxd({
    root: "examples/site",
    args: ["--backend", backend.url, "--backend-timeout", "1", ...args],
  });
  try {
    await fn(srv, log);
  } finally {
    await srv.stop();
    await backend.stop();
  }
}

const req = (path: string, extra = "") =>
  `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}Connection: close\r\n\r\n`;

Deno.test("backend down: 502 with a short body and a log line", async () => {
  const gone = rawBackend(() => Promise.resolve());
  await gone.stop(); // nothing listens on its port now
  const srv = await startTuxd({ root: "examples/site", args: ["--backend", gone.url] });
  try {
    const [r] = parseResponses(await rawRequest(srv.port, req("/missing")));
    assert.equal(r.status, 502);
    assert.equal(text(r.body), "502 Bad Gateway\n");
    assert.equal(r.headers.get("connection"), "close");
    // The files tuxd has are still served.
    const [page] = parseResponses(await rawRequest(srv.port, req("/index.html")));
    assert.equal(page.status, 200);
    assert.match(
      srv.stderr(),
      /tuxd: backend http:\/\/127\.0\.0\.1:\d+: 502: cannot connect: connection refused \(GET \/missing\)/,
    );
  } finally {
    await srv.stop();
  }
});

Deno.test("backend silent: 504 after --backend-timeout, and the log says so", async () => {
  await withSetup(async (srv) => {
    const t0 = Date.now();
    const [r] = parseResponses(await rawRequest(srv.port, req("/silent")));
    const took = Date.now() - t0;
    assert.equal(r.status, 504);
    assert.equal(text(r.body), "504 Gateway Timeout\n");
    assert.ok(took >= 900 && took < 4000, `answered after ${took} ms`);
    assert.match(srv.stderr(), /504: no response head within 1s \(GET \/silent\)/);
  });
});

Deno.test("backend malformed: a bad head, a head too large, no response: 502", async () => {
  await withSetup(async (srv) => {
    for (const path of ["/malformed", "/head-too-large", "/no-response", "/unasked-101"]) {
      const [r] = parseResponses(await rawRequest(srv.port, req(path)));
      assert.equal(r.status, 502, path);
      assert.equal(text(r.body), "502 Bad Gateway\n");
    }
    const err = srv.stderr();
    assert.match(err, /502: malformed response: bad field line "Bad Header" \(GET \/malformed\)/);
    assert.match(err, /502: malformed response: response head too large/);
    assert.match(err, /502: connection closed without a response \(GET \/no-response\)/);
    assert.match(err, /502: 101 to a request without Upgrade/);
  });
});

Deno.test("backend closes mid-body: the client's connection closes, nothing follows", async () => {
  await withSetup(async (srv) => {
    for (const path of ["/cut-length", "/cut-chunked", "/bad-chunk"]) {
      // Two pipelined requests: the second must not be answered after a cut first response.
      const res = await rawExchange(
        srv.port,
        `GET ${path} HTTP/1.1\r\nHost: t\r\n\r\nGET /index.html HTTP/1.1\r\nHost: t\r\n\r\n`,
      );
      assert.equal(res.timedOut, false, `${path}: tuxd closed the connection`);
      const [r, ...more] = parseResponses(res.bytes, { allowTruncated: true });
      assert.equal(r.status, 200, path);
      assert.equal(more.length, 0, `${path}: no response after the cut one`);
      if (path === "/cut-length") {
        assert.equal(r.headers.get("content-length"), "100000");
        assert.equal(r.body.length, 1000, "what came, and no more");
      } else {
        // The last chunk never comes: a chunked parser sees the cut.
        assert.throws(() => parseResponses(res.bytes), /truncated/, path);
      }
    }
    assert.match(srv.stderr(), /response body cut short.*\(GET \/cut-length\)/);
    assert.match(srv.stderr(), /response body cut short: bad chunk size line/);
  });
});

Deno.test("backend errors pass through unchanged; keep-alive is kept", async () => {
  await withSetup(async (srv) => {
    const raw = await rawRequest(
      srv.port,
      "GET /error HTTP/1.1\r\nHost: t\r\n\r\nGET /error HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    const rs = parseResponses(raw);
    assert.equal(rs.length, 2);
    for (const r of rs) {
      assert.equal(r.status, 503);
      assert.equal(r.headers.get("retry-after"), "7");
      assert.equal(text(r.body), "backend is sad");
    }
    assert.equal(rs[0].headers.get("connection"), undefined, "the client connection persists");
  });
});

Deno.test("unknown length from the backend: chunked to HTTP/1.1, close-delimited to 1.0", async () => {
  await withSetup(async (srv) => {
    const [c] = parseResponses(await rawRequest(srv.port, req("/chunked")));
    assert.equal(c.framing, "chunked");
    assert.equal(text(c.body), "in two pieces");
    const [d] = parseResponses(await rawRequest(srv.port, "GET /chunked HTTP/1.0\r\n\r\n"));
    assert.equal(d.framing, "close");
    assert.equal(text(d.body), "in two pieces");
    const [a] = parseResponses(await rawRequest(srv.port, req("/close-delimited")));
    assert.equal(a.framing, "chunked");
    assert.equal(text(a.body), "until the end");
    const [b] = parseResponses(
      await rawRequest(srv.port, "GET /close-delimited HTTP/1.0\r\n\r\n"),
    );
    assert.equal(b.framing, "close");
    assert.equal(text(b.body), "until the end");
  });
});

Deno.test("a broken pooled connection: idempotent requests retried once, others not", async () => {
  await withSetup(async (srv, log) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    const r = new Reader(conn);
    const exchange = async (request: string) => {
      await writeAll(conn, request);
      const h = await r.head();
      assert.ok(h, "a response");
      const cl = h.fields.find(([n]) => n.toLowerCase() === "content-length")!;
      return { status: Number(h.requestLine.split(" ")[1]), body: await r.bytes(Number(cl[1])) };
    };
    try {
      assert.equal((await exchange("GET /flaky/1 HTTP/1.1\r\nHost: t\r\n\r\n")).status, 200);
      // The pooled connection now closes on the next request: GET is repeated on a new one.
      const again = await exchange("GET /flaky/2 HTTP/1.1\r\nHost: t\r\n\r\n");
      assert.equal(again.status, 200);
      assert.deepEqual(log, ["0 GET /flaky/1", "0 GET /flaky/2", "1 GET /flaky/2"]);
      // POST is not idempotent (RFC 9110 §9.2.2): one try, then 502.
      log.length = 0;
      const post = await exchange(
        "POST /flaky/3 HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi",
      );
      assert.equal(post.status, 502);
      assert.deepEqual(log, ["1 POST /flaky/3"]);
    } finally {
      conn.close();
    }
  });
});

Deno.test("interim responses: 103 passed to HTTP/1.1 clients, not to 1.0", async () => {
  await withSetup(async (srv) => {
    const rs = parseResponses(await rawRequest(srv.port, req("/hints")));
    assert.deepEqual(rs.map((r) => r.status), [103, 200]);
    assert.equal(rs[0].headers.get("link"), "</style.css>; rel=preload");
    assert.equal(text(rs[1].body), "after hints");
    const old = parseResponses(await rawRequest(srv.port, "GET /hints HTTP/1.0\r\n\r\n"));
    assert.deepEqual(old.map((r) => r.status), [200]);
  });
});

Deno.test("100-continue: the backend's 100 starts the body; a refusal comes without it", async () => {
  await withSetup(async (srv) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    const r = new Reader(conn);
    try {
      await writeAll(
        conn,
        "POST /continue HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
      );
      const interim = await r.head();
      assert.equal(interim?.requestLine, "HTTP/1.1 100 Continue", "tuxd invites the body");
      await writeAll(conn, "12345");
      const final = await r.head();
      assert.match(final!.requestLine, /^HTTP\/1\.1 200 /);
      assert.equal(new TextDecoder().decode(await r.bytes(5)), "got 5");
    } finally {
      conn.close();
    }

    // The backend refuses at once: the client hears the refusal and no 100.
    const res = await rawExchange(
      srv.port,
      "POST /refuse HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n",
    );
    const rs = parseResponses(res.bytes);
    assert.deepEqual(rs.map((x) => x.status), [413]);
    assert.equal(text(rs[0].body), "too much");
    assert.equal(res.timedOut, false, "the connection closes: the body was never read");
  });
});

Deno.test("after a forwarded response, an idle keep-alive connection still times out", async () => {
  await withSetup(async (srv) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
    const r = new Reader(conn);
    try {
      await writeAll(conn, "GET /error HTTP/1.1\r\nHost: t\r\n\r\n");
      const h = await r.head();
      assert.match(h!.requestLine, /^HTTP\/1\.1 503 /);
      await r.bytes(14);
      const t0 = Date.now();
      assert.ok(await r.closed(5000), "tuxd closed the idle connection");
      const took = Date.now() - t0;
      assert.ok(took > 500, `closed after ${took} ms, not at once`);
    } finally {
      conn.close();
    }
  }, ["--idle-timeout", "1"]);
});
