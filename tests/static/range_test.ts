/**
 * Range requests against real files (RFC 9110 §14): single ranges, multipart/byteranges,
 * coalescing, the abuse caps, If-Range, HEAD, and ranges over encoded bytes, for a file served
 * from the object cache and for one streamed from disk. Every response is read until the server
 * closes, so a byte written beyond (or short of) Content-Length fails the test.
 */
import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { pseudoRandom, withClient } from "../server/_helpers.ts";
import {
  boundedTest,
  bytes,
  concat,
  parseByteranges,
  request,
  type Res,
  sameBytes,
  setMtime,
  str,
  textOf,
  withSite,
} from "./_util.ts";

const MTIME = 1_700_000_000_000;
const LM = "Tue, 14 Nov 2023 22:13:20 GMT";
const SMALL = pseudoRandom(1000, 7); // cached (below --cache-file-max)
const BIG = pseudoRandom(200_000, 11); // streamed from disk
const CACHE_MAX = "64K";
const TEXT = textOf(20_000, "range"); // compressible: tuxd makes gzip and br of it
const BIGTEXT = textOf(150_000, "bigtext"); // streamed, with a precompressed .gz sibling
const BIGTEXT_GZ = gzipSync(new TextEncoder().encode(BIGTEXT));

type Expect =
  | { status: 200 }
  | { status: 206; ranges: [number, number][] }
  | { status: 416 };

/** The Range cases for a file of `n` bytes (n ≥ 1000). */
function cases(n: number): [string, Expect][] {
  const whole: Expect = { status: 200 };
  const r = (...ranges: [number, number][]): Expect => ({ status: 206, ranges });
  const hundredRanges = Array.from({ length: 100 }, (_, k) => `${k * 3}-${k * 3}`).join(",");
  const tooMany = Array.from({ length: 101 }, (_, k) => `${k * 3}-${k * 3}`).join(",");
  return [
    ["bytes=0-99", r([0, 99])],
    ["bytes=0-0", r([0, 0])],
    ["bytes=500-599", r([500, 599])],
    [`bytes=${n - 1}-${n - 1}`, r([n - 1, n - 1])],
    ["bytes=100-", r([100, n - 1])],
    ["bytes=0-", r([0, n - 1])],
    ["bytes=-100", r([n - 100, n - 1])],
    ["bytes=-1", r([n - 1, n - 1])],
    [`bytes=${n - 10}-${n + 1000}`, r([n - 10, n - 1])],
    [`bytes=-${n + 500}`, r([0, n - 1])],
    [`bytes=-${n}`, r([0, n - 1])],
    ["bytes=0-99999999999999999999", r([0, n - 1])],
    ["bytes=0-9007199254740993", r([0, n - 1])],
    ["bytes=-99999999999999999999", r([0, n - 1])],
    ["bytes=00000000000000000000010-00000000000000000000019", r([10, 19])],
    ["BYTES=0-9", r([0, 9])],
    ["Bytes=10-19", r([10, 19])],
    ["bytes=0-9 , 20-29", r([0, 9], [20, 29])],
    // Unsatisfiable.
    ["bytes=-0", { status: 416 }],
    [`bytes=${n}-`, { status: 416 }],
    [`bytes=${n}-${n + 10}`, { status: 416 }],
    ["bytes=99999999999999999999-", { status: 416 }],
    [`bytes=${n}-,-0`, { status: 416 }],
    // Satisfiable if any one is.
    [`bytes=${n}-,0-4`, r([0, 4])],
    // Ignored: other units, invalid syntax.
    ["items=0-9", whole],
    ["bytes 0-9", whole],
    ["bytes=9-0", whole],
    ["bytes=abc", whole],
    ["bytes=", whole],
    ["bytes=-", whole],
    ["bytes=1-2-3", whole],
    ["bytes=0x10-0x20", whole],
    ["bytes=+1-2", whole],
    ["bytes=0-9,abc", whole],
    ["bytes = 0-9", whole],
    // Several ranges: multipart, sorted, overlapping and adjacent ones coalesced.
    ["bytes=0-9,20-29", r([0, 9], [20, 29])],
    ["bytes=20-29,0-9", r([0, 9], [20, 29])],
    ["bytes=0-0,-1", r([0, 0], [n - 1, n - 1])],
    ["bytes=0-9,5-19", r([0, 19])],
    ["bytes=0-9,10-19", r([0, 19])],
    ["bytes=0-9,10-19,30-39", r([0, 19], [30, 39])],
    ["bytes=0-99,10-109,20-119", r([0, 119])], // two overlaps: allowed
    ["bytes=100-199,-50,300-", r([100, 199], [300, n - 1])],
    ["bytes=0-,0-", r([0, n - 1])], // exactly twice the file: allowed
    [
      `bytes=${hundredRanges}`,
      r(...Array.from({ length: 100 }, (_, k) => [k * 3, k * 3]) as [
        number,
        number,
      ][]),
    ],
    // Over the caps: the whole file.
    [`bytes=${tooMany}`, whole],
    ["bytes=0-99,10-109,20-119,30-129", whole], // three overlaps
    ["bytes=0-,0-,0-", whole], // three times the file
    ["bytes=0-,0-,0-0", whole], // one byte more than twice the file
  ];
}

