// IMF-fixdate (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT", always 29 bytes.

import { DATE } from "./abi";

const DAYS = "SunMonTueWedThuFriSat";
const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";

/** Writes the IMF-fixdate of `seconds` since the epoch at `dst`; returns 29. */
export function writeDate(dst: i32, seconds: f64): i32 {
  const t = <i64>Math.floor(seconds);
  let days = t / 86400;
  let rem = t % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  // 1970-01-01 was a Thursday.
  const weekday = <i32>(((days % 7) + 11) % 7);
  // Civil date from days since the epoch (H. Hinnant, "chrono-Compatible Low-Level Date
  // Algorithms"), valid for the whole proleptic Gregorian calendar.
  const z = days + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const day = <i32>(doy - (153 * mp + 2) / 5 + 1);
  const month = <i32>(mp < 10 ? mp + 3 : mp - 9);
  const year = <i32>(yoe + era * 400 + (month <= 2 ? 1 : 0));

  for (let k = 0; k < 3; k++) store<u8>(dst + k, <u8>DAYS.charCodeAt(weekday * 3 + k));
  store<u8>(dst + 3, 44);
  store<u8>(dst + 4, 32);
  two(dst + 5, day);
  store<u8>(dst + 7, 32);
  for (let k = 0; k < 3; k++) store<u8>(dst + 8 + k, <u8>MONTHS.charCodeAt((month - 1) * 3 + k));
  store<u8>(dst + 11, 32);
  two(dst + 12, (year / 100) % 100);
  two(dst + 14, year % 100);
  store<u8>(dst + 16, 32);
  two(dst + 17, <i32>(rem / 3600));
  store<u8>(dst + 19, 58);
  two(dst + 20, <i32>((rem / 60) % 60));
  store<u8>(dst + 22, 58);
  two(dst + 23, <i32>(rem % 60));
  store<u8>(dst + 25, 32);
  store<u8>(dst + 26, 71);
  store<u8>(dst + 27, 77);
  store<u8>(dst + 28, 84);
  return 29;
}

@inline function two(dst: i32, v: i32): void {
  store<u8>(dst, <u8>(48 + v / 10));
  store<u8>(dst + 1, <u8>(48 + v % 10));
}

/** Refreshes the DATE region; TypeScript calls this once a second. */
export function setClock(seconds: f64): void {
  writeDate(DATE, seconds);
}
