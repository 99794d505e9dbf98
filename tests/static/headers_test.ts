/**
 * Per-site response fields and routing: `--error-page`, `--cache-control` globs (first match
 * wins, on 200, 206 and 304), `--cors` (fields and preflights), and `--vhosts` (host
 * normalisation, invalid hosts, absolute-form authority, never leaving ROOT).
 */
import assert from "node:assert/strict";
import { boundedTest, bytes, exchange, request, type Res, withSite } from "./_util.ts";

const td = new TextDecoder();
const NOT_FOUND_PAGE = "<!doctype html><title>Lost</title><h1>Nothing here</h1>\n";

boundedTest(
  "tuxd --error-page 404=/404.html sends that page with status 404, for GET and HEAD",
  30_000,
  async () => {
    const files = {
      "index.html": "<p>home</p>\n",
      "404.html": NOT_FOUND_PAGE,
      "docs/page.txt": "a page\n",
    };
    await withSite(files, ["--error-page", "404=/404.html"], async ({ port }) => {
      for (const path of ["/missing", "/docs/missing.txt", "/.hidden", "/docs/page.txt/"]) {
        const g = await request(port, "GET", path);
        assert.equal(g.status, 404, `GET ${path}`);
        assert.equal(td.decode(g.body), NOT_FOUND_PAGE, `GET ${path}: body`);
        assert.equal(g.headers.get("content-type"), "text/html; charset=utf-8");
        assert.ok(!g.headers.has("etag"), "an error page is no representation of the target");
        const h = await request(port, "HEAD", path);
        assert.equal(h.status, 404, `HEAD ${path}`);
        assert.equal(h.headers.get("content-type"), "text/html; charset=utf-8");
        assert.equal(h.headers.get("content-length"), String(bytes(NOT_FOUND_PAGE).length));
        assert.equal(h.body.length, 0);
        // Conditionals and ranges do not apply to an error page.
        const c = await request(port, "GET", path, { "If-None-Match": "*", Range: "bytes=0-3" });
        assert.equal(c.status, 404, `GET ${path} with If-None-Match and Range`);
        assert.equal(td.decode(c.body), NOT_FOUND_PAGE);
      }
      // The page itself is still an ordinary file.
      const p = await request(port, "GET", "/404.html");
      assert.equal(p.status, 200);
      assert.equal(td.decode(p.body), NOT_FOUND_PAGE);
    });
    // Without the page on disk: the plain 404.
    await withSite({ "index.html": "x" }, ["--error-page", "404=/404.html"], async ({ port }) => {
      for (const method of ["GET", "HEAD"]) {
        const r = await request(port, method, "/missing");
        assert.equal(r.status, 404, method);
        assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
        if (method === "GET") assert.equal(td.decode(r.body), "404 Not Found\n");
      }
    });
  },
);

boundedTest(
  "tuxd --cache-control applies the first matching glob on 200, 206 and 304",
  30_000,
  async () => {
    const files = {
      "app.js": "console.log(1);\n",
      "docs/index.html": "<p>docs</p>\n",
      "docs/lib/app.js": "console.log(2);\n",
      "docs/deep/er/page.txt": "deep\n",
      "style.css": "body{}\n",
      "docs.txt": "not under /docs/\n",
    };
    const args = [
      "--cache-control",
      "*.js=public, max-age=31536000, immutable",
      "--cache-control",
      "/docs/**=no-cache",
    ];
    await withSite(files, args, async ({ port }) => {
      const IMM = "public, max-age=31536000, immutable";
      const table: [string, string | undefined][] = [
        ["/app.js", IMM],
        ["/docs/lib/app.js", IMM], // *.js comes first
        ["/docs/", "no-cache"], // the index.html of /docs/
        ["/docs/index.html", "no-cache"],
        ["/docs/deep/er/page.txt", "no-cache"],
        ["/style.css", undefined],
        ["/docs.txt", undefined],
      ];
      for (const [path, want] of table) {
        const ok = await request(port, "GET", path);
        assert.equal(ok.status, 200, path);
        assert.equal(ok.headers.get("cache-control"), want, `${path} 200`);
        const part = await request(port, "GET", path, { Range: "bytes=0-1" });
        assert.equal(part.status, 206, path);
        assert.equal(part.headers.get("cache-control"), want, `${path} 206`);
        const nm = await request(port, "GET", path, { "If-None-Match": ok.headers.get("etag")! });
        assert.equal(nm.status, 304, path);
        assert.equal(nm.headers.get("cache-control"), want, `${path} 304`);
        const h = await request(port, "HEAD", path);
        assert.equal(h.headers.get("cache-control"), want, `${path} HEAD`);
        // Exactly one Cache-Control field.
        assert.ok(ok.fields.filter(([n]) => n.toLowerCase() === "cache-control").length <= 1);
      }
    });
  },
);

function cors(label: string, r: Res) {
  assert.equal(r.headers.get("access-control-allow-origin"), "*", `${label}: ACAO`);
}

