import { deepStrictEqual, match, notStrictEqual, throws } from "node:assert";
import { makeBoundary, planByteranges } from "../../src/http/byteranges.ts";
import type { ByteRange } from "../../src/http/range.ts";

function check(input: unknown, got: unknown, want: unknown): void {
  deepStrictEqual(
    got,
    want,
    `input ${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
  );
}

const decoder = new TextDecoder();

// Writes the body exactly as a streaming caller would.
function render(
  ranges: ByteRange[],
  body: Uint8Array,
  contentType: string,
  boundary: string,
): { length: number; bytes: Uint8Array; contentType: string } {
  const plan = planByteranges(ranges, body.length, contentType, boundary);
  const chunks: Uint8Array[] = [];
  for (const p of plan.parts) chunks.push(p.head, body.subarray(p.start, p.end + 1));
  chunks.push(plan.tail);
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  return { length: plan.length, bytes, contentType: plan.contentType };
}

const BODY = new TextEncoder().encode("0123456789abcdefghijklmnopqrstuvwxyz");

const cases: {
  name: string;
  ranges: [number, number][];
  contentType: string;
  boundary: string;
  want: string;
}[] = [
  {
    name: "two parts",
    ranges: [[0, 3], [10, 12]],
    contentType: "text/plain; charset=utf-8",
    boundary: "B1",
    want: "--B1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-3/36\r\n\r\n" +
      "0123" +
      "\r\n--B1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 10-12/36\r\n\r\n" +
      "abc" +
      "\r\n--B1--\r\n",
  },
  {
    name: "single part",
    ranges: [[35, 35]],
    contentType: "application/octet-stream",
    boundary: "xyz",
    want:
      "--xyz\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 35-35/36\r\n\r\n" +
      "z\r\n--xyz--\r\n",
  },
  {
    name: "empty content type omits the field",
    ranges: [[0, 0], [35, 35]],
    contentType: "",
    boundary: "b",
    want: "--b\r\nContent-Range: bytes 0-0/36\r\n\r\n0" +
      "\r\n--b\r\nContent-Range: bytes 35-35/36\r\n\r\nz\r\n--b--\r\n",
  },
  {
    name: "three parts with a whole-body part",
    ranges: [[0, 35], [1, 1], [2, 2]],
    contentType: "x/y",
    boundary: "a'b+c_d.e-f",
    want: "--a'b+c_d.e-f\r\nContent-Type: x/y\r\nContent-Range: bytes 0-35/36\r\n\r\n" +
      "0123456789abcdefghijklmnopqrstuvwxyz" +
      "\r\n--a'b+c_d.e-f\r\nContent-Type: x/y\r\nContent-Range: bytes 1-1/36\r\n\r\n1" +
      "\r\n--a'b+c_d.e-f\r\nContent-Type: x/y\r\nContent-Range: bytes 2-2/36\r\n\r\n2" +
      "\r\n--a'b+c_d.e-f--\r\n",
  },
];

for (const c of cases) {
  const ranges = c.ranges.map(([start, end]) => ({ start, end }));
  Deno.test(`planByteranges() ${c.name}: body bytes`, () => {
    const got = render(ranges, BODY, c.contentType, c.boundary);
    check(c.ranges, decoder.decode(got.bytes), c.want);
  });
  Deno.test(`planByteranges() ${c.name}: length equals the bytes written`, () => {
    const got = render(ranges, BODY, c.contentType, c.boundary);
    check(c.ranges, got.length, got.bytes.length);
  });
  Deno.test(`planByteranges() ${c.name}: content type carries the boundary`, () => {
    const got = render(ranges, BODY, c.contentType, c.boundary);
    check(c.boundary, got.contentType, `multipart/byteranges; boundary=${c.boundary}`);
  });
}

Deno.test("planByteranges() length of a large representation is exact", () => {
  const size = 5_000_000_000_000;
  const plan = planByteranges(
    [{ start: 0, end: 3_999_999_999_999 }, { start: 4_999_999_999_999, end: 4_999_999_999_999 }],
    size,
    "video/mp4",
    "B",
  );
  const heads = plan.parts.reduce((n, p) => n + p.head.length, 0);
  check("large", plan.length, heads + 4_000_000_000_000 + 1 + plan.tail.length);
  check(
    "large",
    decoder.decode(plan.parts[1].head),
    [
      "\r\n--B",
      "Content-Type: video/mp4",
      "Content-Range: bytes 4999999999999-4999999999999/5000000000000",
      "\r\n",
    ].join("\r\n"),
  );
});

const throwCases: {
  name: string;
  ranges: ByteRange[];
  contentType?: string;
  boundary?: string;
  err: typeof Error;
}[] = [
  { name: "no ranges", ranges: [], err: RangeError },
  { name: "end beyond size", ranges: [{ start: 0, end: 36 }], err: RangeError },
  { name: "end before start", ranges: [{ start: 5, end: 4 }], err: RangeError },
  { name: "negative start", ranges: [{ start: -1, end: 4 }], err: RangeError },
  { name: "fractional end", ranges: [{ start: 0, end: 1.5 }], err: RangeError },
  { name: "empty boundary", ranges: [{ start: 0, end: 1 }], boundary: "", err: TypeError },
  {
    name: "boundary with a space",
    ranges: [{ start: 0, end: 1 }],
    boundary: "a b",
    err: TypeError,
  },
  {
    name: "boundary with a quote",
    ranges: [{ start: 0, end: 1 }],
    boundary: 'a"b',
    err: TypeError,
  },
  {
    name: "boundary with CRLF",
    ranges: [{ start: 0, end: 1 }],
    boundary: "a\r\nb",
    err: TypeError,
  },
  {
    name: "71-char boundary",
    ranges: [{ start: 0, end: 1 }],
    boundary: "a".repeat(71),
    err: TypeError,
  },
  {
    name: "content type with CRLF",
    ranges: [{ start: 0, end: 1 }],
    contentType: "text/plain\r\nX-Evil: 1",
    err: TypeError,
  },
];

for (const c of throwCases) {
  Deno.test(`planByteranges() throws for ${c.name}`, () => {
    throws(
      () => planByteranges(c.ranges, 36, c.contentType ?? "text/plain", c.boundary ?? "B"),
      c.err,
      c.name,
    );
  });
}

Deno.test("planByteranges() accepts a 70-char boundary", () => {
  const b = "a".repeat(70);
  check(b, planByteranges([{ start: 0, end: 0 }], 1, "", b).contentType.endsWith(b), true);
});

Deno.test("makeBoundary() returns 32 hex digits", () => {
  // Many samples, so that zero-padding of bytes below 0x10 is exercised.
  for (let i = 0; i < 200; i++) match(makeBoundary(), /^[0-9a-f]{32}$/);
});

Deno.test("makeBoundary() differs between calls", () => {
  notStrictEqual(makeBoundary(), makeBoundary());
});

Deno.test("makeBoundary() is accepted by planByteranges()", () => {
  const b = makeBoundary();
  const got = render([{ start: 0, end: 1 }, { start: 3, end: 4 }], BODY, "text/plain", b);
  check(b, got.length, got.bytes.length);
});
