import { deepStrictEqual } from "node:assert";
import { negotiateEncoding } from "../../src/http/encoding.ts";

function check(input: unknown, got: unknown, want: unknown): void {
  deepStrictEqual(
    got,
    want,
    `input ${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
  );
}

const SERVER = ["br", "zstd", "gzip"] as const;

const cases: {
  name: string;
  accept: string | null;
  available?: readonly string[];
  want: string | null;
}[] = [
  { name: "no header", accept: null, want: "identity" },
  { name: "empty header", accept: "", want: "identity" },
  { name: "single coding", accept: "gzip", want: "gzip" },
  { name: "tie broken by server preference", accept: "gzip, deflate, br", want: "br" },
  { name: "tie between zstd and gzip", accept: "gzip, zstd", want: "zstd" },
  { name: "highest q wins", accept: "br;q=0.5, gzip", want: "gzip" },
  { name: "three-decimal q", accept: "gzip;q=1.0, br;q=0.999", want: "gzip" },
  { name: "q tie among several", accept: "zstd;q=0.9, br;q=0.8, gzip;q=0.9", want: "zstd" },
  { name: "case-insensitive coding", accept: "GZIP", want: "gzip" },
  { name: "case-insensitive q", accept: "gzip;Q=0.5", want: "gzip" },
  { name: "x-gzip alias", accept: "x-gzip", want: "gzip" },
  { name: "x-gzip alias is case-insensitive", accept: "X-GZIP", want: "gzip" },
  { name: "gzipx does not match gzip", accept: "gzipx", want: "identity" },
  { name: "x-gzipx does not match gzip", accept: "x-gzipx", want: "identity" },
  { name: "prefix does not match", accept: "gzi", want: "identity" },
  { name: "x-br is not an alias", accept: "x-br", want: "identity" },
  { name: "unavailable coding", accept: "deflate", want: "identity" },
  { name: "star picks server preference", accept: "*", want: "br" },
  { name: "explicit coding beats lower star", accept: "*;q=0.5, gzip", want: "gzip" },
  { name: "star covers unlisted codings only", accept: "br;q=0, *", want: "zstd" },
  { name: "star q=0 with explicit coding", accept: "gzip;q=0.5, *;q=0", want: "gzip" },
  { name: "star q=0 refuses identity", accept: "*;q=0", want: null },
  { name: "star q=0 with explicit identity", accept: "*;q=0, identity", want: "identity" },
  { name: "identity q=0 alone", accept: "identity;q=0", want: null },
  { name: "identity q=0 with coding", accept: "identity;q=0, gzip", want: "gzip" },
  { name: "identity and star both q=0", accept: "*;q=0, identity;q=0", want: null },
  { name: "q=0 excludes a coding", accept: "gzip;q=0", want: "identity" },
  { name: "q=0.000 excludes a coding", accept: "br;q=0.000, gzip;q=0", want: "identity" },
  { name: "smallest positive q", accept: "br;q=0.001", want: "br" },
  { name: "identity preferred by q", accept: "gzip;q=0.5, identity", want: "identity" },
  { name: "coding preferred by q", accept: "gzip, identity;q=0.5", want: "gzip" },
  { name: "coding wins a tie with identity", accept: "gzip;q=0.5, identity;q=0.5", want: "gzip" },
  { name: "q=1.000 is valid", accept: "gzip;q=1.000", want: "gzip" },
  { name: "q=1. is valid", accept: "gzip;q=1.", want: "gzip" },
  { name: "q=1.001 is ignored", accept: "gzip;q=1.001", want: "identity" },
  { name: "q=2 is ignored", accept: "gzip;q=2", want: "identity" },
  { name: "q with four decimals is ignored", accept: "gzip;q=0.1234", want: "identity" },
  { name: "q=.5 is ignored", accept: "gzip;q=.5", want: "identity" },
  { name: "negative q is ignored", accept: "gzip;q=-1", want: "identity" },
  { name: "q with trailing junk is ignored", accept: "gzip;q=0.5x", want: "identity" },
  { name: "spaces around = are invalid", accept: "gzip;q = 0.5", want: "identity" },
  { name: "OWS around ; is valid", accept: "gzip ; q=0.5", want: "gzip" },
  { name: "unknown parameter is ignored", accept: "gzip;level=9", want: "identity" },
  { name: "empty weight is ignored", accept: "gzip;", want: "identity" },
  {
    name: "invalid identity weight cannot refuse identity",
    accept: "identity;q=x",
    want: "identity",
  },
  { name: "ignored identity leaves star in charge", accept: "identity;q=x, *;q=0", want: null },
  { name: "ignored element leaves star in charge", accept: "br;q=5, *;q=0.1", want: "br" },
  { name: "lowest weight of a repeated coding", accept: "gzip;q=0, gzip;q=1", want: "identity" },
  { name: "alias and name repeated", accept: "x-gzip;q=0, gzip", want: "identity" },
  { name: "empty list elements", accept: ",,gzip,,", want: "gzip" },
  { name: "OWS and tabs", accept: "\tgzip\t,  br ", want: "br" },
  { name: "malformed element is skipped", accept: "gz ip, gzip;q=0.1", want: "gzip" },
  { name: "non-token characters", accept: "g/zip, {br}", want: "identity" },
  { name: "nothing available", accept: "gzip, br", available: [], want: "identity" },
  {
    name: "nothing available, identity refused",
    accept: "identity;q=0",
    available: [],
    want: null,
  },
  {
    name: "available order is the server preference",
    accept: "br, gzip",
    available: ["gzip", "br"],
    want: "gzip",
  },
  { name: "x-compress alias", accept: "x-compress", available: ["compress"], want: "compress" },
];

for (const c of cases) {
  Deno.test(`negotiateEncoding() ${c.name}`, () => {
    check(c.accept, negotiateEncoding(c.accept, c.available ?? SERVER), c.want);
  });
}
