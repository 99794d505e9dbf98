/**
 * Content codings of static files (RFC 9110 §8.4, §12.5.3): precompressed siblings (.br, .zst,
 * .gz) chosen by Accept-Encoding, stale and orphaned siblings, codings tuxd makes itself for
 * cached files, Vary and per-coding ETags on every negotiated response.
 */
import assert from "node:assert/strict";
import {
  brotliCompressSync,
  brotliDecompressSync,
  gunzipSync,
  gzipSync,
  zstdCompressSync,
} from "node:zlib";
import { pseudoRandom } from "../server/_helpers.ts";
import { boundedTest, request, type Res, sameBytes, setMtime, textOf, withSite } from "./_util.ts";

const MTIME = 1_700_000_000_000;
const enc = (s: string) => new TextEncoder().encode(s);
const u8 = (b: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) =>
  new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();

const APP = enc(textOf(4000, "app"));
const APP_BR = u8(brotliCompressSync(APP));
const APP_ZST = u8(zstdCompressSync(APP));
const APP_GZ = u8(gzipSync(APP));
const SIBLING: Record<string, Uint8Array> = {
  identity: APP,
  br: APP_BR,
  zstd: APP_ZST,
  gzip: APP_GZ,
};

const PAGE = enc(textOf(5000, "page"));
const STALE_CSS = enc(textOf(3000, "current css"));
const STALE_CSS_GZ = u8(gzipSync(enc(textOf(3000, "OLD css"))));
const STALE_CSS_BR = u8(brotliCompressSync(enc(textOf(3000, "OLD css"))));
const STALE_BIN = pseudoRandom(2000, 3);
const PNG = new Uint8Array(3000).map((_, i) => [137, 80, 78, 71][i % 4]); // compresses well
const TINY = enc("tiny\n");
const BIG = enc(textOf(150_000, "big js"));
const BIG_GZ = u8(gzipSync(BIG));
const BIG_BR = u8(brotliCompressSync(BIG));
const BIGPLAIN = enc(textOf(150_000, "big plain"));
const LEAK = enc(textOf(1000, "leak"));
const OUTSIDE_GZ = u8(gzipSync(enc("SECRET outside the root\n".repeat(20))));

const files: Record<string, Uint8Array> = {
  "app.js": APP,
  "app.js.br": APP_BR,
  "app.js.zst": APP_ZST,
  "app.js.gz": APP_GZ,
  "page.html": PAGE,
  "stale.css": STALE_CSS,
  "stale.css.gz": STALE_CSS_GZ,
  "stale.css.br": STALE_CSS_BR,
  "stale.bin": STALE_BIN,
  "stale.bin.gz": u8(gzipSync(STALE_BIN)),
  "only.css.gz": u8(gzipSync(enc("orphan\n".repeat(100)))),
  "logo.png": PNG,
  "tiny.txt": TINY,
  "big.js": BIG,
  "big.js.gz": BIG_GZ,
  "big.js.br": BIG_BR,
  "bigplain.txt": BIGPLAIN,
  "leak.txt": LEAK,
};

async function prepare(root: string, dir: string) {
  for (const f of Object.keys(files)) await setMtime(`${root}/${f}`, MTIME);
  // Siblings not older than the file: equal (gz) or newer (br, zst).
  await setMtime(`${root}/app.js.br`, MTIME + 5000);
  await setMtime(`${root}/app.js.zst`, MTIME + 1);
  await setMtime(`${root}/big.js.br`, MTIME + 5000);
  // Stale siblings: compressed before the file last changed.
  for (const f of ["stale.css.gz", "stale.css.br", "stale.bin.gz"]) {
    await setMtime(`${root}/${f}`, MTIME - 1000);
  }
  // A "sibling" that is a symlink out of the root must not be read.
  await Deno.writeFile(`${dir}/outside.gz`, OUTSIDE_GZ);
  await Deno.symlink(`${dir}/outside.gz`, `${root}/leak.txt.gz`);
  await setMtime(`${dir}/outside.gz`, MTIME + 5000);
}

const ARGS = ["--cache-file-max", "64K"];

/** The coding a response carries ("identity" when no Content-Encoding). */
const codingOf = (r: Res) => r.headers.get("content-encoding") ?? "identity";

