/**
 * HTTP-date formatting and parsing (RFC 9110 §5.6.7).
 *
 * Senders MUST generate IMF-fixdate; recipients MUST accept all three formats
 * (IMF-fixdate, obsolete RFC 850, asctime). Parsing here follows the ABNF
 * exactly and returns `null` for anything else, so callers can apply the
 * "ignore an invalid date" rules of §13.1.3/§13.1.4 without try/catch.
 *
 * The ABNF literals are case-sensitive (`%s"GMT"`, `%s"Nov"`), hence "gmt" or
 * "nov" are rejected.
 *
 * Day-name policy: the day name must be one of the seven names of the
 * format's grammar, but it is NOT checked against the date. It is redundant
 * information, RFC 9110 asks recipients to be robust when parsing timestamps,
 * and rejecting it would make a precondition such as If-Unmodified-Since be
 * silently ignored (§13.1.4) instead of evaluated. Go's net/http behaves the
 * same way.
 *
 * @module
 */

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const DAYS_LONG = [
  "Sunday",
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
] as const;
const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
] as const;

const MS_PER_DAY = 86_400_000;

/**
 * Formats `ms` (milliseconds since the epoch) as an IMF-fixdate, e.g.
 * `Sun, 06 Nov 1994 08:49:37 GMT`. Sub-second precision is truncated toward
 * the past, since HTTP-date has one-second resolution.
 *
 * Built by hand rather than with `Date#toUTCString()` because the latter
 * produces non-4-digit years outside 0000–9999, which are not valid HTTP-dates.
 *
 * @throws {RangeError} if `ms` is not finite or the year is outside 0000–9999.
 */
export function formatHttpDate(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`invalid time value: ${ms}`);
  const sec = Math.floor(ms / 1000);
  const days = Math.floor(sec / 86_400);
  const secOfDay = sec - days * 86_400;
  const { year, month, day } = civilFromDays(days);
  if (year < 0 || year > 9999) throw new RangeError(`year out of range: ${year}`);
  // 1970-01-01 was a Thursday (index 4).
  const weekday = (((days + 4) % 7) + 7) % 7;
  const hh = Math.floor(secOfDay / 3600);
  const mm = Math.floor((secOfDay % 3600) / 60);
  const ss = secOfDay % 60;
  return `${DAYS[weekday]}, ${pad2(day)} ${MONTHS[month - 1]} ${String(year).padStart(4, "0")} ${
    pad2(hh)
  }:${pad2(mm)}:${pad2(ss)} GMT`;
}

/**
 * Parses an HTTP-date in any of the three formats of RFC 9110 §5.6.7 and
 * returns milliseconds since the epoch, or `null` if `value` does not match
 * the grammar exactly or names a date or time that does not exist.
 *
 * `nowMs` is only used to resolve the two-digit year of the obsolete RFC 850
 * format and is a parameter to keep this function pure and testable.
 */
export function parseHttpDate(value: string, nowMs: number = Date.now()): number | null {
  // All three formats are told apart by the 4th character:
  // "Sun," (IMF-fixdate), "Sun " (asctime), "Sund..." (RFC 850).
  const c3 = value.charCodeAt(3);
  if (c3 === 0x2c) return parseImfFixdate(value);
  if (c3 === 0x20) return parseAsctime(value);
  return parseRfc850(value, nowMs);
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (fixed width, 29 chars).
function parseImfFixdate(s: string): number | null {
  if (s.length !== 29) return null;
  if (DAYS.indexOf(s.slice(0, 3) as typeof DAYS[number]) < 0) return null;
  if (s[4] !== " " || s[7] !== " " || s[11] !== " " || s[16] !== " " || s[25] !== " ") {
    return null;
  }
  if (s.slice(26) !== "GMT") return null;
  const day = digits(s, 5, 2);
  const month = monthIndex(s, 8);
  const year = digits(s, 12, 4);
  return build(year, month, day, s, 17);
}

// asctime-date: "Sun Nov  6 08:49:37 1994" (fixed width, 24 chars). The day
// is either 2DIGIT or SP DIGIT.
function parseAsctime(s: string): number | null {
  if (s.length !== 24) return null;
  if (DAYS.indexOf(s.slice(0, 3) as typeof DAYS[number]) < 0) return null;
  if (s[7] !== " " || s[10] !== " " || s[19] !== " ") return null;
  const month = monthIndex(s, 4);
  const day = s[8] === " " ? digits(s, 9, 1) : digits(s, 8, 2);
  const year = digits(s, 20, 4);
  return build(year, month, day, s, 11);
}

// rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT". The long day name makes
// the width variable; everything after the comma is fixed (24 chars).
function parseRfc850(s: string, nowMs: number): number | null {
  const comma = s.indexOf(",");
  if (comma < 6 || s.length !== comma + 24) return null;
  if (DAYS_LONG.indexOf(s.slice(0, comma) as typeof DAYS_LONG[number]) < 0) return null;
  const b = comma + 1;
  if (s[b] !== " " || s[b + 3] !== "-" || s[b + 7] !== "-" || s[b + 10] !== " ") return null;
  if (s[b + 19] !== " " || s.slice(b + 20) !== "GMT") return null;
  const day = digits(s, b + 1, 2);
  const month = monthIndex(s, b + 4);
  const yy = digits(s, b + 8, 2);
  if (yy < 0 || !Number.isFinite(nowMs)) return null;
  // §5.6.7: a two-digit year that appears to be more than 50 years in the
  // future means the most recent past year with the same last two digits.
  // Resolved at year granularity: the result lies in (now-50, now+50].
  const nowYear = civilFromDays(Math.floor(nowMs / MS_PER_DAY)).year;
  let year = nowYear - (nowYear % 100) + yy;
  if (year > nowYear + 50) year -= 100;
  else if (year <= nowYear - 50) year += 100;
  return build(year, month, day, s, b + 11);
}

// Validates the calendar fields and the "HH:MM:SS" at `t`, then converts.
// A negative field means "did not parse".
function build(year: number, month: number, day: number, s: string, t: number): number | null {
  if (year < 0 || month < 0 || day < 1) return null;
  if (day > daysInMonth(year, month + 1)) return null;
  if (s[t + 2] !== ":" || s[t + 5] !== ":") return null;
  const hh = digits(s, t, 2);
  const mm = digits(s, t + 3, 2);
  const ss = digits(s, t + 6, 2);
  // §5.6.7 allows second 60 (leap second); it maps onto the next minute's
  // first second, as POSIX time has no representation for it.
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return null;
  const days = daysFromCivil(year, month + 1, day);
  return ((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000;
}

// Reads `n` ASCII digits at `i`; -1 if any is not a digit.
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const d = s.charCodeAt(k) - 0x30;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

// 0-based month of the 3-letter name at `i`; -1 if none.
function monthIndex(s: string, i: number): number {
  return MONTHS.indexOf(s.slice(i, i + 3) as typeof MONTHS[number]);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeap(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

// Proleptic Gregorian calendar <-> days since 1970-01-01 (H. Hinnant's
// algorithms). Used instead of Date.UTC, which maps years 0–99 to 1900–1999.
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function civilFromDays(z: number): { year: number; month: number; day: number } {
  z += 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) -
      Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}
