// Response-head assembly into OUT (head.ts) and IMF-fixdate formatting (date.ts, RFC 9110
// §5.6.7), compared byte for byte.

import {
  CONN_CLOSE, CONN_DEFAULT, CONN_KEEP_ALIVE, CONN_UPGRADE, DATE, DATE_LEN, HEAD_OVERFLOW, IN,
  IN_SIZE, OUT, OUT_SIZE, R_ACCEPT_RANGES, R_ALLOW, R_CACHE_CONTROL, R_CONTENT_ENCODING,
  R_CONTENT_LENGTH, R_CONTENT_RANGE, R_CONTENT_TYPE, R_ETAG, R_LAST_MODIFIED, R_LOCATION,
  R_NOSNIFF, R_RETRY_AFTER, R_TRANSFER_ENCODING, R_VARY,
} from "../abi";
import { setClock, writeDate } from "../date";
import { headDate, headEnd, headField, headNumber, headRaw, headStart } from "../head";

const NOW: f64 = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT
const START_200 = "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: tuxd\r\n";

function put(dst: i32, s: string): void {
  for (let k = 0; k < s.length; k++) store<u8>(dst + k, <u8>s.charCodeAt(k));
}

function bytes(off: i32, len: i32): string {
  let s = "";
  for (let k = 0; k < len; k++) s += String.fromCharCode(load<u8>(off + k));
  return s;
}

/** The assembled head: OUT's first n bytes, or a marker when headEnd failed. */
function head(n: i32): string {
  return n < 0 ? "HEAD_OVERFLOW " + n.toString() : bytes(OUT, n);
}

let inPos = IN;

/** Copies a value into IN (as TypeScript does) and returns its offset there. */
function value(s: string): i32 {
  const off = inPos;
  put(off, s);
  inPos += s.length;
  return off;
}

/** headField with the value placed in IN. */
function field(id: i32, s: string): void {
  inPos = IN;
  headField(id, value(s), s.length);
}

function date(seconds: f64): string {
  const dst = IN + 0x1000;
  const n = writeDate(dst, seconds);
  return n == 29 ? bytes(dst, n) : "length " + n.toString();
}

