/**
 * Pipelining (RFC 9112 §9.3.2): requests sent back to back are answered in order, HEAD
 * responses carry no body, a head can arrive a byte at a time, and responses to pipelined
 * requests are written out together rather than one small write each.
 */
import assert from "node:assert/strict";
import { startTuxd, text } from "../_util/server.ts";
import { Client, get, tempSite, withClient } from "./_helpers.ts";

const FILES: Record<string, string> = {
  "index.html": "<!doctype html><title>index</title>\n",
  "style.css": "body { color: #123456 }\n",
  "app.js": "console.log('app');\n",
};
for (let i = 0; i < 50; i++) FILES[`n/${i}.txt`] = `file number ${i} ${"#".repeat(i)}\n`;

Deno.test("tuxd answers a GET, a HEAD and a GET sent in one write, in order", async () => {
  const s = await tempSite(FILES);
  const srv = await startTuxd({ root: s.root });
  try {
    // Twice: all cache misses, then all hits.
    for (const round of ["cold", "warm"]) {
      await withClient(srv.port, async (c) => {
        await c.write(
          get("/index.html") + get("/style.css", "", "HEAD") +
            get("/app.js", "Connection: close\r\n"),
        );
        const rs = await c.responses(3, { heads: [1] });
        assert.ok(await c.closedWithin(2000), `${round}: not closed after Connection: close`);
        assert.deepEqual(rs.map((r) => r.status), [200, 200, 200]);
        assert.equal(text(rs[0].body), FILES["index.html"]);
        assert.equal(rs[1].headers.get("content-type"), "text/css; charset=utf-8");
        assert.equal(rs[1].headers.get("content-length"), String(FILES["style.css"].length));
        assert.equal(rs[1].body.length, 0);
        assert.equal(text(rs[2].body), FILES["app.js"]);
        assert.equal(rs[2].start, rs[1].end, `${round}: the HEAD response carried a body`);
        assert.equal(c.total, rs[2].end, `${round}: bytes after the last response`);
      });
    }
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd answers 50 pipelined requests in order", async () => {
  const s = await tempSite(FILES);
  const srv = await startTuxd({ root: s.root });
  try {
    for (const round of ["cold", "warm", "mixed"]) {
      await withClient(srv.port, async (c) => {
        let req = "";
        const want: [number, string | null][] = [];
        for (let i = 0; i < 50; i++) {
          // The mixed round interleaves misses (404s, HEADs) with cache hits.
          if (round === "mixed" && i % 7 === 3) {
            req += get(`/n/missing-${i}`);
            want.push([404, null]);
          } else {
            req += get(`/n/${i}.txt`);
            want.push([200, FILES[`n/${i}.txt`]]);
          }
        }
        await c.write(req);
        const rs = await c.responses(50, { timeoutMs: 10_000 });
        for (let i = 0; i < 50; i++) {
          assert.equal(rs[i].status, want[i][0], `${round} #${i}`);
          if (want[i][1] !== null) assert.equal(text(rs[i].body), want[i][1], `${round} #${i}`);
          if (i > 0) assert.equal(rs[i].start, rs[i - 1].end);
        }
        assert.equal(await c.closedWithin(200), false, "connection closed after the pipeline");
        assert.equal(c.total, rs[49].end, "extra bytes after the 50th response");
      });
    }
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd assembles a request head sent one byte per write", async () => {
  const s = await tempSite(FILES);
  const srv = await startTuxd({ root: s.root });
  try {
    await withClient(srv.port, async (c) => {
      c.conn.setNoDelay(true);
      const req = get("/style.css", "Accept: */*\r\nUser-Agent: trickle\r\n") + get("/app.js");
      await c.trickle(req, 1, 2);
      const rs = await c.responses(2);
      assert.deepEqual(rs.map((r) => text(r.body)), [FILES["style.css"], FILES["app.js"]]);
      // The next request split at awkward places: inside CRLF CRLF, and head + next head.
      const from = c.total;
      const two = get("/index.html") + get("/n/7.txt");
      const cuts = [5, two.indexOf("\r\n\r\n") + 1, two.indexOf("\r\n\r\n") + 3, two.length - 2];
      let prev = 0;
      for (const cut of [...cuts, two.length]) {
        await c.write(two.slice(prev, cut));
        prev = cut;
        await new Promise((r) => setTimeout(r, 20));
      }
      const more = await c.responses(2, { from });
      assert.equal(text(more[0].body), FILES["index.html"]);
      assert.equal(text(more[1].body), FILES["n/7.txt"]);
    });
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd writes responses to pipelined requests in a batch", async () => {
  const s = await tempSite(FILES);
  const srv = await startTuxd({ root: s.root });
  try {
    // Warm the cache so every response is ready at once.
    await withClient(srv.port, async (c) => {
      let req = "";
      for (let i = 0; i < 20; i++) req += get(`/n/${i}.txt`);
      await c.write(req);
      await c.responses(20);
    });
    const c = await Client.open(srv.port);
    try {
      c.conn.setNoDelay(true);
      let req = "";
      for (let i = 0; i < 20; i++) req += get(`/n/${i}.txt`);
      await c.write(req);
      const rs = await c.responses(20);
      let expected = 0;
      for (let i = 0; i < 20; i++) {
        assert.equal(text(rs[i].body), FILES[`n/${i}.txt`], `#${i}`);
        expected += rs[i].end - rs[i].start;
      }
      assert.equal(c.total, expected, "total bytes");
      // 20 responses (~6 KB) come in one write, so they arrive in very few reads; one write
      // per response would show as up to 20.
      assert.ok(c.reads <= 4, `20 pipelined responses arrived in ${c.reads} reads: ${c.readSizes}`);
    } finally {
      await c.close();
    }
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});
