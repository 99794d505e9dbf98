/**
 * Static files over raw sockets: HEAD, media types, validators and the fields every response
 * carries, error bodies, directory redirects, dotfiles, and path traversal attempts in every
 * spelling (sent as raw bytes, never normalised by a client library).
 */
import assert from "node:assert/strict";
import {
  checkFileHeaders,
  type ParsedResponse,
  parseResponses,
  rawRequest,
  startTuxd,
  text,
} from "../_util/server.ts";
import { bytes, get, str, type TempSite, tempSite, withClient } from "./_helpers.ts";

const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Content-Type per extension, exactly. */
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  json: "application/json; charset=utf-8",
  map: "application/json; charset=utf-8",
  svg: "image/svg+xml; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  xml: "application/xml; charset=utf-8",
  wasm: "application/wasm",
  png: "image/png",
  jpg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/x-icon",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  mp4: "video/mp4",
  webm: "video/webm",
  mp3: "audio/mpeg",
  pdf: "application/pdf",
  zip: "application/zip",
  unknownext: "application/octet-stream",
};

/** A one-shot request with Connection: close; the single response, strictly parsed. */
async function one(port: number, req: string, head = false): Promise<ParsedResponse> {
  const raw = await rawRequest(port, bytes(req), { timeoutMs: 3000 });
  const rs = parseResponses(raw, { headRequests: head ? [0] : [] });
  assert.equal(rs.length, 1, `one response to ${JSON.stringify(req)}, got ${rs.length}`);
  return rs[0];
}

const close = (path: string, extra = "", method = "GET") =>
  get(path, `${extra}Connection: close\r\n`, method);

/** Date, Server-independent fields every response must carry. */
function commonFields(label: string, r: ParsedResponse): string[] {
  const p: string[] = [];
  const date = r.headers.get("date");
  if (!date || !IMF_FIXDATE.test(date)) p.push(`${label}: Date ${JSON.stringify(date)}`);
  else if (Math.abs(Date.parse(date) - Date.now()) > 60_000) p.push(`${label}: Date ${date} off`);
  if (r.headers.get("x-content-type-options") !== "nosniff") {
    p.push(`${label}: X-Content-Type-Options ${r.headers.get("x-content-type-options")}`);
  }
  return p;
}

