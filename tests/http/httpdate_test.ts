import { deepStrictEqual, throws } from "node:assert";
import { formatHttpDate, parseHttpDate } from "../../src/http/httpdate.ts";

function check(input: unknown, got: unknown, want: unknown): void {
  deepStrictEqual(
    got,
    want,
    `input ${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
  );
}

const SUNDAY_1994 = Date.UTC(1994, 10, 6, 8, 49, 37); // the RFC 9110 §5.6.7 example
const NOW_2025 = Date.UTC(2025, 5, 1);

const parseCases: { name: string; input: string; now?: number; want: number | null }[] = [
  // Valid: the three formats of §5.6.7.
  { name: "IMF-fixdate", input: "Sun, 06 Nov 1994 08:49:37 GMT", want: SUNDAY_1994 },
  { name: "RFC 850", input: "Sunday, 06-Nov-94 08:49:37 GMT", want: SUNDAY_1994 },
  { name: "asctime with space-padded day", input: "Sun Nov  6 08:49:37 1994", want: SUNDAY_1994 },
  { name: "asctime with 2-digit day", input: "Sun Nov 06 08:49:37 1994", want: SUNDAY_1994 },
  {
    name: "asctime with day >= 10",
    input: "Wed Nov 16 08:49:37 1994",
    want: Date.UTC(1994, 10, 16, 8, 49, 37),
  },
  {
    name: "RFC 850 Wednesday (longest day name)",
    input: "Wednesday, 09-Nov-94 08:49:37 GMT",
    want: Date.UTC(1994, 10, 9, 8, 49, 37),
  },
  { name: "epoch", input: "Thu, 01 Jan 1970 00:00:00 GMT", want: 0 },
  { name: "before the epoch", input: "Wed, 31 Dec 1969 23:59:59 GMT", want: -1000 },
  { name: "leap day", input: "Thu, 29 Feb 2024 12:00:00 GMT", want: Date.UTC(2024, 1, 29, 12) },
  { name: "leap day in 2000", input: "Tue, 29 Feb 2000 00:00:00 GMT", want: Date.UTC(2000, 1, 29) },
  {
    name: "leap second rolls to the next minute",
    input: "Sat, 31 Dec 2016 23:59:60 GMT",
    want: Date.UTC(2017, 0, 1),
  },
  { name: "year 0001", input: "Mon, 01 Jan 0001 00:00:00 GMT", want: -62135596800000 },
  { name: "year 9999", input: "Fri, 31 Dec 9999 23:59:59 GMT", want: 253402300799000 },
  {
    name: "day name not matching the date is accepted",
    input: "Mon, 06 Nov 1994 08:49:37 GMT",
    want: SUNDAY_1994,
  },
  // RFC 850 two-digit years, relative to now = 2025.
  {
    name: "RFC 850 year 50 years ahead stays in this century",
    input: "Thursday, 01-Jan-75 00:00:00 GMT",
    now: NOW_2025,
    want: Date.UTC(2075, 0, 1),
  },
  {
    name: "RFC 850 year more than 50 years ahead is last century",
    input: "Thursday, 01-Jan-76 00:00:00 GMT",
    now: NOW_2025,
    want: Date.UTC(1976, 0, 1),
  },
  {
    name: "RFC 850 year 00",
    input: "Saturday, 01-Jan-00 00:00:00 GMT",
    now: NOW_2025,
    want: Date.UTC(2000, 0, 1),
  },
  {
    name: "RFC 850 year 99 near the end of a century is this century",
    input: "Friday, 01-Jan-99 00:00:00 GMT",
    now: Date.UTC(2090, 0, 1),
    want: Date.UTC(2099, 0, 1),
  },
  {
    name: "RFC 850 year 10 near the end of a century is next century",
    input: "Monday, 01-Jan-10 00:00:00 GMT",
    now: Date.UTC(2090, 0, 1),
    want: Date.UTC(2110, 0, 1),
  },
  // Invalid.
  { name: "empty", input: "", want: null },
  { name: "lowercase gmt", input: "Sun, 06 Nov 1994 08:49:37 gmt", want: null },
  { name: "UTC instead of GMT", input: "Sun, 06 Nov 1994 08:49:37 UTC", want: null },
  { name: "numeric offset", input: "Sun, 06 Nov 1994 08:49:37 +0000", want: null },
  { name: "lowercase day name", input: "sun, 06 Nov 1994 08:49:37 GMT", want: null },
  { name: "lowercase month", input: "Sun, 06 nov 1994 08:49:37 GMT", want: null },
  { name: "unknown day name", input: "Foo, 06 Nov 1994 08:49:37 GMT", want: null },
  { name: "long day name in IMF-fixdate", input: "Sunday, 06 Nov 1994 08:49:37 GMT", want: null },
  { name: "short day name in RFC 850", input: "Sun, 06-Nov-94 08:49:37 GMT", want: null },
  { name: "unknown month", input: "Sun, 06 Foo 1994 08:49:37 GMT", want: null },
  { name: "hour 24", input: "Sun, 06 Nov 1994 24:00:00 GMT", want: null },
  { name: "hour 25", input: "Sun, 06 Nov 1994 25:49:37 GMT", want: null },
  { name: "minute 60", input: "Sun, 06 Nov 1994 08:60:37 GMT", want: null },
  { name: "second 61", input: "Sun, 06 Nov 1994 08:49:61 GMT", want: null },
  { name: "February 30", input: "Fri, 30 Feb 2024 00:00:00 GMT", want: null },
  { name: "February 29 in a common year", input: "Wed, 29 Feb 2023 00:00:00 GMT", want: null },
  { name: "February 29 in 1900", input: "Thu, 29 Feb 1900 00:00:00 GMT", want: null },
  { name: "April 31", input: "Sun, 31 Apr 1994 00:00:00 GMT", want: null },
  { name: "day 00", input: "Sun, 00 Nov 1994 08:49:37 GMT", want: null },
  { name: "day 32", input: "Sun, 32 Dec 1994 08:49:37 GMT", want: null },
  { name: "extra space after comma", input: "Sun,  06 Nov 1994 08:49:37 GMT", want: null },
  { name: "double space before time", input: "Sun, 06 Nov 1994  08:49:37 GMT", want: null },
  { name: "leading space", input: " Sun, 06 Nov 1994 08:49:37 GMT", want: null },
  { name: "trailing space", input: "Sun, 06 Nov 1994 08:49:37 GMT ", want: null },
  { name: "trailing garbage", input: "Sun, 06 Nov 1994 08:49:37 GMTx", want: null },
  {
    name: "two dates",
    input: "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
    want: null,
  },
  { name: "numeric timestamp", input: "784111777", want: null },
  { name: "ISO 8601", input: "1994-11-06T08:49:37Z", want: null },
  { name: "one-digit day in IMF-fixdate", input: "Sun, 6 Nov 1994 08:49:37 GMT", want: null },
  { name: "two-digit year in IMF-fixdate", input: "Sun, 06 Nov 94 08:49:37 GMT", want: null },
  { name: "asctime day without padding", input: "Sun Nov 6 08:49:37 1994", want: null },
  { name: "asctime with GMT", input: "Sun Nov  6 08:49:37 1994 GMT", want: null },
  { name: "asctime with 2-digit year", input: "Sun Nov  6 08:49:37 94", want: null },
  { name: "RFC 850 with 4-digit year", input: "Sunday, 06-Nov-1994 08:49:37 GMT", want: null },
  { name: "RFC 850 with spaces for dashes", input: "Sunday, 06 Nov 94 08:49:37 GMT", want: null },
  { name: "letter in time", input: "Sun, 06 Nov 1994 08:4a:37 GMT", want: null },
  { name: "sign in day", input: "Sun, +6 Nov 1994 08:49:37 GMT", want: null },
  { name: "dashes in time", input: "Sun, 06 Nov 1994 08-49-37 GMT", want: null },
  { name: "missing seconds", input: "Sun, 06 Nov 1994 08:49 GMT", want: null },
  { name: "slash in seconds", input: "Sun, 06 Nov 1994 08:49:3/ GMT", want: null },
  { name: "IMF-fixdate with dashes", input: "Sun, 06-Nov-1994 08:49:37 GMT", want: null },
  {
    name: "IMF-fixdate without space after comma",
    input: "Sun,x06 Nov 1994 08:49:37 GMT",
    want: null,
  },
  { name: "RFC 850 with UTC", input: "Sunday, 06-Nov-94 08:49:37 UTC", want: null },
  { name: "RFC 850 with lowercase gmt", input: "Sunday, 06-Nov-94 08:49:37 gmt", want: null },
  {
    name: "RFC 850 without space after comma",
    input: "Sunday,x06-Nov-94 08:49:37 GMT",
    want: null,
  },
  { name: "RFC 850 trailing garbage", input: "Sunday, 06-Nov-94 08:49:37 GMT!", want: null },
  { name: "asctime with dashes", input: "Sun-Nov  6 08:49:37 1994", want: null },
  { name: "asctime with tab", input: "Sun Nov\t 6 08:49:37 1994", want: null },
];

for (const c of parseCases) {
  Deno.test(`parseHttpDate() ${c.name}`, () => {
    check(c.input, parseHttpDate(c.input, c.now ?? NOW_2025), c.want);
  });
}

const formatCases: { name: string; input: number; want: string }[] = [
  { name: "RFC example", input: SUNDAY_1994, want: "Sun, 06 Nov 1994 08:49:37 GMT" },
  {
    name: "truncates milliseconds",
    input: SUNDAY_1994 + 999,
    want: "Sun, 06 Nov 1994 08:49:37 GMT",
  },
  { name: "epoch", input: 0, want: "Thu, 01 Jan 1970 00:00:00 GMT" },
  { name: "before the epoch floors", input: -1, want: "Wed, 31 Dec 1969 23:59:59 GMT" },
  { name: "leap day", input: Date.UTC(2024, 1, 29, 12), want: "Thu, 29 Feb 2024 12:00:00 GMT" },
  { name: "year 0001 zero-padded", input: -62135596800000, want: "Mon, 01 Jan 0001 00:00:00 GMT" },
  { name: "year 9999", input: 253402300799000, want: "Fri, 31 Dec 9999 23:59:59 GMT" },
];

for (const c of formatCases) {
  Deno.test(`formatHttpDate() ${c.name}`, () => {
    check(c.input, formatHttpDate(c.input), c.want);
  });
}

const formatThrowCases: { name: string; input: number }[] = [
  { name: "NaN", input: NaN },
  { name: "Infinity", input: Infinity },
  { name: "year 10000", input: 253402300800000 },
  { name: "year -1", input: -62167219200001 },
];

for (const c of formatThrowCases) {
  Deno.test(`formatHttpDate() throws RangeError for ${c.name}`, () => {
    throws(() => formatHttpDate(c.input), RangeError, `input ${c.input}`);
  });
}

Deno.test("formatHttpDate() agrees with Date#toUTCString and round-trips", () => {
  // Deterministic spread over years 1000-9999, where V8's toUTCString emits
  // IMF-fixdate.
  const lo = Date.UTC(1000, 0, 1);
  const hi = 253402300799999;
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const ms = Math.floor(lo + (x / 2147483648) * (hi - lo));
    const s = formatHttpDate(ms);
    check(ms, s, new Date(ms).toUTCString());
    check(s, parseHttpDate(s), Math.floor(ms / 1000) * 1000);
  }
});