boundedTest(
  "tuxd serves precompressed siblings per Accept-Encoding, q-values honoured",
  60_000,
  async () => {
    await withSite(files, ARGS, async ({ port }) => {
      // Server preference: br, zstd, gzip.
      const table: [string | null, string][] = [
        [null, "identity"],
        ["gzip", "gzip"],
        ["GZIP", "gzip"],
        ["GZip;Q=1", "gzip"],
        ["x-gzip", "gzip"],
        ["br", "br"],
        ["BR", "br"],
        ["zstd", "zstd"],
        ["gzip, br", "br"],
        ["gzip, deflate, br, zstd", "br"],
        ["gzip, zstd", "zstd"],
        ["br;q=0.5, gzip", "gzip"],
        ["br;q=0.5, gzip;q=0.8, zstd;q=0.7", "gzip"],
        ["gzip; q=0.8, br ;q=0.9", "br"],
        ["br;q=0, gzip;q=0.001", "gzip"],
        ["gzip;q=0", "identity"],
        ["gzip;q=0, br;q=0, zstd;q=0", "identity"],
        ["gzip;q=0.000, br", "br"],
        ["br, br;q=0, gzip", "gzip"], // a refusal anywhere wins
        ["*", "br"],
        ["*;q=0.5, gzip", "gzip"],
        ["br;q=0, *", "zstd"],
        ["br;q=0, zstd;q=0, *;q=0.1", "gzip"],
        ["identity", "identity"],
        ["identity, gzip;q=0.5", "identity"],
        ["identity;q=0.1, gzip;q=0.5", "gzip"],
        ["identity;q=0, gzip", "gzip"],
        ["deflate", "identity"],
        ["compress", "identity"],
        ["gzip2", "identity"],
        ["gzi", "identity"],
        ["agzip", "identity"],
        ["gzip-x, xbr, brotli, zst", "identity"],
        ["br;q=2", "identity"], // invalid weight: element ignored
        ["br;level=1", "identity"],
        ["", "identity"],
        [",,  ,", "identity"],
      ];
      const etags = new Map<string, string>();
      const problems: string[] = [];
      for (const method of ["GET", "HEAD"]) {
        for (const [ae, want] of table) {
          const label = `${method} Accept-Encoding: ${JSON.stringify(ae)}`;
          const r = await request(
            port,
            method,
            "/app.js",
            ae === null ? {} : {
              "Accept-Encoding": ae,
            },
          );
          if (r.status !== 200) {
            problems.push(`${label}: status ${r.status}`);
            continue;
          }
          const got = codingOf(r);
          if (got !== want) problems.push(`${label}: coding ${got}, want ${want}`);
          if (want === "identity" && r.headers.has("content-encoding")) {
            problems.push(`${label}: Content-Encoding on identity`);
          }
          if (r.headers.get("vary") !== "Accept-Encoding") {
            problems.push(`${label}: Vary ${r.headers.get("vary")}`);
          }
          if (r.headers.get("content-type") !== "text/javascript; charset=utf-8") {
            problems.push(`${label}: Content-Type ${r.headers.get("content-type")}`);
          }
          const body = SIBLING[got];
          if (method === "GET" && !(body && sameBytes(r.body, body))) {
            problems.push(`${label}: body is not the ${got} sibling`);
          }
          if (r.headers.get("content-length") !== String(body?.length)) {
            problems.push(`${label}: Content-Length ${r.headers.get("content-length")}`);
          }
          const etag = r.headers.get("etag") ?? "";
          if (etags.has(got) && etags.get(got) !== etag) problems.push(`${label}: ETag changed`);
          etags.set(got, etag);
        }
      }
      assert.deepEqual(problems, [], problems.join("\n"));
      assert.equal(new Set(etags.values()).size, 4, `one ETag per coding: ${[...etags]}`);

      // Nothing but refused codings and refused identity: identity anyway, or 406 (§12.5.3).
      for (const ae of ["identity;q=0", "*;q=0", "gzip;q=0, identity;q=0"]) {
        const r = await request(port, "GET", "/app.js", { "Accept-Encoding": ae });
        assert.ok(r.status === 200 || r.status === 406, `${ae}: ${r.status}`);
        if (r.status === 200) {
          assert.ok(!r.headers.has("content-encoding"), `${ae}: a refused coding was sent`);
          assert.ok(sameBytes(r.body, APP));
        }
      }
    }, prepare);
  },
);

