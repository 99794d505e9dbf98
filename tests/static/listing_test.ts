/**
 * Directory listings (`--listing`): off by default; hostile file names escaped in text and
 * attributes and percent-encoded per segment in links (every link followed); sorted; sizes and
 * dates; hidden, dangling, looping and out-of-root entries left out; JSON on request; CSP; and
 * headless Chromium rendering the page without running a script smuggled in through a name.
 */
import assert from "node:assert/strict";
import { launchChromium } from "../_util/chromium.ts";
import {
  boundedTest,
  bytes,
  IMF_FIXDATE,
  request,
  run,
  sameBytes,
  setMtime,
  withSite,
} from "./_util.ts";

const MTIME = 1_700_000_000_000;
const LM = "Tue, 14 Nov 2023 22:13:20 GMT";
const XSS = `<img src=x onerror=document.title='pwned'>`;

/** Hostile and awkward names (file → content). */
const NAMES = [
  "plain.txt",
  "a<b>c.txt",
  "tom & jerry.txt",
  `say "hi".txt`,
  "it's.txt",
  "with space.txt",
  "100%.txt",
  "%41%2e%2e.txt", // must not be decoded twice
  "hash#tag.txt",
  "what?.txt",
  "semi;colon=1.txt",
  "plus+sign.txt",
  "üñíçødé-名前.txt",
  "emoji-🐧.txt",
  "back`tick.txt",
  XSS,
  `"><svg onload=document.title='pwned2'>.txt`,
  "javascript:alert(1)",
];
const DIRS = ["sub dir", "z&dir<"];

const files: Record<string, string> = { "plain/index.html": "<p>has an index</p>\n" };
for (const [i, n] of NAMES.entries()) files[`list/${n}`] = `file ${i}: ${n}\n`;
for (const d of DIRS) files[`list/${d}/inner.txt`] = `inner of ${d}\n`;
files["list/.hidden"] = "hidden\n";
files["list/.git/config"] = "[core]\n";
files["list/big.bin"] = "x".repeat(5000);
files["empty/.keep"] = "";

async function prepare(root: string, dir: string) {
  for (const n of [...NAMES, "big.bin"]) await setMtime(`${root}/list/${n}`, MTIME);
  // Entries that must be skipped (tests run as root, so chmod 000 hides nothing):
  await Deno.symlink(`${root}/list/nowhere`, `${root}/list/dangling`);
  await Deno.symlink(`${root}/list/loop-b`, `${root}/list/loop-a`);
  await Deno.symlink(`${root}/list/loop-a`, `${root}/list/loop-b`);
  await Deno.writeTextFile(`${dir}/outside.txt`, "outside the root\n");
  await Deno.symlink(`${dir}/outside.txt`, `${root}/list/escape.txt`);
  await Deno.symlink(dir, `${root}/list/escape-dir`);
  const fifo = await run("mkfifo", [`${root}/list/fifo`], 5000);
  assert.equal(fifo.code, 0, fifo.stderr);
  // A symlink to a file inside the root is listed (and served).
  await Deno.symlink(`${root}/list/plain.txt`, `${root}/list/link-to-plain.txt`);
}

const SKIPPED = [
  ".hidden",
  ".git",
  "dangling",
  "loop-a",
  "loop-b",
  "escape.txt",
  "escape-dir",
  "fifo",
];
const LISTED_FILES = [...NAMES, "big.bin", "link-to-plain.txt"];

/** Directories first, then files, each by code unit order (as the JSON listing promises). */
function expectedOrder(): string[] {
  const by = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...[...DIRS].sort(by), ...[...LISTED_FILES].sort(by)];
}

/** Minimal HTML entity decoding, for attribute values and text taken from the listing. */
function unescapeHtml(s: string): string {
  return s.replace(/&#(\d+);|&#x([0-9a-f]+);|&(amp|lt|gt|quot|apos);/gi, (_, d, x, n) => {
    if (d) return String.fromCodePoint(Number(d));
    if (x) return String.fromCodePoint(parseInt(x, 16));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[String(n).toLowerCase()]!;
  });
}

boundedTest("tuxd lists no directory unless --listing is given", 30_000, async () => {
  await withSite(files, [], async ({ port }) => {
    for (const path of ["/list/", "/empty/", "/list/sub%20dir/"]) {
      const r = await request(port, "GET", path);
      assert.equal(r.status, 404, `${path} without --listing`);
      assert.ok(!new TextDecoder().decode(r.body).includes("plain.txt"));
    }
    const idx = await request(port, "GET", "/plain/");
    assert.equal(idx.status, 200);
    assert.equal(new TextDecoder().decode(idx.body), "<p>has an index</p>\n");
  }, prepare);
});