/** Checks one response to a Range request for `file`; returns problems. */
function check(
  label: string,
  res: Res,
  want: Expect,
  file: Uint8Array,
  type = "application/octet-stream",
): string[] {
  const p: string[] = [];
  const n = file.length;
  if (res.status !== want.status) return [`${label}: status ${res.status}, want ${want.status}`];
  const cr = res.headers.get("content-range");
  if (want.status === 200) {
    if (cr !== undefined) p.push(`${label}: 200 with Content-Range ${cr}`);
    if (!sameBytes(res.body, file)) p.push(`${label}: 200 body is not the file`);
  } else if (want.status === 416) {
    if (cr !== `bytes */${n}`) p.push(`${label}: 416 Content-Range ${cr}`);
  } else if (want.ranges.length === 1) {
    const [a, b] = want.ranges[0];
    if (cr !== `bytes ${a}-${b}/${n}`) p.push(`${label}: Content-Range ${cr}, want ${a}-${b}`);
    if (!sameBytes(res.body, file.subarray(a, b + 1))) p.push(`${label}: 206 bytes differ`);
    if (/multipart/.test(res.headers.get("content-type") ?? "")) p.push(`${label}: multipart`);
  } else {
    if (cr !== undefined) p.push(`${label}: multipart response with Content-Range ${cr}`);
    let parts;
    try {
      parts = parseByteranges(res.headers.get("content-type") ?? "", res.body);
    } catch (e) {
      return [...p, `${label}: ${(e as Error).message}`];
    }
    const got = parts.map((x) => [x.start, x.end]);
    if (JSON.stringify(got) !== JSON.stringify(want.ranges)) {
      p.push(`${label}: parts ${JSON.stringify(got)}, want ${JSON.stringify(want.ranges)}`);
    }
    for (const part of parts) {
      if (part.size !== n) p.push(`${label}: part ${part.contentRange} complete length`);
      if (!sameBytes(part.bytes, file.subarray(part.start, part.end + 1))) {
        p.push(`${label}: part ${part.contentRange} bytes differ`);
      }
      if (part.contentType !== type) {
        p.push(`${label}: part Content-Type ${part.contentType}`);
      }
    }
  }
  if (res.headers.get("accept-ranges") !== "bytes" && res.status !== 416) {
    p.push(`${label}: Accept-Ranges ${res.headers.get("accept-ranges")}`);
  }
  return p;
}

const files = {
  "small.bin": SMALL,
  "big.bin": BIG,
  "empty.bin": new Uint8Array(0),
  "text.txt": TEXT,
  "bigtext.txt": BIGTEXT,
  "bigtext.txt.gz": BIGTEXT_GZ,
};

async function prepare(root: string) {
  for (const f of Object.keys(files)) await setMtime(`${root}/${f}`, MTIME);
}

const ARGS = ["--cache-file-max", CACHE_MAX];

boundedTest(
  "tuxd answers every kind of Range for a cached file and a streamed one, byte-exact",
  120_000,
  async () => {
    await withSite(files, ARGS, async ({ port }) => {
      const problems: string[] = [];
      for (const [name, file] of [["small.bin", SMALL], ["big.bin", BIG]] as const) {
        for (const [range, want] of cases(file.length)) {
          const label = `${name} Range: ${range.length > 60 ? range.slice(0, 60) + "…" : range}`;
          try {
            const res = await request(port, "GET", `/${name}`, { Range: range });
            problems.push(...check(label, res, want, file));
          } catch (e) {
            problems.push(`${label}: ${(e as Error).message}`);
          }
        }
      }
      assert.deepEqual(problems, [], problems.join("\n"));
    }, prepare);
  },
);

