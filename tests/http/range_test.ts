import { deepStrictEqual, throws } from "node:assert";
import {
  type ByteRange,
  contentRange,
  MAX_RANGES,
  parseRange,
  type RangeLimits,
  type RangeResult,
  unsatisfiedContentRange,
} from "../../src/http/range.ts";

function check(input: unknown, got: unknown, want: unknown): void {
  deepStrictEqual(
    got,
    want,
    `input ${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
  );
}

const none: RangeResult = { type: "none" };
const unsat: RangeResult = { type: "unsatisfiable" };
const ranges = (...r: [number, number][]): RangeResult => ({
  type: "ranges",
  ranges: r.map(([start, end]): ByteRange => ({ start, end })),
});

// `n` single-byte ranges two bytes apart: never adjacent, never overlapping.
const spaced = (n: number): string =>
  "bytes=" + Array.from({ length: n }, (_, k) => `${2 * k}-${2 * k}`).join(",");

const cases: {
  name: string;
  header: string | null;
  size?: number; // default 100
  limits?: RangeLimits;
  want: RangeResult;
}[] = [
  // Basic forms.
  { name: "no header", header: null, want: none },
  { name: "first-last", header: "bytes=0-9", want: ranges([0, 9]) },
  { name: "first-", header: "bytes=90-", want: ranges([90, 99]) },
  { name: "whole file", header: "bytes=0-", want: ranges([0, 99]) },
  { name: "suffix", header: "bytes=-10", want: ranges([90, 99]) },
  { name: "last byte", header: "bytes=99-99", want: ranges([99, 99]) },
  { name: "first byte of a 1-byte file", header: "bytes=0-0", size: 1, want: ranges([0, 0]) },
  { name: "bytes=0-0,-1", header: "bytes=0-0,-1", want: ranges([0, 0], [99, 99]) },
  {
    name: "bytes=0-0,-1 on a 1-byte file coalesces",
    header: "bytes=0-0,-1",
    size: 1,
    want: ranges([0, 0]),
  },
  // Clamping and satisfiability.
  { name: "clamps last-pos to size-1", header: "bytes=50-1000", want: ranges([50, 99]) },
  {
    name: "suffix longer than the file is the whole file",
    header: "bytes=-500",
    want: ranges([0, 99]),
  },
  { name: "suffix equal to the file", header: "bytes=-100", want: ranges([0, 99]) },
  { name: "bytes=-0 is unsatisfiable", header: "bytes=-0", want: unsat },
  { name: "bytes=-000 is unsatisfiable", header: "bytes=-000", want: unsat },
  { name: "first-pos at size", header: "bytes=100-", want: unsat },
  { name: "first-pos beyond size", header: "bytes=100-200", want: unsat },
  { name: "drops unsatisfiable specs", header: "bytes=200-300,0-1", want: ranges([0, 1]) },
  { name: "all specs unsatisfiable", header: "bytes=200-300,-0", want: unsat },
  // Unit.
  { name: "BYTES=0-1", header: "BYTES=0-1", want: ranges([0, 1]) },
  { name: "Bytes=0-1", header: "Bytes=0-1", want: ranges([0, 1]) },
  { name: "items=0-1 is ignored", header: "items=0-1", want: none },
  { name: "byte=0-1 is ignored", header: "byte=0-1", want: none },
  { name: "bytesx=0-1 is ignored", header: "bytesx=0-1", want: none },
  // Invalid syntax: ignored, serve 200.
  { name: "bytes = 0-1 (space around =)", header: "bytes = 0-1", want: none },
  { name: "bytes =0-1", header: "bytes =0-1", want: none },
  { name: "bytes==0-1", header: "bytes==0-1", want: none },
  { name: "no =", header: "bytes", want: none },
  { name: "empty range-set", header: "bytes=", want: none },
  { name: "only commas", header: "bytes=, ,", want: none },
  { name: "bytes=1-0 (first > last)", header: "bytes=1-0", want: none },
  { name: "first > last with leading zeros", header: "bytes=0010-9", want: none },
  { name: "space inside a spec", header: "bytes=0 -1", want: none },
  { name: "plus sign", header: "bytes=+1-2", want: none },
  { name: "negative last-pos", header: "bytes=1--2", want: none },
  { name: "hex", header: "bytes=0x1-2", want: none },
  { name: "exponent", header: "bytes=1e2-", want: none },
  { name: "decimal point", header: "bytes=1.0-2", want: none },
  { name: "missing dash", header: "bytes=5", want: none },
  { name: "lone dash", header: "bytes=-", want: none },
  { name: "invalid spec after a valid one", header: "bytes=0-1,x", want: none },
  { name: "invalid spec after an unsatisfiable one", header: "bytes=500-,2-1", want: none },
  { name: "full-width digits", header: "bytes=\uff10-\uff11", want: none },
  // List syntax.
  {
    name: "OWS around commas",
    header: "bytes=0-1 , 5-6\t,\t8-9",
    want: ranges([0, 1], [5, 6], [8, 9]),
  },
  { name: "empty list elements", header: "bytes=,0-1,,5-6,", want: ranges([0, 1], [5, 6]) },
  { name: "OWS at the ends of the set", header: "bytes= 0-1 ", want: ranges([0, 1]) },
  // Sorting and coalescing.
  { name: "sorts ranges", header: "bytes=50-59,0-9", want: ranges([0, 9], [50, 59]) },
  { name: "coalesces overlapping ranges", header: "bytes=0-10,5-20", want: ranges([0, 20]) },
  { name: "coalesces adjacent ranges", header: "bytes=0-9,10-19", want: ranges([0, 19]) },
  { name: "keeps a one-byte gap", header: "bytes=0-9,11-19", want: ranges([0, 9], [11, 19]) },
  { name: "coalesces a contained range", header: "bytes=0-50,10-20", want: ranges([0, 50]) },
  {
    name: "coalesces out-of-order adjacent ranges",
    header: "bytes=20-29,0-9,10-19",
    want: ranges([0, 29]),
  },
  { name: "suffix overlapping first-", header: "bytes=-10,95-", want: ranges([90, 99]) },
  // Empty representation.
  { name: "empty file", header: "bytes=0-1", size: 0, want: none },
  { name: "empty file with suffix", header: "bytes=-1", size: 0, want: none },
  { name: "empty file with invalid header", header: "bytes=x", size: 0, want: none },
  // Numbers longer than 15 digits are never rounded.
  { name: "huge first-pos is unsatisfiable", header: "bytes=12345678901234567890-", want: unsat },
  {
    name: "huge last-pos clamps",
    header: "bytes=5-12345678901234567890",
    want: ranges([5, 99]),
  },
  {
    name: "huge suffix is the whole file",
    header: "bytes=-12345678901234567890",
    want: ranges([0, 99]),
  },
  {
    name: "huge first > huge last is invalid although both round to the same double",
    header: "bytes=12345678901234567891-12345678901234567890",
    want: none,
  },
  {
    name: "huge first = huge last is unsatisfiable",
    header: "bytes=12345678901234567890-12345678901234567890",
    want: unsat,
  },
  {
    name: "16-digit first > last differing only in the last digit",
    header: "bytes=9007199254740993-9007199254740992",
    size: Number.MAX_SAFE_INTEGER,
    want: none,
  },
  {
    name: "first-pos just past a 2^53-1 byte file",
    header: "bytes=9007199254740991-",
    size: Number.MAX_SAFE_INTEGER,
    want: unsat,
  },
  {
    name: "last byte of a 2^53-1 byte file",
    header: "bytes=9007199254740990-9007199254740990",
    size: Number.MAX_SAFE_INTEGER,
    want: ranges([9007199254740990, 9007199254740990]),
  },
  {
    name: "many leading zeros",
    header: "bytes=0000000000000000000005-0000000000000000000009",
    want: ranges([5, 9]),
  },
  // Abuse caps.
  {
    name: `${MAX_RANGES} ranges are accepted`,
    header: spaced(MAX_RANGES),
    size: 1000,
    want: ranges(...Array.from({ length: MAX_RANGES }, (_, k): [number, number] => [2 * k, 2 * k])),
  },
  { name: "more than MAX_RANGES ranges", header: spaced(MAX_RANGES + 1), size: 1000, want: none },
  {
    name: "many empty elements do not count as ranges",
    header: "bytes=" + ",".repeat(500) + "0-1",
    want: ranges([0, 1]),
  },
  {
    name: "unsatisfiable specs count towards the cap",
    header: "bytes=500-,600-,0-1",
    limits: { maxRanges: 2 },
    want: none,
  },
  { name: "maxRanges override", header: "bytes=0-0,2-2,4-4", limits: { maxRanges: 2 }, want: none },
  { name: "two overlaps are allowed", header: "bytes=0-10,5-15,8-20", want: ranges([0, 20]) },
  { name: "three overlaps are abuse", header: "bytes=0-50,10-60,20-70,30-80", want: none },
  { name: "repeated identical ranges are overlaps", header: "bytes=0-0,0-0,0-0,0-0", want: none },
  { name: "whole file twice is allowed", header: "bytes=0-,0-", want: ranges([0, 99]) },
  { name: "whole file three times is abuse", header: "bytes=0-,0-,0-", want: none },
  {
    name: "requested bytes over twice the size is abuse",
    header: "bytes=0-79,10-89,-60",
    want: none,
  },
];

for (const c of cases) {
  Deno.test(`parseRange() ${c.name}`, () => {
    const size = c.size ?? 100;
    check({ header: c.header, size }, parseRange(c.header, size, c.limits), c.want);
  });
}

const sizeThrowCases: { name: string; size: number }[] = [
  { name: "negative", size: -1 },
  { name: "fractional", size: 1.5 },
  { name: "NaN", size: NaN },
  { name: "above 2^53-1", size: 2 ** 53 },
];

for (const c of sizeThrowCases) {
  Deno.test(`parseRange() throws RangeError for a ${c.name} size`, () => {
    throws(() => parseRange("bytes=0-1", c.size), RangeError, String(c.size));
  });
}

const contentRangeCases: { input: [number, number, number]; want: string }[] = [
  { input: [0, 0, 1], want: "bytes 0-0/1" },
  { input: [0, 499, 1234], want: "bytes 0-499/1234" },
  { input: [500, 1233, 1234], want: "bytes 500-1233/1234" },
  {
    input: [0, 9007199254740990, 9007199254740991],
    want: "bytes 0-9007199254740990/9007199254740991",
  },
];

for (const c of contentRangeCases) {
  Deno.test(`contentRange() ${c.want}`, () => {
    check(c.input, contentRange(...c.input), c.want);
  });
}

const unsatisfiedCases: { input: number; want: string }[] = [
  { input: 0, want: "bytes */0" },
  { input: 1234, want: "bytes */1234" },
];

for (const c of unsatisfiedCases) {
  Deno.test(`unsatisfiedContentRange() ${c.want}`, () => {
    check(c.input, unsatisfiedContentRange(c.input), c.want);
  });
}
