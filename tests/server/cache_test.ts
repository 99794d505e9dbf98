/**
 * The object cache: hits serve the same bytes, changes on disk (content, size, deletion,
 * replacement by rename) show within a second and a half, files above --cache-file-max are
 * still served, and a small --cache-total-max evicts without serving anything wrong.
 */
import assert from "node:assert/strict";
import { startTuxd, text, type Tuxd } from "../_util/server.ts";
import { Client, get, pseudoRandom, sleep, tempSite, withClient } from "./_helpers.ts";

/** GETs `path` on `c` and returns status and body. */
async function fetchOn(c: Client, path: string): Promise<{ status: number; body: Uint8Array }> {
  const from = c.total;
  await c.write(get(path));
  const [r] = await c.responses(1, { from });
  return { status: r.status, body: r.body };
}

/**
 * Polls `path` every 50 ms until `ok` holds; returns how long it took. Fails after `limitMs`.
 * Each poll uses the same persistent connection, so the fast path is what gets tested.
 */
async function until(
  c: Client,
  path: string,
  ok: (r: { status: number; body: Uint8Array }) => boolean,
  limitMs: number,
  what: string,
): Promise<number> {
  const t0 = Date.now();
  let last: { status: number; body: Uint8Array } | null = null;
  while (Date.now() - t0 <= limitMs) {
    last = await fetchOn(c, path);
    if (ok(last)) return Date.now() - t0;
    await sleep(50);
  }
  throw new Error(
    `${what}: not seen within ${limitMs} ms; last ${last?.status} ${
      JSON.stringify(text(last?.body ?? new Uint8Array()))
    }`,
  );
}

const same = (a: Uint8Array, b: string | Uint8Array) =>
  typeof b === "string" ? text(a) === b : a.length === b.length && a.every((x, i) => x === b[i]);