boundedTest(
  "tuxd keeps a persistent connection in step through pipelined range responses",
  60_000,
  async () => {
    await withSite(files, ARGS, async ({ port }) => {
      for (const [name, file] of [["small.bin", SMALL], ["big.bin", BIG]] as const) {
        const list = cases(file.length);
        await withClient(port, async (c) => {
          let reqs = "";
          for (const [range] of list) {
            reqs += `GET /${name} HTTP/1.1\r\nHost: t\r\nRange: ${range}\r\n\r\n`;
          }
          reqs += `GET /${name} HTTP/1.1\r\nHost: t\r\nRange: bytes=1-2\r\n\r\n`;
          await c.write(reqs);
          const got = await c.responses(list.length + 1, { timeoutMs: 20_000 });
          const problems: string[] = [];
          got.slice(0, -1).forEach((r, i) => {
            const res: Res = {
              status: r.status,
              headers: r.headers,
              fields: r.rawHeaders,
              head: "",
              body: r.body,
              raw: new Uint8Array(0),
            };
            problems.push(...check(`${name} pipelined #${i} ${list[i][0]}`, res, list[i][1], file));
            if (i > 0 && r.start !== got[i - 1].end) problems.push(`#${i}: gap before response`);
          });
          const last = got[got.length - 1];
          assert.equal(last.headers.get("content-range"), `bytes 1-2/${file.length}`);
          assert.deepEqual(last.body, file.subarray(1, 3));
          assert.equal(last.end, c.total, "nothing after the last response");
          assert.deepEqual(problems, [], problems.join("\n"));
        });
      }
    }, prepare);
  },
);

boundedTest(
  "tuxd honours If-Range only for a strong ETag or the exact Last-Modified date",
  30_000,
  async () => {
    await withSite(files, ARGS, async ({ port }) => {
      for (const [name, file] of [["small.bin", SMALL], ["big.bin", BIG]] as const) {
        const ok = await request(port, "GET", `/${name}`);
        const etag = ok.headers.get("etag")!;
        assert.equal(ok.headers.get("last-modified"), LM);
        const table: [string, Expect][] = [
          [etag, { status: 206, ranges: [[10, 19]] }],
          [`W/${etag}`, { status: 200 }],
          [`"${etag.slice(1, -1)}x"`, { status: 200 }],
          [LM, { status: 206, ranges: [[10, 19]] }],
          ["Mon, 13 Nov 2023 22:13:20 GMT", { status: 200 }],
          ["Wed, 15 Nov 2023 22:13:20 GMT", { status: 200 }],
          ["Tue, 14 Nov 2023 22:13:21 GMT", { status: 200 }],
          ["garbage", { status: 200 }],
          [etag.slice(1, -1), { status: 200 }],
        ];
        for (const [ifRange, want] of table) {
          const label = `${name} If-Range: ${ifRange}`;
          const res = await request(port, "GET", `/${name}`, {
            Range: "bytes=10-19",
            "If-Range": ifRange,
          });
          assert.deepEqual(check(label, res, want, file), [], label);
        }
        // A false If-Range also turns an unsatisfiable range into the whole file.
        const res = await request(port, "GET", `/${name}`, {
          Range: "bytes=-0",
          "If-Range": '"x"',
        });
        assert.deepEqual(check(`${name} If-Range false, -0`, res, { status: 200 }, file), []);
      }
    }, prepare);
  },
);

boundedTest(
  "tuxd treats a Last-Modified in the current second or later as weak for If-Range",
  30_000,
  async () => {
    // RFC 9110 §13.1.5, §8.8.2.2: a date is only a strong validator when the file was last
    // modified at least a second before the response's Date; else it may change again within
    // that second, and the client would splice bytes of two versions.
    const future = Math.floor((Date.now() + 3_600_000) / 1000) * 1000;
    await withSite({ "now.bin": SMALL }, [], async ({ port }) => {
      const ok = await request(port, "GET", "/now.bin");
      // The file's own (future) mtime, and the Last-Modified tuxd sent (at most Date).
      for (const date of [new Date(future).toUTCString(), ok.headers.get("last-modified")!]) {
        const res = await request(port, "GET", "/now.bin", {
          Range: "bytes=0-9",
          "If-Range": date,
        });
        assert.deepEqual(
          check(`If-Range: ${date} (future mtime)`, res, { status: 200 }, SMALL),
          [],
        );
      }
      // An entity-tag is still honoured.
      const byTag = await request(port, "GET", "/now.bin", {
        Range: "bytes=0-9",
        "If-Range": ok.headers.get("etag")!,
      });
      assert.equal(byTag.status, 206);
    }, async (root) => {
      await setMtime(`${root}/now.bin`, future);
    });
  },
);

boundedTest(
  "tuxd sends the whole file for If-Range on more than one field line",
  30_000,
  async () => {
    await withSite(files, ARGS, async ({ port }) => {
      const ok = await request(port, "GET", "/small.bin");
      const etag = ok.headers.get("etag")!;
      for (
        const lines of [
          [etag, '"other"'],
          ['"other"', etag],
          [LM, etag],
          [etag, etag],
        ]
      ) {
        const res = await request(port, "GET", "/small.bin", [
          ["Range", "bytes=0-9"],
          ...lines.map((v): [string, string] => ["If-Range", v]),
        ]);
        // If-Range is a single validator: two lines are no valid If-Range, hence false.
        assert.deepEqual(check(`If-Range lines ${lines}`, res, { status: 200 }, SMALL), []);
      }
    }, prepare);
  },
);

