import { deepStrictEqual, notStrictEqual, throws } from "node:assert";
import {
  type EntityTag,
  type EntityTagList,
  makeEtag,
  parseEntityTag,
  parseEntityTagList,
  strongMatch,
  weakMatch,
} from "../../src/http/etag.ts";

function check(input: unknown, got: unknown, want: unknown): void {
  deepStrictEqual(
    got,
    want,
    `input ${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
  );
}

const strong = (opaque: string): EntityTag => ({ weak: false, opaque });
const weak = (opaque: string): EntityTag => ({ weak: true, opaque });

const makeCases: {
  name: string;
  input: [number, number, string?];
  want: string;
}[] = [
  { name: "empty file at the epoch", input: [0, 0], want: '"0-0"' },
  { name: "mtime and size in hex", input: [1234, 1700000000000], want: '"18bcfe56800-4d2"' },
  {
    name: "br coding is appended",
    input: [1234, 1700000000000, "br"],
    want: '"18bcfe56800-4d2-br"',
  },
  {
    name: "coding is lowercased",
    input: [1234, 1700000000000, "GZIP"],
    want: '"18bcfe56800-4d2-gzip"',
  },
  {
    name: "identity is no coding",
    input: [1234, 1700000000000, "identity"],
    want: '"18bcfe56800-4d2"',
  },
  {
    name: "empty coding is no coding",
    input: [1234, 1700000000000, ""],
    want: '"18bcfe56800-4d2"',
  },
  { name: "fractional mtime is floored", input: [16, 1.9], want: '"1-10"' },
  { name: "pre-epoch mtime", input: [0, -1000], want: '"-3e8-0"' },
];

for (const c of makeCases) {
  Deno.test(`makeEtag() ${c.name}`, () => {
    check(c.input, makeEtag(...c.input), c.want);
  });
}

Deno.test("makeEtag() differs between codings and from identity", () => {
  const tags = [undefined, "br", "gzip", "zstd"].map((c) => makeEtag(10, 20, c));
  for (let i = 0; i < tags.length; i++) {
    for (let j = i + 1; j < tags.length; j++) notStrictEqual(tags[i], tags[j]);
  }
});

Deno.test("makeEtag() output parses as a strong entity-tag", () => {
  const tag = makeEtag(123456789, 1700000000123, "br");
  check(tag, parseEntityTag(tag)?.weak, false);
});

const makeThrowCases: { name: string; input: [number, number, string?]; err: typeof Error }[] = [
  { name: "negative size", input: [-1, 0], err: RangeError },
  { name: "fractional size", input: [1.5, 0], err: RangeError },
  { name: "NaN mtime", input: [1, NaN], err: RangeError },
  { name: "coding with a space", input: [1, 0, "b r"], err: TypeError },
  { name: "coding with a quote", input: [1, 0, 'br"'], err: TypeError },
];

for (const c of makeThrowCases) {
  Deno.test(`makeEtag() throws for ${c.name}`, () => {
    throws(() => makeEtag(...c.input), c.err, JSON.stringify(c.input));
  });
}

const parseCases: { input: string; want: EntityTag | null }[] = [
  { input: '"abc"', want: strong('"abc"') },
  { input: 'W/"abc"', want: weak('"abc"') },
  { input: '""', want: strong('""') },
  { input: '"a,b"', want: strong('"a,b"') },
  { input: '"caf\u00e9"', want: strong('"caf\u00e9"') }, // obs-text
  { input: 'w/"abc"', want: null }, // "W/" is case-sensitive
  { input: "abc", want: null },
  { input: '"abc', want: null },
  { input: '"a"b"', want: null },
  { input: ' "abc"', want: null },
  { input: '"abc" ', want: null },
  { input: '"a b"', want: null },
  { input: '"a\x7fb"', want: null },
  { input: '"\u0100"', want: null },
  { input: "W/abc", want: null },
  { input: 'Wx"abc"', want: null },
  { input: 'W"abc"', want: null },
  { input: "", want: null },
];

for (const c of parseCases) {
  Deno.test(`parseEntityTag() ${JSON.stringify(c.input)}`, () => {
    check(c.input, parseEntityTag(c.input), c.want);
  });
}

const listCases: { name: string; input: string; want: EntityTagList }[] = [
  { name: "star", input: "*", want: "*" },
  { name: "star with OWS", input: " * ", want: "*" },
  { name: "single tag", input: '"a"', want: [strong('"a"')] },
  { name: "strong and weak", input: '"a", W/"b"', want: [strong('"a"'), weak('"b"')] },
  { name: "no space after comma", input: '"a",W/"b"', want: [strong('"a"'), weak('"b"')] },
  { name: "OWS around commas", input: ' "a" ,\t"b" ', want: [strong('"a"'), strong('"b"')] },
  { name: "empty elements", input: ', ,"a",,', want: [strong('"a"')] },
  { name: "comma inside a tag", input: '"a,b", "c"', want: [strong('"a,b"'), strong('"c"')] },
  { name: "star inside a list is ignored", input: '*, "a"', want: [strong('"a"')] },
  { name: "star after a tag is ignored", input: '"a", *', want: [strong('"a"')] },
  { name: "unquoted element is skipped", input: 'abc, "d"', want: [strong('"d"')] },
  { name: "junk after a tag drops it", input: '"a" junk, "b"', want: [strong('"b"')] },
  { name: "lowercase weak prefix", input: 'w/"a"', want: [] },
  { name: "unterminated tag", input: '"abc', want: [] },
  { name: "two tags without comma", input: '"a""b"', want: [] },
  { name: "empty value", input: "", want: [] },
];

for (const c of listCases) {
  Deno.test(`parseEntityTagList() ${c.name}`, () => {
    check(c.input, parseEntityTagList(c.input), c.want);
  });
}

// The example table of RFC 9110 §8.8.3.2.
const compareCases: { a: EntityTag; b: EntityTag; strong: boolean; weak: boolean }[] = [
  { a: weak('"1"'), b: weak('"1"'), strong: false, weak: true },
  { a: weak('"1"'), b: weak('"2"'), strong: false, weak: false },
  { a: weak('"1"'), b: strong('"1"'), strong: false, weak: true },
  { a: strong('"1"'), b: strong('"1"'), strong: true, weak: true },
  { a: strong('"1"'), b: strong('"2"'), strong: false, weak: false },
];

for (const c of compareCases) {
  const label = `${c.a.weak ? "W/" : ""}${c.a.opaque} vs ${c.b.weak ? "W/" : ""}${c.b.opaque}`;
  Deno.test(`strongMatch() ${label}`, () => {
    check([c.a, c.b], strongMatch(c.a, c.b), c.strong);
    check([c.b, c.a], strongMatch(c.b, c.a), c.strong);
  });
  Deno.test(`weakMatch() ${label}`, () => {
    check([c.a, c.b], weakMatch(c.a, c.b), c.weak);
    check([c.b, c.a], weakMatch(c.b, c.a), c.weak);
  });
}
