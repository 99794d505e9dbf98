/**
 * Conditional requests against real files (RFC 9110 §13): If-Match, If-Unmodified-Since,
 * If-None-Match, If-Modified-Since in the order of §13.2.2, dates in all three formats, and
 * what a 304 carries.
 */
import assert from "node:assert/strict";
import {
  boundedTest,
  IMF_FIXDATE,
  request,
  type Res,
  setMtime,
  STRONG_ETAG,
  textOf,
  withSite,
} from "./_util.ts";

/** 2023-11-14T22:13:20Z, a whole second. */
const MTIME = 1_700_000_000_000;
const LM = "Tue, 14 Nov 2023 22:13:20 GMT";
const LM_850 = "Tuesday, 14-Nov-23 22:13:20 GMT";
const LM_ASCTIME = "Tue Nov 14 22:13:20 2023";
const DAY_BEFORE = "Mon, 13 Nov 2023 22:13:20 GMT";
const SECOND_BEFORE = "Tue, 14 Nov 2023 22:13:19 GMT";
const DAY_AFTER = "Wed, 15 Nov 2023 22:13:20 GMT";

const PAGE = textOf(3000, "page"); // compressible and cached: negotiable, so Vary
const DATA = "binary-ish data, not compressible by type\n".repeat(20); // .bin: no coding, no Vary
const SUB = "sub-second mtime\n";

const CACHE_CONTROL = "public, max-age=60";

const files = { "page.html": PAGE, "data.bin": DATA, "sub.txt": SUB };

async function prepare(root: string) {
  await setMtime(`${root}/page.html`, MTIME);
  await setMtime(`${root}/data.bin`, MTIME);
  // 22:13:20.750: Last-Modified says 22:13:20, and that is what clients send back.
  await setMtime(`${root}/sub.txt`, MTIME + 750);
  const st = await Deno.stat(`${root}/sub.txt`);
  assert.equal(st.mtime?.getTime(), MTIME + 750, "file system keeps sub-second mtimes");
}

/** What every 304 must (and must not) carry, compared with the 200 of the same file. */
function check304(label: string, r: Res, ok: Res): void {
  assert.equal(r.status, 304, `${label}: status\n${r.head}`);
  assert.equal(r.headers.get("etag"), ok.headers.get("etag"), `${label}: ETag`);
  assert.match(r.headers.get("date") ?? "", IMF_FIXDATE, `${label}: Date`);
  assert.equal(r.headers.get("vary"), ok.headers.get("vary"), `${label}: Vary as the 200's`);
  assert.equal(r.headers.get("cache-control"), CACHE_CONTROL, `${label}: Cache-Control`);
  for (const f of ["content-length", "content-type", "content-range", "transfer-encoding"]) {
    assert.ok(!r.headers.has(f), `${label}: 304 carries ${f}\n${r.head}`);
  }
  assert.equal(r.body.length, 0, `${label}: body`);
}

