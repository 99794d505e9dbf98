/**
 * `deno task start` with no ROOT serves examples/site: every file with the right type and
 * validators, directory redirect, plain 404, and headless Chromium renders the pages with all
 * subresources.
 */
import assert from "node:assert/strict";
import {
  checkFileHeaders,
  diffBytes,
  listFiles,
  parseResponses,
  rawRequest,
  REPO_ROOT,
  startTuxd,
  text,
  urlPath,
} from "../_util/server.ts";
import { launchChromium } from "../_util/chromium.ts";

const SITE = `${REPO_ROOT}/examples/site`;

Deno.test("example site: the default root of `deno task start`", async (t) => {
  const srv = await startTuxd({});
  const client = Deno.createHttpClient({});
  let stopped = false;
  try {
    assert.equal(srv.root, "examples/site", "default root");
    assert.equal(srv.host, "127.0.0.1", "default host");
    assert.ok(srv.port > 0 && srv.port !== 8080, `--port 0 picks a free port, got ${srv.port}`);
    const get = (path: string, init: RequestInit = {}) =>
      fetch(new URL(path, srv.url), { client, ...init });

    const files = await listFiles(SITE);
    await t.step("the site has the files it promises, and is small", async () => {
      for (
        const f of [
          "index.html",
          "style.css",
          "app.js",
          "data.json",
          "img/tux.png",
          "docs/index.html",
          "docs/architecture.html",
          "404.html",
          "favicon.ico",
          ".well-known/security.txt",
        ]
      ) assert.ok(files.includes(f), `examples/site/${f} missing`);
      let total = 0;
      for (const f of files) total += (await Deno.stat(`${SITE}/${f}`)).size;
      assert.ok(total < 100_000, `examples/site is ${total} bytes`);
      const png = await Deno.readFile(`${SITE}/img/tux.png`);
      assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
      const ico = await Deno.readFile(`${SITE}/favicon.ico`);
      assert.deepEqual([...ico.subarray(0, 4)], [0, 0, 1, 0], "ICO header");
      JSON.parse(await Deno.readTextFile(`${SITE}/data.json`));
    });

    await t.step(`each of the ${files.length} files: 200, same bytes, right headers`, async () => {
      const problems: string[] = [];
      for (const rel of files) {
        const disk = await Deno.readFile(`${SITE}/${rel}`);
        const st = await Deno.stat(`${SITE}/${rel}`);
        const res = await get(urlPath(rel), { headers: { "accept-encoding": "identity" } });
        const body = new Uint8Array(await res.arrayBuffer());
        if (res.status !== 200) problems.push(`${rel}: status ${res.status}`);
        const d = diffBytes(body, disk);
        if (d) problems.push(`${rel}: body ${d}`);
        problems.push(
          ...checkFileHeaders(rel, (n) => res.headers.get(n), {
            path: rel,
            size: st.size,
            mtime: st.mtime,
          }),
        );
      }
      assert.deepEqual(problems, [], `\n${problems.join("\n")}`);
    });

    await t.step("/ and /docs/ serve their index.html", async () => {
      for (const [path, file] of [["/", "index.html"], ["/docs/", "docs/index.html"]]) {
        const res = await get(path, { headers: { "accept-encoding": "identity" } });
        const body = new Uint8Array(await res.arrayBuffer());
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
        assert.equal(diffBytes(body, await Deno.readFile(`${SITE}/${file}`)), null, path);
      }
    });

    await t.step("/docs redirects (301) to /docs/", async () => {
      const res = await get("/docs", { redirect: "manual" });
      await res.body?.cancel();
      assert.equal(res.status, 301);
      const loc = res.headers.get("location");
      assert.ok(loc, "Location header");
      assert.equal(new URL(loc, srv.url).href, new URL("/docs/", srv.url).href, `Location ${loc}`);
    });

    await t.step("/nope is a 404 with a short text body (raw HTTP/1.1)", async () => {
      const raw = await rawRequest(
        srv.port,
        "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
      );
      const rs = parseResponses(raw);
      assert.equal(rs.length, 1, `one response, got:\n${text(raw)}`);
      const [r] = rs;
      assert.equal(r.status, 404);
      assert.match(r.headers.get("content-type") ?? "", /^text\/(plain|html)\b/);
      assert.ok(r.body.length > 0 && r.body.length < 1024, `body is ${r.body.length} bytes`);
      assert.equal(r.headers.get("content-length"), String(r.body.length));
    });

    await t.step("three pipelined requests on one connection", async () => {
      const raw = await rawRequest(
        srv.port,
        "GET /data.json HTTP/1.1\r\nHost: a\r\n\r\n" +
          "HEAD /style.css HTTP/1.1\r\nHost: a\r\n\r\n" +
          "GET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      );
      const rs = parseResponses(raw, { headRequests: [1] });
      assert.deepEqual(rs.map((r) => r.status), [200, 200, 404], text(raw));
      assert.equal(diffBytes(rs[0].body, await Deno.readFile(`${SITE}/data.json`)), null);
      assert.equal(rs[1].body.length, 0, "HEAD has no body");
      assert.equal(
        rs[1].headers.get("content-length"),
        String((await Deno.stat(`${SITE}/style.css`)).size),
        "HEAD announces the size",
      );
      assert.equal(rs[1].headers.get("content-type"), "text/css; charset=utf-8");
    });

    await t.step("Chromium renders the pages with every subresource 200", async () => {
      const browser = await launchChromium();
      const shotDir = await Deno.makeTempDir({ prefix: "tuxd-shot-" });
      try {
        const origin = new URL(srv.url).origin;
        for (
          const [path, want] of [
            ["/", ["Stylesheet", "Script", "Image", "Fetch"]],
            ["/docs/", ["Stylesheet"]],
            ["/docs/architecture.html", ["Stylesheet", "Image"]],
            ["/404.html", ["Stylesheet", "Image"]],
          ] as const
        ) {
          const page = await browser.loadPage(new URL(path, srv.url).href);
          try {
            const summary = page.responses.map((r) => `${r.status} ${r.resourceType} ${r.url}`)
              .join("\n  ");
            assert.deepEqual(
              page.failures,
              [],
              `${path}: failed requests; responses:\n  ${summary}`,
            );
            assert.deepEqual(page.redirects, [], `${path}: redirects`);
            const bad = page.responses.filter((r) => r.status !== 200);
            assert.deepEqual(bad, [], `${path}: non-200:\n  ${summary}`);
            assert.ok(
              page.responses.every((r) => r.url.startsWith(origin + "/")),
              `${path}: off-origin request:\n  ${summary}`,
            );
            assert.equal(page.responses[0]?.resourceType, "Document", summary);
            for (const kind of want) {
              assert.ok(
                page.responses.some((r) => r.resourceType === kind),
                `${path}: no ${kind} subresource:\n  ${summary}`,
              );
            }
            assert.deepEqual(page.errors, [], `${path}: page errors`);
            // The stylesheet applied (the body background comes from style.css).
            const bg = await page.evaluate<string>(
              "getComputedStyle(document.body).backgroundColor",
            );
            assert.equal(bg, "rgb(251, 250, 246)", `${path}: style.css not applied`);
            if (path === "/") {
              // app.js fetched data.json and filled in the live check.
              const state = await page.evaluate<{ loaded: string; items: number; served: string }>(
                `({ loaded: document.documentElement.dataset.loaded,
                    items: document.querySelectorAll("#features li").length,
                    served: document.getElementById("served").textContent })`,
              );
              assert.equal(state.loaded, "yes", `app.js: ${state.served}`);
              assert.equal(state.items, 5);
              assert.match(state.served, /^tuxd answered at .* with application\/json/);
              const img = await page.evaluate<number>(
                `document.querySelector("header img").naturalWidth`,
              );
              assert.equal(img, 128, "tux.png decoded");
              const shot = await page.screenshot(`${shotDir}/index.png`);
              assert.deepEqual([...shot.subarray(0, 4)], [137, 80, 78, 71]);
              assert.ok(shot.length > 5000, `screenshot is ${shot.length} bytes`);
            }
          } finally {
            await page.close();
          }
        }
      } finally {
        await browser.close();
        await Deno.remove(shotDir, { recursive: true });
      }
    });

    await t.step("SIGTERM stops it cleanly (exit status 0)", async () => {
      client.close();
      stopped = true;
      const status = await srv.stop();
      assert.equal(status.code, 0, `exit ${status.code} signal ${status.signal}\n${srv.stderr()}`);
    });
  } finally {
    if (!stopped) {
      client.close();
      await srv.stop();
    }
  }
});