boundedTest(
  "tuxd sends Vary: Accept-Encoding and a per-coding ETag on 200, 206, 304 and HEAD",
  30_000,
  async () => {
    await withSite(files, ARGS, async ({ port }) => {
      for (const path of ["/app.js", "/page.html", "/big.js"]) {
        const tags: Record<string, string> = {};
        for (const ae of [null, "gzip", "br"]) {
          const h: Record<string, string> = ae === null ? {} : { "Accept-Encoding": ae };
          const label = `${path} ${ae ?? "identity"}`;
          const ok = await request(port, "GET", path, h);
          const etag = ok.headers.get("etag")!;
          tags[ae ?? "identity"] = etag;
          const responses: [string, Res][] = [
            ["200", ok],
            ["HEAD", await request(port, "HEAD", path, h)],
            ["206", await request(port, "GET", path, { ...h, Range: "bytes=0-9" })],
            ["206 multipart", await request(port, "GET", path, { ...h, Range: "bytes=0-1,5-9" })],
            ["304", await request(port, "GET", path, { ...h, "If-None-Match": etag })],
            ["304 HEAD", await request(port, "HEAD", path, { ...h, "If-None-Match": etag })],
            ["304 *", await request(port, "GET", path, { ...h, "If-None-Match": "*" })],
            [
              "304 IMS",
              await request(port, "GET", path, {
                ...h,
                "If-Modified-Since": ok.headers.get("last-modified")!,
              }),
            ],
            ["416", await request(port, "GET", path, { ...h, Range: "bytes=-0" })],
          ];
          for (const [what, r] of responses) {
            assert.equal(r.headers.get("vary"), "Accept-Encoding", `${label} ${what}: Vary`);
            if (what !== "416") assert.equal(r.headers.get("etag"), etag, `${label} ${what}: ETag`);
            if (what.startsWith("206") || what === "HEAD") {
              assert.equal(codingOf(r), ae ?? "identity", `${label} ${what}: coding`);
            }
          }
          assert.equal(responses[0][1].status, 200);
          assert.equal(responses[2][1].status, 206);
          assert.equal(responses[4][1].status, 304);
          assert.equal(responses[8][1].status, 416);
        }
        assert.equal(new Set(Object.values(tags)).size, 3, `${path}: ${JSON.stringify(tags)}`);
        // A gzip ETag does not validate the identity representation, nor the reverse.
        const a = await request(port, "GET", path, { "If-None-Match": tags.gzip });
        assert.equal(a.status, 200, `${path}: gzip ETag revalidating identity`);
        assert.equal(a.headers.get("etag"), tags.identity);
        const b = await request(port, "GET", path, {
          "Accept-Encoding": "gzip",
          "If-None-Match": `${tags.identity}, ${tags.br}`,
        });
        assert.equal(b.status, 200, `${path}: identity/br ETags revalidating gzip`);
        assert.equal(codingOf(b), "gzip");
        const c = await request(port, "GET", path, {
          "Accept-Encoding": "gzip",
          "If-None-Match": `${tags.identity}, ${tags.gzip}`,
        });
        assert.equal(c.status, 304, `${path}: list holding the gzip ETag`);
        assert.equal(c.headers.get("etag"), tags.gzip);
      }
    }, prepare);
  },
);

boundedTest(
  "tuxd compresses cached text files without siblings once, with brotli and gzip",
  30_000,
  async () => {
    await withSite(files, ARGS, async ({ port }) => {
      const br = await request(port, "GET", "/page.html", { "Accept-Encoding": "br" });
      assert.equal(codingOf(br), "br");
      assert.ok(br.body.length < PAGE.length / 2, `br is ${br.body.length} of ${PAGE.length}`);
      assert.ok(sameBytes(u8(brotliDecompressSync(br.body)), PAGE), "brotli decodes to the file");
      const gz = await request(port, "GET", "/page.html", { "Accept-Encoding": "gzip" });
      assert.equal(codingOf(gz), "gzip");
      assert.ok(sameBytes(u8(gunzipSync(gz.body)), PAGE), "gzip decodes to the file");
      assert.notEqual(br.headers.get("etag"), gz.headers.get("etag"));
      // Made once: the same bytes again.
      const gz2 = await request(port, "GET", "/page.html", { "Accept-Encoding": "gzip" });
      assert.ok(sameBytes(gz2.body, gz.body));
      assert.equal(gz2.headers.get("etag"), gz.headers.get("etag"));
      // No zstd is made: a zstd-only client gets identity.
      const zs = await request(port, "GET", "/page.html", { "Accept-Encoding": "zstd" });
      assert.equal(codingOf(zs), "identity");
      assert.ok(sameBytes(zs.body, PAGE));
      assert.equal(zs.headers.get("vary"), "Accept-Encoding");

      // Too small to be worth it, or too big for the cache (no sibling): identity.
      for (const path of ["/tiny.txt", "/bigplain.txt"]) {
        const r = await request(port, "GET", path, { "Accept-Encoding": "gzip, br, zstd" });
        assert.equal(codingOf(r), "identity", path);
        assert.ok(sameBytes(r.body, path === "/tiny.txt" ? TINY : BIGPLAIN), path);
      }
    }, prepare);
  },
);