Deno.test("tuxd serves object-cache hits with the same bytes and sees changes on disk", async () => {
  const s = await tempSite({ "page.txt": "version one\n", "keep.txt": "unchanged\n" });
  const srv = await startTuxd({ root: s.root });
  try {
    await withClient(srv.port, async (c) => {
      // Hits: the same bytes every time, and the same validators.
      const first = await fetchOn(c, "/page.txt");
      assert.equal(text(first.body), "version one\n");
      for (let i = 0; i < 5; i++) {
        const from = c.total;
        await c.write(get("/page.txt"));
        const [r] = await c.responses(1, { from });
        assert.equal(text(r.body), "version one\n");
        assert.equal(r.headers.get("content-length"), "12");
      }

      // New content and a new size.
      await Deno.writeTextFile(`${s.root}/page.txt`, "version two, longer\n");
      let ms = await until(
        c,
        "/page.txt",
        (r) => same(r.body, "version two, longer\n"),
        1500,
        "v2",
      );
      console.log(`  new content and size seen after ${ms} ms`);

      // Same size, different content.
      await sleep(20); // a distinct mtime even on coarse clocks
      await Deno.writeTextFile(`${s.root}/page.txt`, "VERSION TWO, LONGER\n");
      ms = await until(c, "/page.txt", (r) => same(r.body, "VERSION TWO, LONGER\n"), 1500, "v2'");
      console.log(`  same-size change seen after ${ms} ms`);

      // Never a mix: each response body is one of the versions, whole.
      const r = await fetchOn(c, "/page.txt");
      assert.equal(text(r.body), "VERSION TWO, LONGER\n");

      // Deleted: 404.
      await Deno.remove(`${s.root}/page.txt`);
      ms = await until(c, "/page.txt", (r) => r.status === 404, 1500, "deleted");
      console.log(`  deletion seen after ${ms} ms`);
      // And 404 from then on, within the second and after it: the object is gone too.
      for (let i = 0; i < 30; i++) {
        assert.equal((await fetchOn(c, "/page.txt")).status, 404, `request ${i} after deletion`);
        await sleep(50);
      }

      // Back, by rename over it (a new inode).
      await Deno.writeTextFile(`${s.root}/page.txt.tmp`, "renamed in\n");
      await Deno.rename(`${s.root}/page.txt.tmp`, `${s.root}/page.txt`);
      ms = await until(c, "/page.txt", (r) => same(r.body, "renamed in\n"), 1500, "created");
      // Replaced by rename with a file of the same size and mtime second.
      const st = await Deno.stat(`${s.root}/page.txt`);
      await Deno.writeTextFile(`${s.root}/page.txt.tmp`, "RENAMED IN\n");
      await Deno.utime(`${s.root}/page.txt.tmp`, st.atime!, st.mtime!);
      await Deno.rename(`${s.root}/page.txt.tmp`, `${s.root}/page.txt`);
      ms = await until(c, "/page.txt", (r) => same(r.body, "RENAMED IN\n"), 1500, "renamed");
      console.log(`  same-size, same-mtime rename seen after ${ms} ms`);

      // The other file was never disturbed.
      assert.equal(text((await fetchOn(c, "/keep.txt")).body), "unchanged\n");
    });
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd serves a file above --cache-file-max correctly, and fresh", async () => {
  const big = pseudoRandom(10_000, 7);
  const s = await tempSite({ "big.bin": big, "small.bin": pseudoRandom(500, 8) });
  const srv = await startTuxd({ root: s.root, args: ["--cache-file-max", "1K"] });
  try {
    await withClient(srv.port, async (c) => {
      for (let i = 0; i < 3; i++) {
        const r = await fetchOn(c, "/big.bin");
        assert.equal(r.status, 200);
        assert.ok(same(r.body, big), `big.bin #${i} differs`);
        assert.ok(same((await fetchOn(c, "/small.bin")).body, pseudoRandom(500, 8)));
      }
      // Not cached, so a change shows on the very next request.
      const big2 = pseudoRandom(12_345, 9);
      await Deno.writeFile(`${s.root}/big.bin`, big2);
      const r = await fetchOn(c, "/big.bin");
      assert.ok(same(r.body, big2), "the uncached file was served stale");
    });
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd serves a cached object whose body goes apart from its head (GET, HEAD, pipelined)", async () => {
  // Objects over 256 KiB keep one copy of the body and send it after the prebuilt head.
  const large = pseudoRandom(600_000, 21);
  const s = await tempSite({ "large.bin": large, "a.txt": "a\n" });
  const srv = await startTuxd({ root: s.root });
  try {
    await withClient(srv.port, async (c) => {
      for (let i = 0; i < 3; i++) {
        const r = await fetchOn(c, "/large.bin");
        assert.equal(r.status, 200);
        assert.ok(same(r.body, large), `large.bin #${i} differs`);
      }
      // HEAD, GET and another file pipelined in one write: the HEAD answer carries no body, so
      // the next response starts right after its head.
      const from = c.total;
      await c.write(get("/large.bin", "", "HEAD") + get("/large.bin") + get("/a.txt"));
      const [head, full, small] = await c.responses(3, { from, heads: [0] });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), String(large.length));
      assert.equal(head.body.length, 0);
      assert.ok(same(full.body, large), "pipelined GET differs");
      assert.equal(text(small.body), "a\n");
    });
    // Connection: close gets the whole body, then the close.
    await withClient(srv.port, async (c) => {
      await c.write(get("/large.bin", "Connection: close\r\n"));
      const [r] = await c.responses(1);
      assert.equal(r.headers.get("connection"), "close");
      assert.ok(same(r.body, large), "closing GET differs");
      assert.ok(await c.closedWithin(3000), "the connection stayed open");
    });
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd evicts from a small --cache-total-max and still serves every file", async () => {
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < 120; i++) files[`f/${i}.bin`] = pseudoRandom(1000 + i * 37, i + 1);
  const s = await tempSite(files);
  let srv: Tuxd | null = null;
  try {
    srv = await startTuxd({ root: s.root, args: ["--cache-total-max", "64K"] });
    await withClient(srv.port, async (c) => {
      // Three passes, one by one then pipelined, in changing orders: hits, misses, evictions.
      for (let pass = 0; pass < 3; pass++) {
        const order = [...Array(120).keys()];
        if (pass === 1) order.reverse();
        if (pass === 2) order.sort((a, b) => (a * 7919) % 120 - (b * 7919) % 120);
        for (const i of order) {
          const r = await fetchOn(c, `/f/${i}.bin`);
          assert.equal(r.status, 200);
          assert.ok(same(r.body, files[`f/${i}.bin`]), `pass ${pass}: f/${i}.bin differs`);
        }
        const from = c.total;
        await c.write(order.map((i) => get(`/f/${i}.bin`)).join(""));
        const rs = await c.responses(120, { from, timeoutMs: 10_000 });
        rs.forEach((r, k) => {
          assert.ok(same(r.body, files[`f/${order[k]}.bin`]), `pipelined f/${order[k]}.bin`);
        });
      }
      // A hot file keeps being served right while others churn through the cache.
      for (let i = 0; i < 120; i++) {
        assert.ok(same((await fetchOn(c, "/f/0.bin")).body, files["f/0.bin"]));
        assert.ok(same((await fetchOn(c, `/f/${i}.bin`)).body, files[`f/${i}.bin`]));
      }
    });
  } finally {
    await srv?.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd never answers a cached path from the object when the file became a directory", async () => {
  const s = await tempSite({ "d/index.html": "first index\n", "x": "file\n" });
  const srv = await startTuxd({ root: s.root });
  try {
    await withClient(srv.port, async (c) => {
      for (let i = 0; i < 3; i++) assert.equal(text((await fetchOn(c, "/x")).body), "file\n");
      await Deno.remove(`${s.root}/x`);
      await Deno.mkdir(`${s.root}/x`);
      await until(c, "/x", (r) => r.status === 301, 1500, "directory redirect");
      for (let i = 0; i < 30; i++) {
        assert.equal((await fetchOn(c, "/x")).status, 301, `request ${i} after the change`);
        await sleep(50);
      }
    });
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd's fast path never takes a body's bytes for a request (Content-Length past 2^32)", async () => {
  const s = await tempSite({ "a.txt": "cached\n", "marker.txt": "smuggled\n" });
  const srv = await startTuxd({ root: s.root, args: ["--max-body", "8G"] });
  try {
    // Warm the object cache so the request below meets the fast path.
    await withClient(srv.port, async (c) => {
      for (let i = 0; i < 3; i++) await fetchOn(c, "/a.txt");
    });
    for (const length of ["4294967296", "4294967297", "8589934591"]) {
      await withClient(srv.port, async (c) => {
        // The "body" looks like a request: it must be read as body (or the connection closed).
        await c.write(get("/a.txt", `Content-Length: ${length}\r\n`) + get("/marker.txt"));
        await c.closedWithin(1500);
        const all = text(c.received);
        assert.ok(!all.includes("smuggled"), `Content-Length ${length}: ${all}`);
        assert.ok((all.match(/^HTTP\/1\.1 /gm) ?? []).length <= 1, all);
      });
    }
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});
