/**
 * Content-Type from a file extension, and whether a type is worth
 * compressing.
 *
 * Text-based types carry `; charset=utf-8`: without it, browsers guess the
 * charset of text/* (and XML falls back to its own sniffing), which can
 * mis-decode or enable content-sniffing attacks. For application/json the
 * parameter is redundant (RFC 8259 §11 defines none, JSON is UTF-8) but
 * harmless and makes every text-like response uniform.
 *
 * @module
 */

const UTF8 = "; charset=utf-8";

// Extension (lowercase, no dot) -> media type. `true` marks text-based types
// that get the charset parameter.
const TABLE: Record<string, readonly [string, boolean]> = {
  // Documents and code
  html: ["text/html", true],
  htm: ["text/html", true],
  xhtml: ["application/xhtml+xml", true],
  css: ["text/css", true],
  // RFC 9239 makes text/javascript the only recommended JavaScript type.
  js: ["text/javascript", true],
  mjs: ["text/javascript", true],
  cjs: ["text/javascript", true],
  json: ["application/json", true],
  map: ["application/json", true], // source maps
  jsonld: ["application/ld+json", true],
  geojson: ["application/geo+json", true],
  webmanifest: ["application/manifest+json", true],
  xml: ["application/xml", true], // RFC 7303 prefers it to text/xml
  rss: ["application/rss+xml", true],
  atom: ["application/atom+xml", true],
  txt: ["text/plain", true],
  text: ["text/plain", true],
  csv: ["text/csv", true],
  tsv: ["text/tab-separated-values", true],
  md: ["text/markdown", true],
  markdown: ["text/markdown", true],
  ics: ["text/calendar", true],
  vtt: ["text/vtt", true],
  yaml: ["application/yaml", true],
  yml: ["application/yaml", true],
  wasm: ["application/wasm", false],
  pdf: ["application/pdf", false],
  // Images
  svg: ["image/svg+xml", true],
  png: ["image/png", false],
  apng: ["image/apng", false],
  jpg: ["image/jpeg", false],
  jpeg: ["image/jpeg", false],
  gif: ["image/gif", false],
  webp: ["image/webp", false],
  avif: ["image/avif", false],
  jxl: ["image/jxl", false],
  // image/vnd.microsoft.icon is the registered name; image/x-icon is what
  // browsers and most servers have always used for favicons.
  ico: ["image/x-icon", false],
  bmp: ["image/bmp", false],
  tif: ["image/tiff", false],
  tiff: ["image/tiff", false],
  // Fonts (RFC 8081)
  woff: ["font/woff", false],
  woff2: ["font/woff2", false],
  ttf: ["font/ttf", false],
  otf: ["font/otf", false],
  eot: ["application/vnd.ms-fontobject", false],
  // Audio and video
  mp4: ["video/mp4", false],
  m4v: ["video/mp4", false],
  webm: ["video/webm", false],
  ogv: ["video/ogg", false],
  mov: ["video/quicktime", false],
  ogg: ["audio/ogg", false],
  oga: ["audio/ogg", false],
  opus: ["audio/ogg", false],
  mp3: ["audio/mpeg", false],
  wav: ["audio/wav", false],
  flac: ["audio/flac", false],
  m4a: ["audio/mp4", false],
  aac: ["audio/aac", false],
  // Archives
  zip: ["application/zip", false],
  gz: ["application/gzip", false],
  tgz: ["application/gzip", false],
  tar: ["application/x-tar", false],
  bz2: ["application/x-bzip2", false],
  xz: ["application/x-xz", false],
  zst: ["application/zstd", false],
  "7z": ["application/x-7z-compressed", false],
  rar: ["application/vnd.rar", false],
};

const CONTENT_TYPES = new Map<string, string>(
  Object.entries(TABLE).map(([ext, [type, text]]) => [ext, text ? type + UTF8 : type]),
);

/** For unknown types: RFC 9110 §8.3 lets the recipient treat it as opaque data. */
const DEFAULT_TYPE = "application/octet-stream";

/**
 * Returns the Content-Type field value for `path`, chosen by its extension
 * (case-insensitive). Dotfiles such as `.htaccess` have no extension.
 * `path` is a file path, not a URL: strip any query first.
 */
export function contentType(path: string): string {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  if (dot <= slash + 1) return DEFAULT_TYPE;
  return CONTENT_TYPES.get(path.slice(dot + 1).toLowerCase()) ?? DEFAULT_TYPE;
}

// Non-text types that compress well. Formats with built-in compression
// (PNG, JPEG, WebP, AVIF, WOFF/WOFF2, MP4, ZIP, gzip, PDF streams…) gain
// nothing and only cost CPU.
const COMPRESSIBLE = new Set([
  "application/javascript",
  "application/json",
  "application/xml",
  "application/yaml",
  "application/wasm",
  "application/x-tar",
  "application/vnd.ms-fontobject",
  "font/ttf",
  "font/otf",
  "image/bmp",
  "image/x-icon",
  "image/vnd.microsoft.icon",
]);

/**
 * Whether a response of `contentType` (a full field value; parameters are
 * ignored) is worth compressing: all text/* types, the +json and +xml
 * structured syntax suffixes (RFC 6839), and a few uncompressed binary
 * formats.
 */
export function isCompressible(contentType: string): boolean {
  const semi = contentType.indexOf(";");
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type.startsWith("text/") || type.endsWith("+json") || type.endsWith("+xml") ||
    COMPRESSIBLE.has(type);
}