boundedTest(
  "tuxd evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since in the order of RFC 9110 §13.2.2",
  60_000,
  async () => {
    await withSite(files, ["--cache-control", `*=${CACHE_CONTROL}`], async ({ port }) => {
      const oks: Record<string, Res> = {};
      for (const f of Object.keys(files)) {
        const r = await request(port, "GET", `/${f}`);
        assert.equal(r.status, 200, f);
        const etag = r.headers.get("etag") ?? "";
        assert.match(etag, STRONG_ETAG, `${f}: generated ETag is strong and quoted`);
        assert.equal(r.headers.get("cache-control"), CACHE_CONTROL);
        oks[f] = r;
      }
      assert.equal(oks["page.html"].headers.get("last-modified"), LM);
      assert.equal(oks["sub.txt"].headers.get("last-modified"), LM, "mtime floored to the second");
      assert.equal(oks["page.html"].headers.get("vary"), "Accept-Encoding");
      assert.equal(oks["data.bin"].headers.get("vary"), undefined, "nothing to negotiate");
      const etag = oks["page.html"].headers.get("etag")!;
      const opaque = etag.slice(1, -1);

      type Case = [label: string, fields: Record<string, string>, status: number];
      const cases: Case[] = [
        // If-Match: strong comparison, lists, "*".
        ["If-Match current", { "If-Match": etag }, 200],
        ["If-Match list", { "If-Match": `"nope", ${etag}, "other"` }, 200],
        ["If-Match *", { "If-Match": "*" }, 200],
        ["If-Match mismatch", { "If-Match": `"nope"` }, 412],
        ["If-Match weak is never a strong match", { "If-Match": `W/${etag}` }, 412],
        ["If-Match of a modified tag", { "If-Match": `"${opaque}x"` }, 412],
        ["If-Match unparsable", { "If-Match": "nope" }, 412],
        // If-Unmodified-Since.
        ["If-Unmodified-Since older", { "If-Unmodified-Since": DAY_BEFORE }, 412],
        ["If-Unmodified-Since a second older", { "If-Unmodified-Since": SECOND_BEFORE }, 412],
        ["If-Unmodified-Since equal", { "If-Unmodified-Since": LM }, 200],
        ["If-Unmodified-Since newer", { "If-Unmodified-Since": DAY_AFTER }, 200],
        ["If-Unmodified-Since RFC 850 older", {
          "If-Unmodified-Since": "Monday, 13-Nov-23 22:13:20 GMT",
        }, 412],
        ["If-Unmodified-Since asctime older", {
          "If-Unmodified-Since": "Mon Nov 13 22:13:20 2023",
        }, 412],
        ["If-Unmodified-Since garbage is ignored", { "If-Unmodified-Since": "not a date" }, 200],
        ["If-Unmodified-Since ignored when If-Match is present", {
          "If-Match": etag,
          "If-Unmodified-Since": DAY_BEFORE,
        }, 200],
        ["If-Match false wins over If-Unmodified-Since true", {
          "If-Match": `"nope"`,
          "If-Unmodified-Since": DAY_AFTER,
        }, 412],
        // If-None-Match: weak comparison, lists, "*".
        ["If-None-Match current", { "If-None-Match": etag }, 304],
        ["If-None-Match weak form", { "If-None-Match": `W/${etag}` }, 304],
        ["If-None-Match list", { "If-None-Match": `"a", W/"b",${etag} , "c"` }, 304],
        ["If-None-Match *", { "If-None-Match": "*" }, 304],
        ["If-None-Match mismatch", { "If-None-Match": `"nope"` }, 200],
        ["If-None-Match list mismatch", { "If-None-Match": `"a", W/"${opaque}x"` }, 200],
        ["If-None-Match unquoted is no match", { "If-None-Match": opaque }, 200],
        ["If-Match false before If-None-Match", {
          "If-Match": `"nope"`,
          "If-None-Match": etag,
        }, 412],
        [
          "If-Match true then If-None-Match false",
          { "If-Match": etag, "If-None-Match": etag },
          304,
        ],
        // If-Modified-Since.
        ["If-Modified-Since equal", { "If-Modified-Since": LM }, 304],
        ["If-Modified-Since older", { "If-Modified-Since": DAY_BEFORE }, 200],
        ["If-Modified-Since a second older", { "If-Modified-Since": SECOND_BEFORE }, 200],
        ["If-Modified-Since newer", { "If-Modified-Since": DAY_AFTER }, 304],
        ["If-Modified-Since RFC 850 equal", { "If-Modified-Since": LM_850 }, 304],
        ["If-Modified-Since asctime equal", { "If-Modified-Since": LM_ASCTIME }, 304],
        ["If-Modified-Since RFC 850 older", {
          "If-Modified-Since": "Monday, 13-Nov-23 22:13:20 GMT",
        }, 200],
        [
          "If-Modified-Since asctime older",
          { "If-Modified-Since": "Mon Nov 13 22:13:20 2023" },
          200,
        ],
        ["If-Modified-Since asctime one-digit day, newer", {
          "If-Modified-Since": "Mon Dec  4 22:13:20 2023",
        }, 304],
        ["If-Modified-Since impossible date", {
          "If-Modified-Since": "Fri, 31 Feb 2023 22:13:20 GMT",
        }, 200],
        ["If-Modified-Since lower-case (invalid)", { "If-Modified-Since": LM.toLowerCase() }, 200],
        ["If-Modified-Since trailing junk", { "If-Modified-Since": `${LM} x` }, 200],
        ["If-Modified-Since garbage", { "If-Modified-Since": "yesterday" }, 200],
        ["If-Modified-Since number", { "If-Modified-Since": "1700000000" }, 200],
        ["If-Modified-Since 25:00", { "If-Modified-Since": "Tue, 14 Nov 2023 25:00:00 GMT" }, 200],
        ["If-Modified-Since ignored when If-None-Match is present", {
          "If-None-Match": `"nope"`,
          "If-Modified-Since": LM,
        }, 200],
        ["If-None-Match decides over an older If-Modified-Since", {
          "If-None-Match": etag,
          "If-Modified-Since": DAY_BEFORE,
        }, 304],
      ];

      const problems: string[] = [];
      for (const method of ["GET", "HEAD"]) {
        for (const [label, fields, want] of cases) {
          const what = `${method} ${label} ${JSON.stringify(fields)}`;
          const r = await request(port, method, "/page.html", fields);
          if (r.status !== want) {
            problems.push(`${what}: ${r.status}, want ${want}`);
            continue;
          }
          if (want === 304) check304(what, r, oks["page.html"]);
          if (want === 200) {
            assert.equal(r.headers.get("etag"), etag, what);
            if (method === "GET") assert.equal(new TextDecoder().decode(r.body), PAGE, what);
            else assert.equal(r.headers.get("content-length"), String(PAGE.length), what);
          }
          if (want === 412) assert.ok(!r.headers.has("content-range"), what);
        }
      }
      assert.deepEqual(problems, [], problems.join("\n"));
    }, prepare);
  },
);

