import { deepStrictEqual } from "node:assert";
import {
  checkIfMatch,
  checkIfModifiedSince,
  checkIfNoneMatch,
  checkIfRange,
  checkIfUnmodifiedSince,
  type Cond,
  CondFalse,
  CondNone,
  CondTrue,
  evaluatePreconditions,
  type PreconditionHeaders,
  type Validators,
} from "../../src/http/conditional.ts";

function check(input: unknown, got: unknown, want: unknown): void {
  deepStrictEqual(
    got,
    want,
    `input ${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
  );
}

const NAMES: Record<Cond, string> = { 0: "CondNone", 1: "CondTrue", 2: "CondFalse" };
function checkCond(input: unknown, got: Cond, want: Cond): void {
  check(input, NAMES[got], NAMES[want]);
}

// Last modified at 03:04:05.678: the client only ever sees 03:04:05.
const LM = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const LM_DATE = "Tue, 02 Jan 2024 03:04:05 GMT";
const BEFORE = "Tue, 02 Jan 2024 03:04:04 GMT";
const AFTER = "Tue, 02 Jan 2024 03:04:06 GMT";
const ETAG = '"abc"';
const V: Validators = { etag: ETAG, lastModifiedMs: LM };

type TagCase = { name: string; value: string | null; etag?: string; want: Cond };

const ifMatchCases: TagCase[] = [
  { name: "absent", value: null, want: CondNone },
  { name: "empty", value: "", want: CondNone },
  { name: "star", value: "*", want: CondTrue },
  { name: "same tag", value: '"abc"', want: CondTrue },
  { name: "other tag", value: '"xyz"', want: CondFalse },
  { name: "match later in list", value: '"xyz", "abc"', want: CondTrue },
  { name: "weak request tag fails strong comparison", value: 'W/"abc"', want: CondFalse },
  {
    name: "weak current tag fails strong comparison",
    value: '"abc"',
    etag: 'W/"abc"',
    want: CondFalse,
  },
  { name: "only malformed elements", value: "abc", want: CondFalse },
];

for (const c of ifMatchCases) {
  Deno.test(`checkIfMatch() ${c.name}`, () => {
    checkCond(c, checkIfMatch(c.value, c.etag ?? ETAG), c.want);
  });
}

const ifNoneMatchCases: TagCase[] = [
  { name: "absent", value: null, want: CondNone },
  { name: "whitespace only", value: "  ", want: CondNone },
  { name: "star", value: "*", want: CondFalse },
  { name: "same tag", value: '"abc"', want: CondFalse },
  { name: "weak request tag matches weakly", value: 'W/"abc"', want: CondFalse },
  { name: "weak current tag matches weakly", value: '"abc"', etag: 'W/"abc"', want: CondFalse },
  { name: "other tag", value: '"xyz"', want: CondTrue },
  { name: "match later in list", value: '"x", W/"abc"', want: CondFalse },
  { name: "only malformed elements", value: "abc", want: CondTrue },
];

for (const c of ifNoneMatchCases) {
  Deno.test(`checkIfNoneMatch() ${c.name}`, () => {
    checkCond(c, checkIfNoneMatch(c.value, c.etag ?? ETAG), c.want);
  });
}

type DateCase = { name: string; value: string | null; lm?: number; want: Cond };

const ifModifiedSinceCases: DateCase[] = [
  { name: "absent", value: null, want: CondNone },
  { name: "same second is not modified", value: LM_DATE, want: CondFalse },
  { name: "earlier date is modified", value: BEFORE, want: CondTrue },
  { name: "later date is not modified", value: AFTER, want: CondFalse },
  { name: "invalid date is ignored", value: "yesterday", want: CondNone },
  { name: "lowercase gmt is ignored", value: "Tue, 02 Jan 2024 03:04:05 gmt", want: CondNone },
  { name: "unknown mtime is ignored", value: LM_DATE, lm: NaN, want: CondNone },
  {
    name: "RFC 850 date",
    value: "Tuesday, 02-Jan-24 03:04:04 GMT",
    want: CondTrue,
  },
];

for (const c of ifModifiedSinceCases) {
  Deno.test(`checkIfModifiedSince() ${c.name}`, () => {
    checkCond(c, checkIfModifiedSince(c.value, c.lm ?? LM), c.want);
  });
}

const ifUnmodifiedSinceCases: DateCase[] = [
  { name: "absent", value: null, want: CondNone },
  { name: "same second is unmodified", value: LM_DATE, want: CondTrue },
  { name: "earlier date is modified", value: BEFORE, want: CondFalse },
  { name: "later date is unmodified", value: AFTER, want: CondTrue },
  { name: "invalid date is ignored", value: "0", want: CondNone },
];

for (const c of ifUnmodifiedSinceCases) {
  Deno.test(`checkIfUnmodifiedSince() ${c.name}`, () => {
    checkCond(c, checkIfUnmodifiedSince(c.value, c.lm ?? LM), c.want);
  });
}

const ifRangeCases: {
  name: string;
  value: string | null;
  v?: Partial<Validators> & { nowMs?: number };
  want: Cond;
}[] = [
  { name: "absent", value: null, want: CondNone },
  { name: "strong tag match", value: '"abc"', want: CondTrue },
  { name: "other tag", value: '"xyz"', want: CondFalse },
  { name: "weak request tag never matches", value: 'W/"abc"', want: CondFalse },
  {
    name: "weak current tag never matches",
    value: '"abc"',
    v: { etag: 'W/"abc"' },
    want: CondFalse,
  },
  { name: "malformed tag", value: '"abc', want: CondFalse },
  { name: "tag list is not allowed", value: '"abc", "xyz"', want: CondFalse },
  { name: "date equal to Last-Modified", value: LM_DATE, want: CondTrue },
  { name: "earlier date", value: BEFORE, want: CondFalse },
  { name: "later date", value: AFTER, want: CondFalse },
  { name: "garbage", value: "tomorrow", want: CondFalse },
  {
    name: "Last-Modified in the current second is weak",
    value: LM_DATE,
    v: { nowMs: LM + 100 },
    want: CondFalse,
  },
  {
    name: "Last-Modified a second before now is strong",
    value: LM_DATE,
    v: { nowMs: LM + 1000 },
    want: CondTrue,
  },
];

for (const c of ifRangeCases) {
  Deno.test(`checkIfRange() ${c.name}`, () => {
    checkCond(c, checkIfRange(c.value, { ...V, ...c.v }), c.want);
  });
}

const evalCases: {
  name: string;
  method: string;
  h: PreconditionHeaders;
  want: "proceed" | 304 | 412;
}[] = [
  { name: "no preconditions", method: "GET", h: {}, want: "proceed" },
  { name: "If-None-Match match on GET", method: "GET", h: { ifNoneMatch: ETAG }, want: 304 },
  { name: "If-None-Match match on HEAD", method: "HEAD", h: { ifNoneMatch: ETAG }, want: 304 },
  { name: "If-None-Match match on POST", method: "POST", h: { ifNoneMatch: ETAG }, want: 412 },
  { name: "If-None-Match star on PUT", method: "PUT", h: { ifNoneMatch: "*" }, want: 412 },
  {
    name: "If-None-Match weak match on GET",
    method: "GET",
    h: { ifNoneMatch: 'W/"abc"' },
    want: 304,
  },
  { name: "If-None-Match miss", method: "GET", h: { ifNoneMatch: '"x"' }, want: "proceed" },
  {
    name: "If-None-Match miss overrides If-Modified-Since",
    method: "GET",
    h: { ifNoneMatch: '"x"', ifModifiedSince: LM_DATE },
    want: "proceed",
  },
  {
    name: "malformed If-None-Match still overrides If-Modified-Since",
    method: "GET",
    h: { ifNoneMatch: "garbage", ifModifiedSince: LM_DATE },
    want: "proceed",
  },
  {
    name: "If-Modified-Since same second",
    method: "GET",
    h: { ifModifiedSince: LM_DATE },
    want: 304,
  },
  {
    name: "If-Modified-Since on HEAD",
    method: "HEAD",
    h: { ifModifiedSince: AFTER },
    want: 304,
  },
  {
    name: "If-Modified-Since earlier",
    method: "GET",
    h: { ifModifiedSince: BEFORE },
    want: "proceed",
  },
  {
    name: "If-Modified-Since ignored for POST",
    method: "POST",
    h: { ifModifiedSince: LM_DATE },
    want: "proceed",
  },
  {
    name: "invalid If-Modified-Since ignored",
    method: "GET",
    h: { ifModifiedSince: "now" },
    want: "proceed",
  },
  { name: "If-Match miss on GET", method: "GET", h: { ifMatch: '"x"' }, want: 412 },
  { name: "If-Match weak tag on GET", method: "GET", h: { ifMatch: 'W/"abc"' }, want: 412 },
  { name: "If-Match match on PUT", method: "PUT", h: { ifMatch: ETAG }, want: "proceed" },
  { name: "If-Match star on DELETE", method: "DELETE", h: { ifMatch: "*" }, want: "proceed" },
  {
    name: "If-Match match then If-None-Match match",
    method: "GET",
    h: { ifMatch: ETAG, ifNoneMatch: ETAG },
    want: 304,
  },
  {
    name: "If-Unmodified-Since earlier",
    method: "PUT",
    h: { ifUnmodifiedSince: BEFORE },
    want: 412,
  },
  {
    name: "If-Unmodified-Since same second",
    method: "PUT",
    h: { ifUnmodifiedSince: LM_DATE },
    want: "proceed",
  },
  {
    name: "If-Unmodified-Since ignored when If-Match present",
    method: "PUT",
    h: { ifMatch: ETAG, ifUnmodifiedSince: BEFORE },
    want: "proceed",
  },
  {
    name: "If-Match miss wins over passing If-Unmodified-Since",
    method: "PUT",
    h: { ifMatch: '"x"', ifUnmodifiedSince: AFTER },
    want: 412,
  },
  {
    name: "empty If-Match falls back to If-Unmodified-Since",
    method: "PUT",
    h: { ifMatch: "", ifUnmodifiedSince: BEFORE },
    want: 412,
  },
  {
    name: "invalid If-Unmodified-Since ignored",
    method: "GET",
    h: { ifUnmodifiedSince: "Tue, 02 Jan 2024 25:00:00 GMT" },
    want: "proceed",
  },
  {
    name: "If-Unmodified-Since checked before If-None-Match",
    method: "GET",
    h: { ifUnmodifiedSince: BEFORE, ifNoneMatch: ETAG },
    want: 412,
  },
  {
    name: "methods are case-sensitive",
    method: "get",
    h: { ifNoneMatch: ETAG },
    want: 412,
  },
  {
    name: "null fields are absent",
    method: "GET",
    h: { ifMatch: null, ifNoneMatch: null, ifModifiedSince: null, ifUnmodifiedSince: null },
    want: "proceed",
  },
];

for (const c of evalCases) {
  Deno.test(`evaluatePreconditions() ${c.name}`, () => {
    check(c, evaluatePreconditions(c.method, c.h, V), c.want);
  });
}
