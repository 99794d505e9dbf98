// Request-head parsing: the plain-TypeScript parser (bench/ts_parser.ts) on three typical heads.
// The WASM parser (wrapper in src/wasm.ts) is to be benchmarked on the same heads in the same
// groups, so that `deno bench` prints the comparison per head.
//
//   deno bench --allow-read bench/parse_bench.ts

import { parseRequestHead } from "./ts_parser.ts";

const crlf = (lines: string[]) => lines.join("\r\n") + "\r\n\r\n";

/** Three typical request heads, as bytes on the wire. */
export const HEADS: Record<string, string> = {
  // Chromium 131 on Linux, navigating to a page.
  chromium: crlf([
    "GET /docs/getting-started.html HTTP/1.1",
    "Host: example.com",
    "Connection: keep-alive",
    'sec-ch-ua: "Chromium";v="131", "Not_A Brand";v="24"',
    "sec-ch-ua-mobile: ?0",
    'sec-ch-ua-platform: "Linux"',
    "Upgrade-Insecure-Requests: 1",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " +
    "Chrome/131.0.0.0 Safari/537.36",
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp," +
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    "Sec-Fetch-Site: same-origin",
    "Sec-Fetch-Mode: navigate",
    "Sec-Fetch-User: ?1",
    "Sec-Fetch-Dest: document",
    "Referer: https://example.com/",
    "Accept-Encoding: gzip, deflate, br, zstd",
    "Accept-Language: en-US,en;q=0.9",
  ]),
  // curl 7.88 with no options.
  curl: crlf([
    "GET /index.html HTTP/1.1",
    "Host: example.com",
    "User-Agent: curl/7.88.1",
    "Accept: */*",
  ]),
  // Resuming a download: conditional range request.
  conditional_range: crlf([
    "GET /files/archive-2024.tar.gz HTTP/1.1",
    "Host: example.com",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Accept: */*",
    "Accept-Encoding: identity",
    'If-None-Match: "6b119eb6-a00000"',
    'If-Range: "6b119eb6-a00000"',
    "Range: bytes=1048576-",
    "Connection: keep-alive",
  ]),
};

const encoder = new TextEncoder();
export const HEAD_BYTES: Record<string, Uint8Array> = Object.fromEntries(
  Object.entries(HEADS).map(([k, v]) => [k, encoder.encode(v)]),
);

import { SLOT_STATE } from "../src/abi.ts";
import { Request } from "../src/request.ts";
import { loadWasm, slotBase } from "../src/wasm.ts";

// Sanity: every head parses completely, with the expected number of fields.
const EXPECTED_FIELDS: Record<string, number> = { chromium: 15, curl: 3, conditional_range: 8 };
for (const [name, bytes] of Object.entries(HEAD_BYTES)) {
  const r = parseRequestHead(bytes);
  if (!r || r.headLength !== bytes.length || r.headers.size !== EXPECTED_FIELDS[name]) {
    throw new Error(`ts_parser: unexpected result for ${name}: ${JSON.stringify(r?.headLength)}`);
  }
}

// Results are folded into a sink so that no parse can be optimised away.
let sink = 0;

for (const [name, bytes] of Object.entries(HEAD_BYTES)) {
  Deno.bench({
    name: `ts_parser ${name}`,
    group: name,
    baseline: true,
    fn() {
      const r = parseRequestHead(bytes)!;
      sink ^= r.headLength + r.headers.size;
    },
  });
}

// =============================================================================================
// WASM parser. In the server the socket reads straight into the connection's slot, so "wasm
// parse" times parse() on bytes already in place: method, target, every field as (offset,
// length), known-header ids and framing checks. "wasm parse + Request" adds what the slow path
// does next — copying every field out as strings — for a like-for-like comparison with the
// TypeScript parser, which builds a Map of strings.
// =============================================================================================

const wasm = await loadWasm({
  slotCount: 1,
  slotSize: 64 * 1024,
  maxLine: 8192,
  maxHead: 32768,
  maxFields: 100,
  maxBody: 2 ** 30,
  maxChunkExt: 1024,
});
const slot = slotBase(wasm, 0) + SLOT_STATE;
const remote = { transport: "tcp", hostname: "127.0.0.1", port: 1 } as Deno.NetAddr;

for (const [name, bytes] of Object.entries(HEAD_BYTES)) {
  if (wasm.fn.parse((wasm.u8.set(bytes, slot), slot), bytes.length) !== bytes.length) {
    throw new Error(`wasm: unexpected result for ${name}`);
  }
  Deno.bench({
    name: `wasm parse ${name}`,
    group: name,
    fn() {
      sink ^= wasm.fn.parse(slot, bytes.length);
    },
  });
  Deno.bench({
    name: `wasm parse + Request ${name}`,
    group: name,
    fn() {
      wasm.fn.parse(slot, bytes.length);
      sink ^= new Request(wasm, remote, slot, bytes.length).fields.length;
    },
  });
}

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink); // never true; keeps `sink` observable
});