boundedTest(
  "tuxd answers If-None-Match with 304 carrying ETag and Vary, and no body",
  30_000,
  async () => {
    await withSite(files, ["--cache-control", `*=${CACHE_CONTROL}`], async ({ port }) => {
      for (const f of ["page.html", "data.bin", "sub.txt"]) {
        const ok = await request(port, "GET", `/${f}`);
        const etag = ok.headers.get("etag")!;
        for (const method of ["GET", "HEAD"]) {
          for (const inm of [etag, "*", `W/${etag}`]) {
            const r = await request(port, method, `/${f}`, { "If-None-Match": inm });
            check304(`${method} /${f} If-None-Match ${inm}`, r, ok);
            // The head is exactly what the 304 says: no stray bytes after it either
            // (request() refuses any bytes after a 304's head).
            assert.ok(r.head.startsWith("HTTP/1.1 304 "), r.head);
          }
        }
        // A plain GET afterwards still gets the whole file (the 304 left nothing behind).
        const again = await request(port, "GET", `/${f}`);
        assert.equal(again.status, 200);
        assert.deepEqual(again.body, ok.body);
      }
    }, prepare);
  },
);

boundedTest("tuxd compares modification times at one-second granularity", 30_000, async () => {
  await withSite(files, ["--cache-control", `*=${CACHE_CONTROL}`], async ({ port, root }) => {
    const ok = await request(port, "GET", "/sub.txt");
    assert.equal(ok.headers.get("last-modified"), LM);
    // The file changed at 22:13:20.750; a client that saw 22:13:20 has the current version.
    for (
      const [fields, want] of [
        [{ "If-Modified-Since": LM }, 304],
        [{ "If-Modified-Since": LM_850 }, 304],
        [{ "If-Modified-Since": LM_ASCTIME }, 304],
        [{ "If-Modified-Since": SECOND_BEFORE }, 200],
        [{ "If-Unmodified-Since": LM }, 200],
        [{ "If-Unmodified-Since": SECOND_BEFORE }, 412],
      ] as const
    ) {
      for (const method of ["GET", "HEAD"]) {
        const r = await request(port, method, "/sub.txt", fields);
        assert.equal(r.status, want, `${method} ${JSON.stringify(fields)}\n${r.head}`);
        if (want === 304) check304(`${method} ${JSON.stringify(fields)}`, r, ok);
      }
    }

    // Touch the file a second later: the old validators no longer match.
    await setMtime(`${root}/sub.txt`, MTIME + 1_250);
    const etag = ok.headers.get("etag")!;
    const r1 = await request(port, "GET", "/sub.txt", { "If-None-Match": etag });
    assert.equal(r1.status, 200, "stale ETag after the mtime changed");
    assert.notEqual(r1.headers.get("etag"), etag, "a new mtime gives a new ETag");
    assert.equal(r1.headers.get("last-modified"), "Tue, 14 Nov 2023 22:13:21 GMT");
    const r2 = await request(port, "GET", "/sub.txt", { "If-Modified-Since": LM });
    assert.equal(r2.status, 200, "modified after the date the client has");
    const r3 = await request(port, "GET", "/sub.txt", { "If-Match": etag });
    assert.equal(r3.status, 412, "If-Match with the old ETag");
  }, prepare);
});