boundedTest(
  "tuxd --listing escapes hostile names, encodes every link, sorts, and skips what it must",
  60_000,
  async () => {
    await withSite(files, ["--listing"], async ({ port }) => {
      const r = await request(port, "GET", "/list/");
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(r.headers.get("x-content-type-options"), "nosniff");
      const csp = r.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'none'/, `CSP: ${csp}`);
      assert.doesNotMatch(csp, /script-src/, "no script source allowed");
      const html = new TextDecoder().decode(r.body);

      // No raw markup from a name survives.
      const tags = new Set([...html.matchAll(/<\/?([!a-z0-9]+)/gi)].map((m) => m[1].toLowerCase()));
      const allowed = "!doctype html head meta title style body h1 table thead tbody tr td a";
      for (const t of tags) {
        assert.ok(allowed.split(" ").includes(t), `a <${t}> tag in the listing`);
      }
      assert.equal(html.split("<").length - 1, [...html.matchAll(/<\/?[!a-z0-9]+[ >]/gi)].length);

      // Every anchor: href percent-encoded per segment, text escaped; both decode to the name.
      const anchors = [...html.matchAll(/<a href="([^"]*)">([^<]*)<\/a>/g)];
      const names: string[] = [];
      const problems: string[] = [];
      for (const [, rawHref, rawText] of anchors) {
        const href = unescapeHtml(rawHref);
        const text = unescapeHtml(rawText);
        if (href === "../") {
          continue;
        }
        if (!/^[A-Za-z0-9\-._~!$&'()*+,;=:@%]*\/?$/.test(href) || /%(?![0-9A-F]{2})/i.test(href)) {
          problems.push(`href not percent-encoded: ${JSON.stringify(href)}`);
        }
        if (/[<>"'&]/.test(rawText.replace(/&#\d+;|&\w+;/g, ""))) {
          problems.push(`text not escaped: ${JSON.stringify(rawText)}`);
        }
        const dirLink = href.endsWith("/");
        const name = decodeURIComponent(dirLink ? href.slice(0, -1) : href);
        if (text !== name + (dirLink ? "/" : "")) {
          problems.push(`text ${JSON.stringify(text)} vs href ${JSON.stringify(href)}`);
        }
        names.push(name);
        // Follow the link as a browser would resolve it.
        const target = new URL(href, "http://t/list/").pathname;
        const res = await request(port, "GET", target);
        if (res.status !== 200) {
          problems.push(`GET ${target} (for ${JSON.stringify(name)}): ${res.status}`);
          continue;
        }
        const want = DIRS.includes(name)
          ? null
          : name === "link-to-plain.txt"
          ? files["list/plain.txt"]
          : files[`list/${name}`];
        if (want !== null && !sameBytes(res.body, bytes(unescape(encodeURIComponent(want))))) {
          problems.push(`GET ${target}: not the content of ${JSON.stringify(name)}`);
        }
        if (want === null && !new TextDecoder().decode(res.body).includes("inner.txt")) {
          problems.push(`GET ${target}: not the listing of ${JSON.stringify(name)}`);
        }
      }
      assert.deepEqual(problems, [], problems.join("\n"));
      assert.deepEqual(names, expectedOrder(), "listed names, in order");
      for (const s of SKIPPED) assert.ok(!html.includes(s), `${s} listed`);
      assert.ok(html.includes('<a href="../">'), "a link to the parent");

      // Sizes and modification times.
      const row = html.split("\n").find((l) => l.includes('href="big.bin"')) ?? "";
      assert.match(row, /4\.9 KiB|5000/, `size of big.bin in ${row}`);
      assert.ok(row.includes(LM), `mtime of big.bin in ${row}`);
      const plainRow = html.split("\n").find((l) => l.includes('href="plain.txt"')) ?? "";
      const plainSize = files["list/plain.txt"].length;
      assert.ok(
        plainRow.includes(`>${plainSize} B<`),
        `size ${plainSize} of plain.txt: ${plainRow}`,
      );

      // An empty directory (only a hidden file) is a listing with no entries, not an error.
      const empty = await request(port, "GET", "/empty/");
      assert.equal(empty.status, 200);
      assert.ok(!new TextDecoder().decode(empty.body).includes(".keep"));
      // A directory with an index.html is not listed.
      const plain = await request(port, "GET", "/plain/");
      assert.equal(new TextDecoder().decode(plain.body), "<p>has an index</p>\n");
      // HEAD: the same head, no body.
      const head = await request(port, "HEAD", "/list/");
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), r.headers.get("content-length"));
    }, prepare);
  },
);