describe("head assembly", () => {
  it("200 with Content-Type, Content-Length, ETag and Last-Modified", () => {
    setClock(NOW);
    headStart(200);
    field(R_CONTENT_TYPE, "text/html; charset=utf-8");
    headNumber(R_CONTENT_LENGTH, 1234);
    field(R_ETAG, "\"5f1d-1234\"");
    headDate(R_LAST_MODIFIED, 1700000000);
    const n = headEnd(CONN_DEFAULT);
    expect<string>(head(n)).toBe(START_200 + "Content-Type: text/html; charset=utf-8\r\n" +
      "Content-Length: 1234\r\nETag: \"5f1d-1234\"\r\n" +
      "Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n");
  });

  it("404 with Connection: close", () => {
    setClock(NOW);
    headStart(404);
    field(R_CONTENT_TYPE, "text/html");
    headNumber(R_CONTENT_LENGTH, 0);
    expect<string>(head(headEnd(CONN_CLOSE))).toBe("HTTP/1.1 404 Not Found\r\n" +
      "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: tuxd\r\nContent-Type: text/html\r\n" +
      "Content-Length: 0\r\nConnection: close\r\n\r\n");
  });

  it("301 with Location", () => {
    setClock(NOW);
    headStart(301);
    field(R_LOCATION, "/docs/");
    headNumber(R_CONTENT_LENGTH, 0);
    expect<string>(head(headEnd(CONN_DEFAULT))).toBe("HTTP/1.1 301 Moved Permanently\r\n" +
      "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: tuxd\r\nLocation: /docs/\r\n" +
      "Content-Length: 0\r\n\r\n");
  });

  it("405 with Allow", () => {
    setClock(NOW);
    headStart(405);
    field(R_ALLOW, "GET, HEAD, OPTIONS");
    headNumber(R_CONTENT_LENGTH, 0);
    expect<string>(head(headEnd(CONN_DEFAULT))).toBe("HTTP/1.1 405 Method Not Allowed\r\n" +
      "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: tuxd\r\nAllow: GET, HEAD, OPTIONS\r\n" +
      "Content-Length: 0\r\n\r\n");
  });

  it("200 keep-alive (HTTP/1.0 persistence)", () => {
    setClock(NOW);
    headStart(200);
    headNumber(R_CONTENT_LENGTH, 5);
    expect<string>(head(headEnd(CONN_KEEP_ALIVE))).toBe(START_200 + "Content-Length: 5\r\n" +
      "Connection: keep-alive\r\n\r\n");
  });

  it("101 with Connection: upgrade", () => {
    setClock(NOW);
    headStart(101);
    expect<string>(head(headEnd(CONN_UPGRADE))).toBe("HTTP/1.1 101 Switching Protocols\r\n" +
      "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: tuxd\r\nConnection: upgrade\r\n\r\n");
  });

  it("every response field name", () => {
    setClock(NOW);
    headStart(206);
    field(R_ACCEPT_RANGES, "bytes");
    field(R_VARY, "Accept-Encoding");
    field(R_CONTENT_RANGE, "bytes 0-1/10");
    field(R_CONTENT_ENCODING, "gzip");
    field(R_CACHE_CONTROL, "no-cache");
    headNumber(R_RETRY_AFTER, 120);
    field(R_TRANSFER_ENCODING, "chunked");
    field(R_NOSNIFF, "ignored");
    expect<string>(head(headEnd(CONN_DEFAULT))).toBe("HTTP/1.1 206 Partial Content\r\n" +
      "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: tuxd\r\nAccept-Ranges: bytes\r\n" +
      "Vary: Accept-Encoding\r\nContent-Range: bytes 0-1/10\r\nContent-Encoding: gzip\r\n" +
      "Cache-Control: no-cache\r\nRetry-After: 120\r\nTransfer-Encoding: chunked\r\n" +
      "X-Content-Type-Options: nosniff\r\n\r\n");
  });

  it("raw field lines and large numbers", () => {
    setClock(0);
    headStart(200);
    inPos = IN;
    const raw = "X-A: 1\r\nX-B: 2\r\n";
    headRaw(value(raw), raw.length);
    headNumber(R_CONTENT_LENGTH, 9007199254740991);
    expect<string>(head(headEnd(CONN_DEFAULT))).toBe("HTTP/1.1 200 OK\r\n" +
      "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: tuxd\r\nX-A: 1\r\nX-B: 2\r\n" +
      "Content-Length: 9007199254740991\r\n\r\n");
  });

  it("status lines", () => {
    setClock(NOW);
    const codes: i32[] = [100, 204, 304, 400, 408, 413, 414, 417, 431, 501, 505, 299, 42];
    const lines: string[] = [
      "100 Continue", "204 No Content", "304 Not Modified", "400 Bad Request",
      "408 Request Timeout", "413 Content Too Large", "414 URI Too Long",
      "417 Expectation Failed", "431 Request Header Fields Too Large", "501 Not Implemented",
      "505 HTTP Version Not Supported", "299 Unknown", "500 Internal Server Error",
    ];
    for (let k = 0; k < codes.length; k++) {
      headStart(codes[k]);
      const n = headEnd(CONN_DEFAULT);
      const first = head(n).split("\r\n")[0];
      expect<string>(first).toBe("HTTP/1.1 " + lines[k]);
    }
  });
});

describe("head overflow", () => {
  it("HEAD_OVERFLOW when a field does not fit in OUT", () => {
    memory.fill(IN, 120, IN_SIZE); // 'x'
    setClock(NOW);
    headStart(200);
    headRaw(IN, OUT_SIZE);
    expect<i32>(headEnd(CONN_DEFAULT)).toBe(HEAD_OVERFLOW);
    // Nothing was written past OUT (IN follows it).
    expect<u8>(load<u8>(OUT + OUT_SIZE)).toBe(120);
  });

  it("overflow is sticky until the next headStart", () => {
    setClock(NOW);
    headStart(200);
    headRaw(IN, OUT_SIZE);
    headNumber(R_CONTENT_LENGTH, 1); // would fit on its own
    expect<i32>(headEnd(CONN_CLOSE)).toBe(HEAD_OVERFLOW);
    headStart(200);
    expect<string>(head(headEnd(CONN_DEFAULT))).toBe(START_200 + "\r\n");
  });

  it("a head of exactly OUT_SIZE bytes fits; one more byte does not", () => {
    memory.fill(IN, 120, IN_SIZE);
    const room = OUT_SIZE - START_200.length - 2;
    setClock(NOW);
    headStart(200);
    headRaw(IN, room);
    expect<i32>(headEnd(CONN_DEFAULT)).toBe(OUT_SIZE);
    expect<u8>(load<u8>(OUT + OUT_SIZE - 2)).toBe(13);
    expect<u8>(load<u8>(OUT + OUT_SIZE - 1)).toBe(10);
    headStart(200);
    headRaw(IN, room + 1);
    expect<i32>(headEnd(CONN_DEFAULT)).toBe(HEAD_OVERFLOW);
    expect<u8>(load<u8>(OUT + OUT_SIZE)).toBe(120);
  });

  it("the Connection field can be what overflows", () => {
    memory.fill(IN, 120, IN_SIZE);
    const room = OUT_SIZE - START_200.length - 2;
    setClock(NOW);
    headStart(200);
    headRaw(IN, room);
    expect<i32>(headEnd(CONN_CLOSE)).toBe(HEAD_OVERFLOW);
  });
});

// IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT (RFC 9110 §5.6.7). The expected
// strings come from `date -u -d @T`.
const TIMES: f64[] = [
  0, -1, 86399, 86400, 784111777, 784111777.9, 946684799, 946684800, 951782400, 951868799,
  951868800, 1234567890, 1700000000, 1704067199, 1709164800, 1709251199, 1709251200, 1735689599,
  1735689600, 2147483647, 2147483648, 4102444799, 4102444800, 4107456000, 4107542400, 4294967296,
  32503680000, 253402300799,
];
const DATES: string[] = [
  "Thu, 01 Jan 1970 00:00:00 GMT", // the epoch
  "Wed, 31 Dec 1969 23:59:59 GMT", // one second before it
  "Thu, 01 Jan 1970 23:59:59 GMT",
  "Fri, 02 Jan 1970 00:00:00 GMT",
  "Sun, 06 Nov 1994 08:49:37 GMT", // RFC 9110's example
  "Sun, 06 Nov 1994 08:49:37 GMT", // fractions are floored
  "Fri, 31 Dec 1999 23:59:59 GMT", // end of year
  "Sat, 01 Jan 2000 00:00:00 GMT",
  "Tue, 29 Feb 2000 00:00:00 GMT", // leap day of a 400-year
  "Tue, 29 Feb 2000 23:59:59 GMT",
  "Wed, 01 Mar 2000 00:00:00 GMT",
  "Fri, 13 Feb 2009 23:31:30 GMT",
  "Tue, 14 Nov 2023 22:13:20 GMT",
  "Sun, 31 Dec 2023 23:59:59 GMT", // end of year
  "Thu, 29 Feb 2024 00:00:00 GMT", // leap day
  "Thu, 29 Feb 2024 23:59:59 GMT",
  "Fri, 01 Mar 2024 00:00:00 GMT",
  "Tue, 31 Dec 2024 23:59:59 GMT", // end of a leap year
  "Wed, 01 Jan 2025 00:00:00 GMT",
  "Tue, 19 Jan 2038 03:14:07 GMT", // 2^31 - 1
  "Tue, 19 Jan 2038 03:14:08 GMT", // 2^31
  "Thu, 31 Dec 2099 23:59:59 GMT",
  "Fri, 01 Jan 2100 00:00:00 GMT",
  "Sun, 28 Feb 2100 00:00:00 GMT", // 2100 is not a leap year
  "Mon, 01 Mar 2100 00:00:00 GMT",
  "Sun, 07 Feb 2106 06:28:16 GMT", // 2^32
  "Wed, 01 Jan 3000 00:00:00 GMT",
  "Fri, 31 Dec 9999 23:59:59 GMT",
];

describe("IMF-fixdate", () => {
  it("formats the table of timestamps", () => {
    expect<i32>(TIMES.length).toBe(DATES.length);
    for (let k = 0; k < TIMES.length; k++) {
      expect<string>(date(TIMES[k])).toBe(DATES[k], TIMES[k].toString());
    }
  });

  it("setClock writes DATE", () => {
    setClock(1709164800);
    expect<string>(bytes(DATE, DATE_LEN)).toBe("Thu, 29 Feb 2024 00:00:00 GMT");
    setClock(NOW);
    expect<string>(bytes(DATE, DATE_LEN)).toBe("Sun, 06 Nov 1994 08:49:37 GMT");
  });

  it("Last-Modified uses the same format", () => {
    setClock(NOW);
    headStart(304);
    headDate(R_LAST_MODIFIED, 951782400);
    expect<string>(head(headEnd(CONN_DEFAULT))).toBe("HTTP/1.1 304 Not Modified\r\n" +
      "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: tuxd\r\n" +
      "Last-Modified: Tue, 29 Feb 2000 00:00:00 GMT\r\n\r\n");
  });
});