boundedTest("tuxd answers a failed If-Match with 412 and no representation", 30_000, async () => {
  await withSite(files, [], async ({ port }) => {
    for (const method of ["GET", "HEAD"]) {
      const r = await request(port, method, "/data.bin", { "If-Match": `"nope"` });
      assert.equal(r.status, 412, r.head);
      assert.ok(!r.headers.has("etag"), "412 is not a representation of the file");
      assert.ok(!r.headers.has("content-range"));
      if (method === "GET") assert.notEqual(new TextDecoder().decode(r.body), DATA);
    }
    // Preconditions on a missing file: 404, not 412 or 304 (§13.2.1: 2xx/412 only otherwise).
    const missing = await request(port, "GET", "/missing.bin", { "If-None-Match": "*" });
    assert.equal(missing.status, 404);
    // No precondition ever turns into a 500.
    for (
      const v of ["", " ", ",", "W/", `"`, `"a`, "*, *", `*, "a"`, "W/*", `""`, "\t*\t"]
    ) {
      for (const name of ["If-Match", "If-None-Match", "If-Modified-Since", "If-Range"]) {
        const r = await request(port, "GET", "/data.bin", { [name]: v, Range: "bytes=0-0" });
        assert.ok(
          [200, 206, 304, 412].includes(r.status),
          `${name}: ${JSON.stringify(v)} → ${r.status}`,
        );
      }
    }
  }, prepare);
});

boundedTest(
  "tuxd ignores date preconditions sent on more than one field line",
  30_000,
  async () => {
    await withSite(files, [], async ({ port }) => {
      // RFC 9110 §13.1.3, §13.1.4: a field value with more than one member is ignored. Two
      // lines make one value "date1, date2", which is no HTTP-date.
      const twoIms: [string, string][] = [
        ["If-Modified-Since", LM],
        ["If-Modified-Since", DAY_BEFORE],
      ];
      const a = await request(port, "GET", "/page.html", twoIms);
      assert.equal(a.status, 200, "two If-Modified-Since lines: ignored, so 200");
      const twoIus: [string, string][] = [
        ["If-Unmodified-Since", DAY_BEFORE],
        ["If-Unmodified-Since", DAY_AFTER],
      ];
      const b = await request(port, "GET", "/page.html", twoIus);
      assert.equal(b.status, 200, "two If-Unmodified-Since lines: ignored, so 200");
      // Lists of entity-tags may span lines (§5.3): the second line's tag counts.
      const ok = await request(port, "GET", "/page.html");
      const etag = ok.headers.get("etag")!;
      const c = await request(port, "GET", "/page.html", [
        ["If-None-Match", `"x"`],
        ["If-None-Match", etag],
      ]);
      assert.equal(c.status, 304, "If-None-Match list over two lines");
      const d = await request(port, "GET", "/page.html", [["If-Match", `"x"`], ["If-Match", etag]]);
      assert.equal(d.status, 200, "If-Match list over two lines");
    }, prepare);
  },
);

boundedTest("tuxd never sends a Last-Modified later than its Date", 30_000, async () => {
  // RFC 9110 §8.8.2.1: a modification time in the future is replaced by the message's Date.
  await withSite(files, [], async ({ port }) => {
    for (const method of ["GET", "HEAD"]) {
      for (const f of ["page.html", "data.bin"]) {
        const r = await request(port, method, `/${f}`);
        const lm = Date.parse(r.headers.get("last-modified") ?? "");
        const date = Date.parse(r.headers.get("date") ?? "");
        assert.ok(
          lm <= date,
          `${method} /${f}: Last-Modified ${r.headers.get("last-modified")} ` +
            `is after Date ${r.headers.get("date")}`,
        );
        const nm = await request(port, method, `/${f}`, {
          "If-None-Match": r.headers.get("etag")!,
        });
        assert.equal(nm.status, 304);
        const lm304 = Date.parse(nm.headers.get("last-modified") ?? nm.headers.get("date")!);
        assert.ok(lm304 <= Date.parse(nm.headers.get("date")!), `${method} /${f}: 304`);
      }
    }
  }, async (root) => {
    const future = Date.now() + 3 * 86_400_000;
    await setMtime(`${root}/page.html`, future);
    await setMtime(`${root}/data.bin`, future);
  });
});
