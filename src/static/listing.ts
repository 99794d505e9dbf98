// Directory listings (`--listing`): HTML for people, JSON for programs that ask for it. Names
// come from the file system and are untrusted: escaped for HTML text and attributes, and
// percent-encoded per segment in links. Hidden, dangling and unreadable entries are skipped.

import { formatHttpDate } from "../http/httpdate.ts";
import { isHidden } from "./path.ts";
import { inside } from "./resolve.ts";

export interface ListingEntry {
  name: string;
  directory: boolean;
  size: number;
  mtimeMs: number;
}

/** Readable, visible entries of `dir`, sorted (directories first, then by name). */
export async function readListing(
  root: string,
  dir: string,
  hidden: readonly string[] = [],
): Promise<ListingEntry[]> {
  const entries: ListingEntry[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (isHidden(e.name)) continue;
    try {
      const real = await Deno.realPath(`${dir}/${e.name}`);
      // Symlinks out of the root, and CGI directories, are not shown either.
      if (!inside(root, real) || hidden.some((h) => inside(h, real))) continue;
      const s = await Deno.stat(real);
      if (!s.isFile && !s.isDirectory) continue;
      entries.push({
        name: e.name,
        directory: s.isDirectory,
        size: s.isFile ? s.size : 0,
        mtimeMs: s.mtime?.getTime() ?? 0,
      });
    } catch {
      // dangling symlink, permission denied, removed meanwhile: skip, never fail the listing
    }
  }
  entries.sort((a, b) =>
    a.directory !== b.directory
      ? (a.directory ? -1 : 1)
      : a.name < b.name
      ? -1
      : a.name > b.name
      ? 1
      : 0
  );
  return entries;
}

/** HTML-escapes text for element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One path segment percent-encoded for an href (RFC 3986 §3.3). */
function encodeSegment(name: string): string {
  return encodeURIComponent(name).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16));
}

function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024, u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** The listing page of `urlPath` (normalised, decoded, ending in "/"). */
export function listingHtml(urlPath: string, entries: readonly ListingEntry[]): string {
  const title = escapeHtml(`Index of ${urlPath}`);
  const rows = entries.map((e) => {
    const href = encodeSegment(e.name) + (e.directory ? "/" : "");
    const name = escapeHtml(e.name) + (e.directory ? "/" : "");
    const size = e.directory ? "-" : formatSize(e.size);
    return `<tr><td><a href="${escapeHtml(href)}">${name}</a></td>` +
      `<td class="n">${size}</td><td>${formatHttpDate(e.mtimeMs)}</td></tr>`;
  });
  const up = urlPath === "/" ? "" : `<tr><td><a href="../">../</a></td><td></td><td></td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2em auto;max-width:56em;padding:0 1em}
table{border-collapse:collapse;width:100%}td{padding:.2em .6em;border-bottom:1px solid #ddd}
td.n{text-align:right;white-space:nowrap}a{text-decoration:none}</style></head>
<body><h1>${title}</h1>
<table><thead><tr><td>Name</td><td class="n">Size</td><td>Modified</td></tr></thead><tbody>
${up}${rows.join("\n")}
</tbody></table></body></html>
`;
}

export function listingJson(urlPath: string, entries: readonly ListingEntry[]): string {
  return JSON.stringify({
    path: urlPath,
    entries: entries.map((e) => ({
      name: e.name,
      type: e.directory ? "directory" : "file",
      size: e.size,
      modified: new Date(e.mtimeMs).toISOString(),
    })),
  });
}

/** Whether an Accept field prefers JSON over HTML (a plain substring test would be fooled). */
export function wantsJson(accept: string | null): boolean {
  if (!accept) return false;
  let json = 0, html = 0;
  for (const part of accept.split(",")) {
    const [type, ...params] = part.trim().toLowerCase().split(";");
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qp ? Number(qp.slice(2)) : 1;
    if (!(q >= 0 && q <= 1)) continue;
    if (type === "application/json") json = Math.max(json, q);
    if (type === "text/html") html = Math.max(html, q);
  }
  return json > 0 && json > html;
}

/** Listings run no script and load nothing but their inline style. */
export const LISTING_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
