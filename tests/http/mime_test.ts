import { deepStrictEqual } from "node:assert";
import { contentType, isCompressible } from "../../src/http/mime.ts";

function check(input: unknown, got: unknown, want: unknown): void {
  deepStrictEqual(
    got,
    want,
    `input ${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
  );
}

const U = "; charset=utf-8";

const typeCases: { input: string; want: string }[] = [
  { input: "index.html", want: "text/html" + U },
  { input: "old.htm", want: "text/html" + U },
  { input: "page.xhtml", want: "application/xhtml+xml" + U },
  { input: "style.css", want: "text/css" + U },
  { input: "app.js", want: "text/javascript" + U },
  { input: "app.mjs", want: "text/javascript" + U },
  { input: "app.cjs", want: "text/javascript" + U },
  { input: "data.json", want: "application/json" + U },
  { input: "app.js.map", want: "application/json" + U },
  { input: "schema.jsonld", want: "application/ld+json" + U },
  { input: "site.webmanifest", want: "application/manifest+json" + U },
  { input: "feed.xml", want: "application/xml" + U },
  { input: "feed.rss", want: "application/rss+xml" + U },
  { input: "feed.atom", want: "application/atom+xml" + U },
  { input: "readme.txt", want: "text/plain" + U },
  { input: "table.csv", want: "text/csv" + U },
  { input: "README.md", want: "text/markdown" + U },
  { input: "cal.ics", want: "text/calendar" + U },
  { input: "subs.vtt", want: "text/vtt" + U },
  { input: "conf.yaml", want: "application/yaml" + U },
  { input: "logo.svg", want: "image/svg+xml" + U },
  { input: "mod.wasm", want: "application/wasm" },
  { input: "a.png", want: "image/png" },
  { input: "a.jpg", want: "image/jpeg" },
  { input: "a.jpeg", want: "image/jpeg" },
  { input: "a.gif", want: "image/gif" },
  { input: "a.webp", want: "image/webp" },
  { input: "a.avif", want: "image/avif" },
  { input: "favicon.ico", want: "image/x-icon" },
  { input: "a.bmp", want: "image/bmp" },
  { input: "f.woff", want: "font/woff" },
  { input: "f.woff2", want: "font/woff2" },
  { input: "f.ttf", want: "font/ttf" },
  { input: "f.otf", want: "font/otf" },
  { input: "f.eot", want: "application/vnd.ms-fontobject" },
  { input: "v.mp4", want: "video/mp4" },
  { input: "v.webm", want: "video/webm" },
  { input: "v.ogv", want: "video/ogg" },
  { input: "a.ogg", want: "audio/ogg" },
  { input: "a.oga", want: "audio/ogg" },
  { input: "a.mp3", want: "audio/mpeg" },
  { input: "a.wav", want: "audio/wav" },
  { input: "a.flac", want: "audio/flac" },
  { input: "a.m4a", want: "audio/mp4" },
  { input: "doc.pdf", want: "application/pdf" },
  { input: "a.zip", want: "application/zip" },
  { input: "a.tar.gz", want: "application/gzip" },
  { input: "a.tar", want: "application/x-tar" },
  { input: "a.7z", want: "application/x-7z-compressed" },
  // Case, paths and edge cases.
  { input: "INDEX.HTML", want: "text/html" + U },
  { input: "Photo.JpG", want: "image/jpeg" },
  { input: "/var/www/site/assets/app.js", want: "text/javascript" + U },
  { input: "noext", want: "application/octet-stream" },
  { input: "unknown.xyz", want: "application/octet-stream" },
  { input: "trailing.", want: "application/octet-stream" },
  { input: ".htaccess", want: "application/octet-stream" },
  { input: "dir/.env", want: "application/octet-stream" },
  { input: "dir.d/file", want: "application/octet-stream" },
  { input: "assets.js/file", want: "application/octet-stream" },
  { input: ".html", want: "application/octet-stream" },
  { input: "dir/.json", want: "application/octet-stream" },
  { input: "dir/x.html", want: "text/html" + U },
  { input: "", want: "application/octet-stream" },
  { input: "constructor", want: "application/octet-stream" },
  { input: "a.constructor", want: "application/octet-stream" },
  { input: "a.__proto__", want: "application/octet-stream" },
];

for (const c of typeCases) {
  Deno.test(`contentType() ${JSON.stringify(c.input)}`, () => {
    check(c.input, contentType(c.input), c.want);
  });
}

const compressibleCases: { input: string; want: boolean }[] = [
  { input: "text/html; charset=utf-8", want: true },
  { input: "text/css", want: true },
  { input: "text/javascript; charset=utf-8", want: true },
  { input: "TEXT/PLAIN", want: true },
  { input: "application/json; charset=utf-8", want: true },
  { input: "application/manifest+json", want: true },
  { input: "application/ld+json", want: true },
  { input: "application/xml", want: true },
  { input: "application/rss+xml", want: true },
  { input: "image/svg+xml; charset=utf-8", want: true },
  { input: "application/wasm", want: true },
  { input: "image/x-icon", want: true },
  { input: "image/vnd.microsoft.icon", want: true },
  { input: "image/bmp", want: true },
  { input: "font/ttf", want: true },
  { input: "font/otf", want: true },
  { input: "application/vnd.ms-fontobject", want: true },
  { input: " application/json ; charset=utf-8", want: true },
  { input: "application/javascript", want: true },
  { input: "application/yaml", want: true },
  { input: "application/x-tar", want: true },
  { input: "image/png", want: false },
  { input: "image/jpeg", want: false },
  { input: "image/webp", want: false },
  { input: "image/avif", want: false },
  { input: "font/woff", want: false },
  { input: "font/woff2", want: false },
  { input: "video/mp4", want: false },
  { input: "audio/mpeg", want: false },
  { input: "application/zip", want: false },
  { input: "application/gzip", want: false },
  { input: "application/pdf", want: false },
  { input: "application/octet-stream", want: false },
  { input: "", want: false },
  { input: "textual/html", want: false },
];

for (const c of compressibleCases) {
  Deno.test(`isCompressible() ${JSON.stringify(c.input)}`, () => {
    check(c.input, isCompressible(c.input), c.want);
  });
}

Deno.test("isCompressible() agrees with contentType() for text types", () => {
  for (const ext of ["html", "css", "js", "json", "svg", "xml", "md", "webmanifest", "ttf"]) {
    check(ext, isCompressible(contentType(`f.${ext}`)), true);
  }
  for (const ext of ["png", "jpg", "webp", "avif", "mp4", "zip", "gz", "woff2"]) {
    check(ext, isCompressible(contentType(`f.${ext}`)), false);
  }
});