boundedTest(
  "tuxd never encodes an incompressible type and sends no Content-Encoding on identity",
  30_000,
  async () => {
    await withSite(files, ARGS, async ({ port }) => {
      for (const ae of ["gzip", "br", "zstd", "*", "gzip, br, zstd, identity;q=0"]) {
        const r = await request(port, "GET", "/logo.png", { "Accept-Encoding": ae });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get("content-type"), "image/png");
        assert.ok(!r.headers.has("content-encoding"), `png with Accept-Encoding: ${ae}`);
        assert.ok(sameBytes(r.body, PNG), `png bytes, Accept-Encoding: ${ae}`);
        // A .gz file served as itself is gzip data, not gzip-encoded content.
        const gz = await request(port, "GET", "/app.js.gz", { "Accept-Encoding": ae });
        assert.equal(gz.headers.get("content-type"), "application/gzip");
        assert.ok(!gz.headers.has("content-encoding"), "a .gz file is not Content-Encoding: gzip");
        assert.ok(sameBytes(gz.body, APP_GZ));
      }
    }, prepare);
  },
);

boundedTest("tuxd ignores stale, orphaned and out-of-root siblings", 30_000, async () => {
  await withSite(files, ARGS, async ({ port }) => {
    // Older siblings are not used; tuxd compresses the current file itself.
    const gz = await request(port, "GET", "/stale.css", { "Accept-Encoding": "gzip" });
    assert.equal(gz.status, 200);
    assert.ok(!sameBytes(gz.body, STALE_CSS_GZ), "the stale .gz was sent");
    if (codingOf(gz) === "gzip") assert.ok(sameBytes(u8(gunzipSync(gz.body)), STALE_CSS));
    else assert.ok(sameBytes(gz.body, STALE_CSS));
    const br = await request(port, "GET", "/stale.css", { "Accept-Encoding": "br" });
    assert.ok(!sameBytes(br.body, STALE_CSS_BR), "the stale .br was sent");
    if (codingOf(br) === "br") assert.ok(sameBytes(u8(brotliDecompressSync(br.body)), STALE_CSS));
    else assert.ok(sameBytes(br.body, STALE_CSS));
    const bin = await request(port, "GET", "/stale.bin", { "Accept-Encoding": "gzip" });
    assert.equal(codingOf(bin), "identity", "stale sibling of an incompressible file");
    assert.ok(sameBytes(bin.body, STALE_BIN));

    // A sibling without its original is no representation of the original.
    for (const ae of [null, "gzip", "*"]) {
      const r = await request(port, "GET", "/only.css", ae ? { "Accept-Encoding": ae } : {});
      assert.equal(r.status, 404, `/only.css with Accept-Encoding ${ae}`);
      assert.ok(!r.headers.has("content-encoding"));
    }

    // A sibling that is a symlink out of the root is never read.
    const leak = await request(port, "GET", "/leak.txt", { "Accept-Encoding": "gzip" });
    assert.equal(leak.status, 200);
    assert.ok(!sameBytes(leak.body, OUTSIDE_GZ), "served a sibling from outside the root");
    const decoded = codingOf(leak) === "gzip" ? u8(gunzipSync(leak.body)) : leak.body;
    assert.ok(sameBytes(decoded, LEAK));

    // Streamed (uncached) file: its siblings are streamed too.
    for (const [ae, body] of [["gzip", BIG_GZ], ["br", BIG_BR], [null, BIG]] as const) {
      const r = await request(port, "GET", "/big.js", ae ? { "Accept-Encoding": ae } : {});
      assert.equal(codingOf(r), ae ?? "identity");
      assert.ok(sameBytes(r.body, body), `/big.js ${ae}`);
      const h = await request(port, "HEAD", "/big.js", ae ? { "Accept-Encoding": ae } : {});
      assert.equal(h.headers.get("content-length"), String(body.length));
    }
  }, prepare);
});