boundedTest("tuxd ignores Range on HEAD and on an empty file", 30_000, async () => {
  await withSite(files, ARGS, async ({ port }) => {
    for (const [name, file] of [["small.bin", SMALL], ["big.bin", BIG]] as const) {
      const full = await request(port, "HEAD", `/${name}`);
      for (const range of ["bytes=0-9", "bytes=0-9,20-29", "bytes=-0", `bytes=${file.length}-`]) {
        const h = await request(port, "HEAD", `/${name}`, { Range: range });
        assert.equal(h.status, 200, `HEAD ${name} Range: ${range} (RFC 9110 §14.2: GET only)`);
        assert.equal(h.headers.get("content-length"), String(file.length));
        assert.ok(!h.headers.has("content-range"));
        assert.equal(h.headers.get("etag"), full.headers.get("etag"));
      }
    }
    for (const range of ["bytes=0-0", "bytes=-0", "bytes=-5", "bytes=0-", "bytes=0-0,1-1"]) {
      const r = await request(port, "GET", "/empty.bin", { Range: range });
      assert.equal(r.status, 200, `empty file, Range: ${range}`);
      assert.equal(r.headers.get("content-length"), "0");
      assert.ok(!r.headers.has("content-range"));
    }
  }, prepare);
});

boundedTest(
  "tuxd applies ranges to the encoded bytes when a content coding was selected",
  60_000,
  async () => {
    await withSite(files, ARGS, async ({ port }) => {
      const orig = new TextEncoder().encode(TEXT);
      // Cached text.txt: gzip made by tuxd. Streamed bigtext.txt: its .gz sibling.
      for (
        const [name, identity] of [["text.txt", orig], ["bigtext.txt", bytes(BIGTEXT)]] as const
      ) {
        const ae = { "Accept-Encoding": "gzip" };
        const full = await request(port, "GET", `/${name}`, ae);
        assert.equal(full.headers.get("content-encoding"), "gzip", name);
        const gz = full.body;
        assert.ok(sameBytes(new Uint8Array(gunzipSync(gz)), identity), `${name}: gzip decodes`);
        if (name === "bigtext.txt") assert.ok(sameBytes(gz, BIGTEXT_GZ), "the sibling's bytes");
        const n = gz.length;
        assert.ok(n < identity.length / 2, `${name}: gzip ${n} of ${identity.length}`);
        assert.ok(n >= 1000, `${name}: gzip body of ${n} bytes is long enough for the cases`);
        const etag = full.headers.get("etag")!;

        for (const [range, want] of cases(n).filter(([, w]) => w.status !== 200).slice(0, 30)) {
          const res = await request(port, "GET", `/${name}`, { ...ae, Range: range });
          const label = `${name} gzip Range: ${range.slice(0, 60)}`;
          assert.deepEqual(check(label, res, want, gz, "text/plain; charset=utf-8"), [], label);
          assert.equal(res.headers.get("vary"), "Accept-Encoding", `${label}: Vary`);
          if (res.status === 206) {
            assert.equal(res.headers.get("content-encoding"), "gzip", label);
            assert.equal(res.headers.get("etag"), etag, label);
          }
        }
        // Pieces fetched by range join into the whole encoded body.
        const pieces: Uint8Array[] = [];
        for (let a = 0; a < n; a += 777) {
          const res = await request(port, "GET", `/${name}`, {
            ...ae,
            Range: `bytes=${a}-${a + 776}`,
            "If-Range": etag,
          });
          assert.equal(res.status, 206);
          assert.equal(
            res.headers.get("content-range"),
            `bytes ${a}-${Math.min(a + 776, n - 1)}/${n}`,
          );
          pieces.push(res.body);
        }
        assert.ok(sameBytes(concat(pieces), gz), `${name}: ranges of the gzip body reassemble it`);
        // The identity ETag does not satisfy If-Range for the gzip representation.
        const plain = await request(port, "GET", `/${name}`);
        const mixed = await request(port, "GET", `/${name}`, {
          ...ae,
          Range: "bytes=0-9",
          "If-Range": plain.headers.get("etag")!,
        });
        assert.equal(mixed.status, 200, `${name}: If-Range with another coding's ETag`);
        assert.ok(sameBytes(mixed.body, gz));
        // Without Accept-Encoding the same range is of the identity bytes.
        const id = await request(port, "GET", `/${name}`, { Range: "bytes=0-9" });
        assert.equal(id.headers.get("content-range"), `bytes 0-9/${identity.length}`);
        assert.equal(str(id.body), str(identity.subarray(0, 10)));
        assert.ok(!id.headers.has("content-encoding"));
      }
    }, prepare);
  },
);