Deno.test("tuxd answers HEAD with GET's fields and no body", async () => {
  const s = await tempSite({ "page.html": "<p>hi</p>\n", "big.bin": "x".repeat(300_000) });
  const srv = await startTuxd({ root: s.root });
  try {
    for (const path of ["/page.html", "/big.bin", "/missing", "/page.html"]) {
      const g = await one(srv.port, close(path));
      const h = await one(srv.port, close(path, "", "HEAD"), true);
      assert.equal(h.status, g.status, path);
      const strip = (r: ParsedResponse) => r.rawHeaders.filter(([n]) => n.toLowerCase() !== "date");
      assert.deepEqual(strip(h), strip(g), `${path}: HEAD fields differ from GET's`);
      assert.equal(h.body.length, 0);
      assert.equal(g.body.length, Number(g.headers.get("content-length")));
    }
    // On a persistent connection the bytes after a HEAD response are the next response.
    await withClient(srv.port, async (c) => {
      await c.write(get("/big.bin", "", "HEAD") + get("/page.html"));
      const [h, g] = await c.responses(2, { heads: [0] });
      assert.equal(h.headers.get("content-length"), "300000");
      assert.equal(g.start, h.end);
      assert.equal(text(g.body), "<p>hi</p>\n");
    });
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd sends the Content-Type of each extension", async () => {
  const files: Record<string, Uint8Array> = {};
  for (const ext of Object.keys(TYPES)) files[`f.${ext}`] = bytes(`content of ${ext}`);
  files["UPPER.PNG"] = bytes("png");
  files["noext"] = bytes("no extension");
  const s = await tempSite(files);
  const srv = await startTuxd({ root: s.root });
  try {
    const problems: string[] = [];
    const want = { ...TYPES, "UPPER.PNG": "image/png", noext: "application/octet-stream" };
    for (const [key, type] of Object.entries(want)) {
      const name = key in TYPES ? `f.${key}` : key;
      const r = await one(srv.port, close(`/${name}`));
      if (r.status !== 200) problems.push(`${name}: status ${r.status}`);
      if (r.headers.get("content-type") !== type) {
        problems.push(`${name}: ${r.headers.get("content-type")}, want ${type}`);
      }
      if (str(r.body) !== str(files[name])) problems.push(`${name}: body differs`);
    }
    assert.deepEqual(problems, [], problems.join("\n"));
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd sends validators, Date and nosniff on 200 and on errors", async () => {
  const s = await tempSite({ "a.txt": "validators\n", "d/index.html": "dir\n" });
  const srv = await startTuxd({ root: s.root });
  try {
    const problems: string[] = [];
    const st = await Deno.stat(`${s.root}/a.txt`);
    for (let i = 0; i < 2; i++) { // slow path, then the object cache
      const r = await one(srv.port, close("/a.txt"));
      problems.push(...checkFileHeaders(`a.txt #${i}`, (n) => r.headers.get(n), {
        path: "a.txt",
        size: st.size,
        mtime: st.mtime,
      }));
      problems.push(...commonFields(`a.txt #${i}`, r));
      const etag = r.headers.get("etag") ?? "";
      if (!/^"[^"]+"$/.test(etag)) problems.push(`ETag not a quoted strong tag: ${etag}`);
    }
    const errors: [string, number][] = [
      [close("/missing"), 404],
      [close("/a.txt", "", "POST"), 405],
      [close("/a.txt", "", "BREW"), 501],
      ["GET /a.txt HTTP/1.1\r\nConnection: close\r\n\r\n", 400],
      [close("/d"), 301],
    ];
    for (const [req, status] of errors) {
      const r = await one(srv.port, req);
      if (r.status !== status) problems.push(`${JSON.stringify(req)}: ${r.status} not ${status}`);
      problems.push(...commonFields(`${status}`, r));
    }
    assert.deepEqual(problems, [], problems.join("\n"));
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd error responses have short text bodies", async () => {
  const s = await tempSite({ "a.txt": "x\n" });
  const srv = await startTuxd({ root: s.root });
  try {
    const cases: [string, number, string][] = [
      [close("/nope.html"), 404, "404 Not Found\n"],
      [close("/a.txt", "Content-Length: 0\r\n", "POST"), 405, "405 Method Not Allowed\n"],
      [close("/a.txt", "", "PUT"), 405, "405 Method Not Allowed\n"],
      [close("/a.txt", "", "DELETE"), 405, "405 Method Not Allowed\n"],
      ["GET /a.txt HTTP/1.1\r\n\r\n", 400, "400 Bad Request\n"],
      ["GET /a.txt HTTP/1.1\r\nHost : t\r\n\r\n", 400, "400 Bad Request\n"],
      [close("/a.txt", "", "PROPFIND"), 501, "501 Not Implemented\n"],
    ];
    for (const [req, status, body] of cases) {
      const r = await one(srv.port, req);
      assert.equal(r.status, status, JSON.stringify(req));
      assert.equal(text(r.body), body, JSON.stringify(req));
      assert.equal(r.headers.get("content-type"), "text/plain; charset=utf-8");
      if (status === 405) {
        const allow = (r.headers.get("allow") ?? "").split(/\s*,\s*/).sort();
        assert.deepEqual(allow, ["GET", "HEAD", "OPTIONS"], "405 carries Allow");
      }
    }
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd redirects a directory to its slash URL, never to //host", async () => {
  const s = await tempSite({
    "dir/index.html": "dir index\n",
    "evil.com/index.html": "not evil\n",
    "a b/index.html": "space\n",
  });
  const srv = await startTuxd({ root: s.root });
  try {
    const cases: [string, string][] = [
      ["/dir", "/dir/"],
      ["/dir?x=1&y=%20z", "/dir/?x=1&y=%20z"],
      ["/dir?", "/dir/?"],
      ["//dir", "/dir/"],
      ["//evil.com", "/evil.com/"],
      ["///evil.com?q", "/evil.com/?q"],
      ["/./evil.com", "/evil.com/"],
      ["/x/../evil.com", "/evil.com/"],
      ["/a%20b", "/a%20b/"],
    ];
    for (const [target, location] of cases) {
      const r = await one(srv.port, close(target));
      assert.equal(r.status, 301, target);
      const loc = r.headers.get("location") ?? "";
      assert.equal(loc, location, target);
      assert.ok(!loc.startsWith("//") && !loc.startsWith("/\\"), `${target} → ${loc}`);
    }
    const r = await one(srv.port, close("/dir/"));
    assert.equal(r.status, 200);
    assert.equal(text(r.body), "dir index\n");
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd hides dotfiles except under /.well-known/", async () => {
  const s = await tempSite({
    ".env": "SECRET=dotenv\n",
    ".git/config": "[core] secret\n",
    "sub/.hidden": "hidden secret\n",
    ".well-known/security.txt": "Contact: mailto:x@example.org\n",
    ".well-known/.secret": "well-known secret\n",
    "ok.txt": "ok\n",
  });
  const srv = await startTuxd({ root: s.root });
  try {
    for (
      const target of [
        "/.env",
        "/.git/config",
        "/.git/",
        "/sub/.hidden",
        "/%2eenv",
        "/sub/%2Ehidden",
        "/x/../.env",
        "/.well-known/.secret",
        "/.well-known/../.env",
      ]
    ) {
      const r = await one(srv.port, close(target));
      assert.ok(r.status === 404 || r.status === 400, `${target}: ${r.status}`);
      assert.ok(!text(r.body).includes("secret") && !text(r.body).includes("SECRET"), target);
    }
    const r = await one(srv.port, close("/.well-known/security.txt"));
    assert.equal(r.status, 200);
    assert.equal(text(r.body), "Contact: mailto:x@example.org\n");
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

/**
 * The document root is `ROOT/t` (served directly, or as the virtual host `t` of ROOT with
 * --vhosts) with a canary beside it in ROOT, symlinks out of it, and a symlink to a dotfile in
 * it. Served directly, Deno's --allow-read=ROOT/t would stop a leak even if tuxd's checks
 * failed; with --vhosts the process may read all of ROOT, so only tuxd's own checks stand
 * between a request and the canary.
 */
async function traversalSite(): Promise<{ s: TempSite; canary: string }> {
  const canary = `CANARY-${crypto.randomUUID()}`;
  const s = await tempSite({
    "t/index.html": "index\n",
    "t/a/b/c.txt": "deep\n",
    "t/.secret": canary + " (dotfile)\n",
    "t/real.txt": "real\n",
    "canary.txt": canary + "\n",
    "_outside/canary.txt": canary + " (dir)\n",
    "_outside/index.html": canary + " (index)\n",
  });
  const t = `${s.root}/t`;
  await Deno.writeTextFile(`${s.dir}/canary.txt`, canary + " (beside ROOT)\n");
  await Deno.symlink(`${s.root}/canary.txt`, `${t}/link-file.txt`);
  await Deno.symlink("../canary.txt", `${t}/rel-link.txt`);
  await Deno.symlink("../../canary.txt", `${t}/rel-link2.txt`);
  await Deno.symlink(`${s.root}/_outside`, `${t}/link-dir`);
  await Deno.symlink("..", `${t}/up`);
  await Deno.symlink(".secret", `${t}/to-dotfile.txt`);
  await Deno.symlink("/etc/passwd", `${t}/passwd`);
  await Deno.symlink("real.txt", `${t}/alias.txt`);
  return { s, canary };
}

const TRAVERSALS = [
  "/../canary.txt",
  "/../../canary.txt",
  "/a/../../canary.txt",
  "/%2e%2e/canary.txt",
  "/%2E%2E/canary.txt",
  "/.%2e/canary.txt",
  "/%2e./canary.txt",
  "/%252e%252e/canary.txt",
  "/%252e%252e%252fcanary.txt",
  "/..%2fcanary.txt",
  "/%2e%2e%2fcanary.txt",
  "/%2fcanary.txt",
  "/%2f..%2fcanary.txt",
  "/a%5c..%5c..%5ccanary.txt",
  "/..%5ccanary.txt",
  "\\..\\canary.txt",
  "/\\..\\canary.txt",
  "/..\\canary.txt",
  "/%00",
  "/canary.txt%00.html",
  "/..%00/canary.txt",
  "/..;/canary.txt",
  "/a/b/..;/..;/..;/canary.txt",
  "/%c0%ae%c0%ae/canary.txt",
  "/%c0%af../canary.txt",
  "/%e0%80%ae%e0%80%ae/canary.txt",
  "/....//canary.txt",
  "/.../canary.txt",
  "http://t/../canary.txt",
  "http://t/%2e%2e/canary.txt",
  "http://t/..%2fcanary.txt",
  "https://t/../../canary.txt",
  "/link-file.txt",
  "/rel-link.txt",
  "/rel-link2.txt",
  "/link-dir/canary.txt",
  "/link-dir/",
  "/link-dir",
  "/link-dir/index.html",
  "/link-dir/../canary.txt",
  "/up/canary.txt",
  "/up/_outside/canary.txt",
  "/up/",
  "/up",
  "/to-dotfile.txt",
  "/passwd",
  "/.secret",
];

for (const mode of ["root", "vhost"] as const) {
  Deno.test(`tuxd never serves a file outside the root (${mode})`, async () => {
    const { s, canary } = await traversalSite();
    const srv = mode === "root"
      ? await startTuxd({ root: `${s.root}/t` })
      : await startTuxd({ root: s.root, args: ["--vhosts"] });
    try {
      const problems: string[] = [];
      const hosts = mode === "vhost" ? ["t", "..", "t/..", "_outside", "canary.txt", "x"] : ["t"];
      const requests: [string, string][] = TRAVERSALS.map((target) => [target, "t"]);
      for (const host of hosts.slice(1)) requests.push(["/canary.txt", host], ["/", host]);
      for (const [target, host] of requests) {
        const raw = await rawRequest(
          srv.port,
          bytes(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
          { timeoutMs: 3000 },
        );
        const label = `${target} (Host: ${host})`;
        const all = str(raw);
        if (all.includes(canary)) problems.push(`${label}: the canary leaked`);
        if (all.includes("root:x:0:0")) problems.push(`${label}: /etc/passwd leaked`);
        let rs: ParsedResponse[];
        try {
          rs = parseResponses(raw);
        } catch (e) {
          problems.push(`${label}: ${(e as Error).message}`);
          continue;
        }
        if (rs.length !== 1) problems.push(`${label}: ${rs.length} responses`);
        else if (rs[0].status !== 400 && rs[0].status !== 404) {
          problems.push(`${label}: status ${rs[0].status}`);
        }
      }
      assert.deepEqual(problems, [], problems.join("\n"));
      // Symlinks within the root are followed: the refusals above are not blanket ones.
      for (const [target, body] of [["/alias.txt", "real\n"], ["/a/b/../b/c.txt", "deep\n"]]) {
        const r = await one(srv.port, close(target));
        assert.equal(r.status, 200, target);
        assert.equal(text(r.body), body, target);
      }
    } finally {
      await srv.stop();
      await s.cleanup();
    }
  });
}