boundedTest("tuxd --cors allows any origin and answers preflights with 204", 30_000, async () => {
  const files = { "data.json": '{"a":1}\n', "index.html": "<p>x</p>\n" };
  await withSite(files, ["--cors"], async ({ port }) => {
    const o = { Origin: "http://elsewhere.example" };
    const ok = await request(port, "GET", "/data.json", o);
    assert.equal(ok.status, 200);
    cors("200", ok);
    const exposed = (ok.headers.get("access-control-expose-headers") ?? "").toLowerCase();
    for (const f of ["content-range", "etag"]) assert.ok(exposed.includes(f), `exposes ${f}`);
    cors("206", await request(port, "GET", "/data.json", { ...o, Range: "bytes=0-1" }));
    const nm = await request(port, "GET", "/data.json", {
      ...o,
      "If-None-Match": ok.headers.get("etag")!,
    });
    assert.equal(nm.status, 304);
    cors("304", nm);
    cors("HEAD", await request(port, "HEAD", "/data.json", o));
    cors("no Origin", await request(port, "GET", "/data.json"));

    const pre = await request(port, "OPTIONS", "/data.json", {
      ...o,
      "Access-Control-Request-Method": "GET",
      "Access-Control-Request-Headers": "range, if-none-match",
    });
    assert.equal(pre.status, 204, pre.head);
    cors("preflight", pre);
    const methods = pre.headers.get("access-control-allow-methods") ?? "";
    assert.match(methods, /\bGET\b/, `Allow-Methods: ${methods}`);
    assert.match(methods, /\bHEAD\b/);
    const allowHeaders = (pre.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    assert.ok(allowHeaders.includes("range"), `Allow-Headers: ${allowHeaders}`);
    assert.ok(!pre.headers.has("content-length") || pre.headers.get("content-length") === "0");
    // A header list that is not a plain token list is not echoed (no header injection).
    const bad = await request(port, "OPTIONS", "/data.json", {
      ...o,
      "Access-Control-Request-Method": "GET",
      "Access-Control-Request-Headers": "x-a\u00ff: y",
    });
    assert.equal(bad.status, 204);
    assert.ok(!(bad.headers.get("access-control-allow-headers") ?? "").includes("\u00ff"));
  });
  // Without --cors: no CORS fields at all.
  await withSite(files, [], async ({ port }) => {
    const r = await request(port, "GET", "/data.json", { Origin: "http://elsewhere.example" });
    assert.ok(!r.headers.has("access-control-allow-origin"));
    const pre = await request(port, "OPTIONS", "/data.json", {
      Origin: "http://elsewhere.example",
      "Access-Control-Request-Method": "GET",
    });
    assert.ok(!pre.headers.has("access-control-allow-origin"));
    assert.ok(!pre.headers.has("access-control-allow-methods"));
  });
});

boundedTest(
  "tuxd --vhosts serves ROOT/<host>/ and falls back to ROOT/default/ without leaving ROOT",
  60_000,
  async () => {
    const files = {
      "example.com/index.html": "example.com\n",
      "example.com/only-here.txt": "only on example.com\n",
      "default/index.html": "default site\n",
      "other.org/index.html": "other.org\n",
      "xn--bcher-kva.example/index.html": "punycode host\n",
      "WWW.UPPER.example/index.html": "never selected: hosts are lower-cased\n",
    };
    await withSite(files, ["--vhosts"], async ({ port }) => {
      const page = async (host: string, path = "/") => {
        const r = await request(port, "GET", path, {}, { host });
        return { status: r.status, text: td.decode(r.body) };
      };
      const table: [string, string][] = [
        ["example.com", "example.com\n"],
        ["EXAMPLE.COM", "example.com\n"],
        ["www.example.com", "example.com\n"],
        ["WWW.Example.COM:8080", "example.com\n"],
        ["example.com:80", "example.com\n"],
        ["example.com.", "example.com\n"],
        ["other.org", "other.org\n"],
        ["xn--bcher-kva.example", "punycode host\n"],
        ["unknown.example", "default site\n"],
        ["localhost", "default site\n"],
        ["127.0.0.1", "default site\n"],
        ["127.0.0.1:8080", "default site\n"],
        ["[::1]", "default site\n"],
        ["[::1]:8080", "default site\n"],
        ["a..b", "default site\n"],
        ["default", "default site\n"],
        ["www.upper.example", "default site\n"],
        ["-example.com", "default site\n"],
        ["example.com-", "default site\n"],
        ["exa_mple.com", "default site\n"],
        [
          `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.${
            "e".repeat(45)
          }`,
          "default site\n",
        ],
        ["x".repeat(300), "default site\n"],
        [`${"a".repeat(64)}.com`, "default site\n"],
        ["", "default site\n"],
        ["%2e%2e", "default site\n"],
        ["example.com%2f..", "default site\n"],
      ];
      const problems: string[] = [];
      for (const [host, want] of table) {
        const got = await page(host);
        if (got.status !== 200 || got.text !== want) {
          problems.push(
            `Host: ${JSON.stringify(host)} → ${got.status} ${JSON.stringify(got.text)}`,
          );
        }
      }
      assert.deepEqual(problems, [], problems.join("\n"));
      assert.equal((await page("example.com", "/only-here.txt")).status, 200);
      assert.equal((await page("other.org", "/only-here.txt")).status, 404, "sites are separate");
      assert.equal((await page("unknown.example", "/only-here.txt")).status, 404);

      // Hosts that are not valid reg-names are refused by the parser (400) or get the default
      // site; never a directory outside ROOT.
      for (const host of ["../x", "..", "../../etc", "x/../..", "example.com/..", "a b", "a\\b"]) {
        const got = await page(host);
        assert.ok(
          got.status === 400 || (got.status === 200 && got.text === "default site\n"),
          `Host: ${JSON.stringify(host)} → ${got.status} ${JSON.stringify(got.text)}`,
        );
      }

      // The cache of one site never answers for another (fast path keyed by path only).
      for (let i = 0; i < 3; i++) {
        assert.equal((await page("example.com", "/index.html")).text, "example.com\n");
        assert.equal((await page("other.org", "/index.html")).text, "other.org\n");
        assert.equal((await page("nope.example", "/index.html")).text, "default site\n");
      }

      // Absolute-form: its authority, not Host, selects the site.
      const abs = async (target: string, host: string) => {
        const r = await exchange(
          port,
          bytes(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
          false,
        );
        return { status: r.status, text: td.decode(r.body) };
      };
      assert.deepEqual(await abs("http://example.com/", "other.org"), {
        status: 200,
        text: "example.com\n",
      });
      assert.deepEqual(await abs("http://www.other.org:8080/index.html", "example.com"), {
        status: 200,
        text: "other.org\n",
      });
      assert.deepEqual(await abs("http://unknown.example/", "example.com"), {
        status: 200,
        text: "default site\n",
      });
    }, async (_root, dir) => {
      // What "Host: ../x" would name if it were used as a path.
      await Deno.mkdir(`${dir}/x`);
      await Deno.writeTextFile(`${dir}/x/index.html`, "OUTSIDE ROOT (x)\n");
    });
  },
);

boundedTest(
  "tuxd --vhosts never follows a host directory symlinked out of ROOT",
  30_000,
  async () => {
    const files = { "default/index.html": "default site\n", "in.example/index.html": "in\n" };
    await withSite(files, ["--vhosts"], async ({ port }) => {
      for (const host of ["evil.example", "www.evil.example", "EVIL.example:1"]) {
        const r = await request(port, "GET", "/", {}, { host });
        assert.notEqual(td.decode(r.body), "OUTSIDE ROOT\n", `Host: ${host}`);
        assert.equal(td.decode(r.body), "default site\n", `Host: ${host}`);
      }
      // A symlink to another host directory inside ROOT is fine.
      const alias = await request(port, "GET", "/", {}, { host: "alias.example" });
      assert.equal(td.decode(alias.body), "in\n");
    }, async (root, dir) => {
      await Deno.mkdir(`${dir}/outside`);
      await Deno.writeTextFile(`${dir}/outside/index.html`, "OUTSIDE ROOT\n");
      await Deno.symlink(`${dir}/outside`, `${root}/evil.example`);
      await Deno.symlink(`${root}/in.example`, `${root}/alias.example`);
    });
  },
);

boundedTest(
  "tuxd --cache-control matches globs against the request path, also through symlinks",
  30_000,
  async () => {
    // Config: "Cache-Control by glob on the request path". A release directory reached through
    // a symlink (/assets -> /releases/v2) is the common case.
    const files = {
      "releases/v2/app.css": "body{}\n",
      "releases/v2/page.html": "<p>v2</p>\n",
      "other/doc.txt": "doc\n",
    };
    const args = ["--cache-control", "/assets/**=public, max-age=31536000, immutable"];
    await withSite(files, args, async ({ port }) => {
      const problems: string[] = [];
      for (const path of ["/assets/app.css", "/assets/page.html", "/assets/doc-link.txt"]) {
        const r = await request(port, "GET", path);
        assert.equal(r.status, 200, path);
        const cc = r.headers.get("cache-control");
        if (cc !== "public, max-age=31536000, immutable") problems.push(`${path}: ${cc}`);
      }
      // The real paths do not match the glob.
      for (const path of ["/releases/v2/app.css", "/other/doc.txt"]) {
        const r = await request(port, "GET", path);
        assert.equal(r.status, 200, path);
        const cc = r.headers.get("cache-control");
        if (cc !== undefined) problems.push(`${path}: ${cc}`);
      }
      assert.deepEqual(problems, [], problems.join("\n"));
    }, async (root) => {
      await Deno.symlink(`${root}/releases/v2`, `${root}/assets`);
      await Deno.symlink(`${root}/other/doc.txt`, `${root}/releases/v2/doc-link.txt`);
    });
  },
);
