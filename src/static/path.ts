// From a request path to a path under the document root (RFC 3986 §2.1, §5.2.4), before any
// file system access. Percent-decoding happens exactly once, here; a second pass anywhere else
// would turn "%252e" into a dot segment.

export type PathResult =
  | { ok: true; path: string; slash: boolean }
  | { ok: false; status: 400 | 404; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/**
 * Decodes and normalises a raw (latin1) request path. `path` starts with "/", has no empty,
 * "." or ".." segments and no trailing slash; `slash` tells whether the request ended in "/"
 * (a directory spelling). Refused: malformed escapes, NUL, a backslash or an encoded slash
 * (400: they have no meaning in a URL path but a special one on some file systems), invalid
 * UTF-8 (400), and hidden files or directories other than /.well-known/ (404, RFC 8615).
 */
export function normalizePath(raw: string): PathResult {
  if (raw.length === 0 || raw.charCodeAt(0) !== 47) {
    return { ok: false, status: 400, reason: "path must start with /" };
  }
  const bytes = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    let c = raw.charCodeAt(i);
    if (c === 37 /* % */) {
      const h = i + 2 < raw.length ? hex(raw.charCodeAt(i + 1)) : -1;
      const l = h >= 0 ? hex(raw.charCodeAt(i + 2)) : -1;
      if (l < 0) return { ok: false, status: 400, reason: "malformed percent-encoding" };
      c = (h << 4) | l;
      i += 2;
      if (c === 47) return { ok: false, status: 400, reason: "encoded slash in path" };
    }
    if (c === 0) return { ok: false, status: 400, reason: "NUL in path" };
    if (c === 92) return { ok: false, status: 400, reason: "backslash in path" };
    bytes[n++] = c;
  }
  let decoded: string;
  try {
    decoded = utf8.decode(bytes.subarray(0, n));
  } catch {
    return { ok: false, status: 400, reason: "path is not UTF-8" };
  }
  const segments: string[] = [];
  const parts = decoded.split("/");
  for (let i = 1; i < parts.length; i++) {
    const s = parts[i];
    if (s === "" || s === ".") continue;
    if (s === "..") {
      segments.pop(); // above the root stays at the root (RFC 3986 §5.2.4)
      continue;
    }
    segments.push(s);
  }
  const last = parts[parts.length - 1];
  const slash = last === "" || last === "." || last === "..";
  for (let i = 0; i < segments.length; i++) {
    if (segments[i].charCodeAt(0) === 46 && !(i === 0 && segments[i] === ".well-known")) {
      return { ok: false, status: 404, reason: "hidden file" };
    }
  }
  return { ok: true, path: "/" + segments.join("/"), slash };
}

/** Whether a path relative to the root (no leading slash) names a hidden file or directory. */
export function isHidden(relative: string): boolean {
  const segments = relative.split("/");
  return segments.some((s, i) => s.startsWith(".") && !(i === 0 && s === ".well-known"));
}

/**
 * A normalised path percent-encoded for a Location field: every byte outside unreserved and
 * a few safe sub-delims is escaped, and the result never starts with "//" (an open redirect).
 */
export function encodePath(path: string): string {
  const segments = path.split("/").map((s) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16))
  );
  const out = segments.join("/");
  return "/" + out.replace(/^\/+/, "");
}
