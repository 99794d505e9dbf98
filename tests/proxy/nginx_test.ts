/**
 * TUX in front of Apache, with Debian's nginx in Apache's place: tuxd serves its own root and
 * hands every path it lacks to nginx, started here on loopback with a generated config. Pages,
 * a large file (Content-Length), a gzip-on-the-fly one (chunked from nginx), HEAD, 304 and
 * 206 from nginx, nginx's own errors, pipelining across both, and a URL path prefix.
 */
import assert from "node:assert/strict";
import { parseResponses, rawRequest, startTuxd, text } from "../_util/server.ts";
import { sha256, startNginx } from "./_util.ts";

const MiB = 1024 * 1024;

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test({
  name: "nginx behind tuxd: the paths tuxd lacks come from nginx, intact",
  async fn(t) {
    const front = await Deno.makeTempDir({ prefix: "tuxd-front-" });
    const back = await Deno.makeTempDir({ prefix: "tuxd-nginx-root-" });
    await Deno.writeTextFile(`${front}/index.html`, "<h1>tuxd's own page</h1>\n");
    await Deno.writeTextFile(`${front}/shared.txt`, "from tuxd\n");
    await Deno.mkdir(`${back}/legacy`);
    await Deno.writeTextFile(`${back}/legacy/page.html`, "<h1>nginx's page</h1>\n");
    await Deno.writeTextFile(`${back}/shared.txt`, "from nginx\n");
    const big = crypto.getRandomValues(new Uint8Array(65536));
    const bigFile = new Uint8Array(8 * MiB);
    for (let o = 0; o < bigFile.length; o += big.length) bigFile.set(big.map((b) => b ^ o), o);
    await Deno.writeFile(`${back}/legacy/big.bin`, bigFile);
    const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i}: the quick penguin\n`);
    const words = new TextEncoder().encode(lines.join(""));
    await Deno.writeFile(`${back}/legacy/words.txt`, words);

    const nginx = await startNginx(
      back,
      // gzip_proxied: nginx does not compress for a request with Via unless told to.
      "gzip on; gzip_types text/plain; gzip_min_length 1; gzip_proxied any;",
    );
    const srv = await startTuxd({ root: front, args: ["--backend", nginx.url] });
    const client = Deno.createHttpClient({});
    const get = (path: string, init: RequestInit = {}) =>
      fetch(new URL(path, srv.url), { client, signal: AbortSignal.timeout(30_000), ...init });
    try {
      await t.step("tuxd's own files come from tuxd, the rest from nginx", async () => {
        const own = await get("/shared.txt");
        assert.equal(await own.text(), "from tuxd\n");
        const page = await get("/legacy/page.html");
        assert.equal(page.status, 200);
        assert.equal(await page.text(), "<h1>nginx's page</h1>\n");
        assert.equal(page.headers.get("content-type"), "text/html");
        assert.equal(page.headers.get("server"), "tuxd", "tuxd writes its own head");
        assert.ok(page.headers.get("etag"), "nginx's validators pass through");
        assert.ok(page.headers.get("last-modified"));
      });

      await t.step("an 8 MiB file arrives whole, with nginx's Content-Length", async () => {
        const res = await get("/legacy/big.bin");
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-length"), String(bigFile.length));
        const body = new Uint8Array(await res.arrayBuffer());
        assert.equal(await sha256(body), await sha256(bigFile));
      });

      await t.step(
        "nginx's chunked (gzip on the fly) response arrives chunked and whole",
        async () => {
          const raw = await rawRequest(
            srv.port,
            "GET /legacy/words.txt HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n" +
              "Connection: close\r\n\r\n",
            { timeoutMs: 10_000 },
          );
          const [r] = parseResponses(raw);
          assert.equal(r.status, 200);
          assert.equal(r.framing, "chunked");
          assert.equal(r.headers.get("content-encoding"), "gzip");
          assert.equal(r.headers.get("content-length"), undefined);
          assert.equal(await sha256(await gunzip(r.body)), await sha256(words));
        },
      );

      await t.step("HEAD, 304 and 206 from nginx pass through", async () => {
        const head = await rawRequest(
          srv.port,
          "HEAD /legacy/big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        const [h] = parseResponses(head, { headRequests: [0] });
        assert.equal(h.status, 200);
        assert.equal(h.headers.get("content-length"), String(bigFile.length));
        assert.equal(h.end, head.length, "no body after a HEAD response");

        const first = await get("/legacy/page.html");
        await first.body?.cancel();
        const etag = first.headers.get("etag")!;
        const cond = await get("/legacy/page.html", { headers: { "if-none-match": etag } });
        assert.equal(cond.status, 304);
        assert.equal(await cond.text(), "");

        const part = await get("/legacy/big.bin", { headers: { range: "bytes=100-199" } });
        assert.equal(part.status, 206);
        assert.equal(part.headers.get("content-range"), `bytes 100-199/${bigFile.length}`);
        assert.deepEqual(new Uint8Array(await part.arrayBuffer()), bigFile.slice(100, 200));
      });

      await t.step("nginx's own errors pass through unchanged", async () => {
        const missing = await get("/legacy/nope.html");
        assert.equal(missing.status, 404);
        const body = await missing.text();
        assert.match(body, /<center>nginx<\/center>/, "nginx's own 404 page");
        const post = await get("/shared.txt", { method: "POST", body: "x" });
        assert.equal(post.status, 405, "POST goes to nginx, which refuses it");
        assert.match(await post.text(), /405 Not Allowed/);
      });

      await t.step("pipelined requests to tuxd and nginx are answered in order", async () => {
        const raw = await rawRequest(
          srv.port,
          "GET /legacy/page.html HTTP/1.1\r\nHost: t\r\n\r\n" +
            "GET /shared.txt HTTP/1.1\r\nHost: t\r\n\r\n" +
            "GET /legacy/page.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        const rs = parseResponses(raw);
        assert.deepEqual(rs.map((r) => text(r.body)), [
          "<h1>nginx's page</h1>\n",
          "from tuxd\n",
          "<h1>nginx's page</h1>\n",
        ]);
      });

      await t.step("a path in the backend URL is put before every forwarded target", async () => {
        const prefixed = await startTuxd({
          root: front,
          args: ["--backend", `${nginx.url}/legacy`],
        });
        try {
          const res = await fetch(new URL("/page.html?x=1", prefixed.url), {
            client,
            signal: AbortSignal.timeout(30_000),
          });
          assert.equal(res.status, 200);
          assert.equal(await res.text(), "<h1>nginx's page</h1>\n");
        } finally {
          await prefixed.stop();
        }
      });

      await t.step("no error lines from tuxd", () => {
        assert.doesNotMatch(srv.stderr(), /tuxd: /);
      });
    } finally {
      client.close();
      await srv.stop();
      await nginx.stop();
      await Deno.remove(front, { recursive: true });
      await Deno.remove(back, { recursive: true });
    }
  },
});