boundedTest("tuxd --listing answers JSON to Accept: application/json", 30_000, async () => {
  await withSite(files, ["--listing"], async ({ port }) => {
    const r = await request(port, "GET", "/list/", { Accept: "application/json" });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
    assert.match(r.headers.get("vary") ?? "", /\bAccept\b/, "the listing varies on Accept");
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    const doc = JSON.parse(new TextDecoder().decode(r.body));
    const entries = doc.entries as { name: string; type: string; size: number; modified: string }[];
    assert.deepEqual(entries.map((e) => e.name), expectedOrder());
    const big = entries.find((e) => e.name === "big.bin")!;
    assert.equal(big.type, "file");
    assert.equal(big.size, 5000);
    assert.equal(Date.parse(big.modified), MTIME);
    assert.equal(entries.find((e) => e.name === "sub dir")?.type, "directory");
    for (const s of SKIPPED) assert.ok(!entries.some((e) => e.name === s), `${s} listed`);
    // Preferences: HTML when it is preferred or equal, JSON when preferred.
    for (
      const [accept, json] of [
        ["text/html", false],
        ["text/html, application/json", false],
        ["application/json;q=0.9, text/html", false],
        ["text/html;q=0.5, application/json", true],
        ["*/*", false],
        ["application/json;q=0", false],
      ] as const
    ) {
      const x = await request(port, "GET", "/list/", { Accept: accept });
      const type = x.headers.get("content-type") ?? "";
      assert.equal(type.startsWith("application/json"), json, `Accept: ${accept} → ${type}`);
    }
  }, prepare);
});

boundedTest(
  "tuxd --listing renders in headless Chromium and runs no script from a file name",
  90_000,
  async () => {
    await withSite(files, ["--listing"], async ({ srv, site }) => {
      const browser = await launchChromium();
      try {
        const page = await browser.loadPage(new URL("/list/", srv.url).href, { timeoutMs: 30_000 });
        try {
          const doc = page.responses.find((x) => x.url.endsWith("/list/"));
          assert.equal(doc?.status, 200, `document response: ${JSON.stringify(page.responses)}`);
          const shot = `${site.dir}/listing.png`;
          await page.screenshot(shot);
          const png = await Deno.readFile(shot);
          assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG");
          assert.ok(png.length > 1024, `screenshot is ${png.length} bytes`);
          const text = await page.evaluate<string>("document.body.innerText");
          for (const n of [...NAMES, ...DIRS]) {
            assert.ok(text.includes(n), `page text lacks ${JSON.stringify(n)}`);
          }
          const title = await page.evaluate<string>("document.title");
          assert.equal(title, "Index of /list/", "document.title changed by an injected script");
          const imgs = await page.evaluate<number>(
            "document.querySelectorAll('img, script, svg').length",
          );
          assert.equal(imgs, 0, "elements created from file names");
          const hrefs = await page.evaluate<string[]>(
            "[...document.querySelectorAll('a')].map((a) => decodeURIComponent(new URL(a.href).pathname))",
          );
          for (const n of NAMES) {
            assert.ok(hrefs.includes(`/list/${n}`), `no link resolving to /list/${n}`);
          }
          assert.deepEqual(page.errors.filter((e) => /pwned/.test(e)), []);
        } finally {
          await page.close();
        }
      } finally {
        await browser.close();
      }
      // The date column is a real HTTP-date.
      const r = await request(srv.port, "GET", "/list/");
      const dates = [...new TextDecoder().decode(r.body).matchAll(/<td>([^<]*GMT)<\/td>/g)];
      assert.ok(dates.length >= NAMES.length, `dates: ${dates.length}`);
      for (const [, d] of dates) assert.match(d, IMF_FIXDATE);
    }, prepare);
  },
);

boundedTest(
  "tuxd --listing evaluates If-Match and If-None-Match against the listing",
  30_000,
  async () => {
    // RFC 9110 §13.2.1: a 200 response means preconditions are evaluated. The listing has no
    // entity-tag, so "*" matches it (it exists) and any listed tag does not.
    await withSite(files, ["--listing"], async ({ port }) => {
      const table: [Record<string, string>, number][] = [
        [{ "If-Match": "*" }, 200],
        [{ "If-None-Match": `"x"` }, 200],
        [{ "If-Match": `"x"` }, 412],
        [{ "If-None-Match": "*" }, 304],
      ];
      const problems: string[] = [];
      for (const method of ["GET", "HEAD"]) {
        for (const [fields, want] of table) {
          const r = await request(port, method, "/list/", fields);
          if (r.status !== want) {
            problems.push(`${method} /list/ ${JSON.stringify(fields)}: ${r.status}, want ${want}`);
          }
        }
      }
      assert.deepEqual(problems, [], problems.join("\n"));
    }, prepare);
  },
);
