// Loading a file as a Resource: its identity representation, precompressed siblings
// (.br, .zst, .gz) that are not older than it, and, for a compressible file headed for the
// object cache without siblings, gzip and brotli versions made once, here, so that dynamic
// compression costs nothing per request.

import { promisify } from "node:util";
import { brotliCompress, constants as zlib, gzip } from "node:zlib";
import { makeEtag } from "../http/etag.ts";
import { contentType, isCompressible } from "../http/mime.ts";
import type { Resource, Variant } from "./cache.ts";
import { inside } from "./resolve.ts";

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Siblings in the server's order of preference. */
const SIBLINGS = [["br", ".br"], ["zstd", ".zst"], ["gzip", ".gz"]] as const;

/** Files smaller than this are not worth compressing (the head alone is larger). */
const COMPRESS_MIN = 256;

export async function loadResource(
  root: string,
  path: string,
  stat: Deno.FileInfo,
  inMemory: boolean,
): Promise<Resource> {
  const mtimeMs = stat.mtime?.getTime() ?? 0;
  const type = contentType(path);
  const bytes = inMemory ? await readExact(path, stat.size) : null;
  const identity: Variant = {
    coding: null,
    etag: makeEtag(stat.size, mtimeMs),
    bytes,
    path,
    size: bytes ? bytes.length : stat.size,
    mtimeMs,
  };
  const codings: Variant[] = [];
  for (const [coding, ext] of SIBLINGS) {
    const sibling = await siblingStat(root, path + ext);
    // A sibling older than the original is stale: the original changed after compression.
    if (!sibling || (sibling.mtime?.getTime() ?? 0) < mtimeMs) continue;
    const sbytes = inMemory ? await readExact(path + ext, sibling.size) : null;
    codings.push({
      coding,
      etag: makeEtag(sibling.size, sibling.mtime?.getTime() ?? 0, coding),
      bytes: sbytes,
      path: path + ext,
      size: sbytes ? sbytes.length : sibling.size,
      mtimeMs: sibling.mtime?.getTime() ?? 0,
    });
  }
  if (codings.length === 0 && bytes && bytes.length >= COMPRESS_MIN && isCompressible(type)) {
    codings.push(...await compressed(bytes, path, mtimeMs));
  }
  return {
    path,
    size: identity.size,
    mtimeMs,
    ino: stat.ino,
    contentType: type,
    identity,
    codings,
    extra: new Uint8Array(0),
  };
}

/** Brotli and gzip versions of `bytes`, each kept only if it saves at least a tenth. */
async function compressed(bytes: Uint8Array, path: string, mtimeMs: number): Promise<Variant[]> {
  const [br, gz] = await Promise.all([
    brotliAsync(bytes, {
      params: {
        [zlib.BROTLI_PARAM_QUALITY]: 9,
        [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
    gzipAsync(bytes, { level: 9 }),
  ]);
  const out: Variant[] = [];
  for (const [coding, data] of [["br", br], ["gzip", gz]] as const) {
    const u8 = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (u8.length > bytes.length * 0.9) continue;
    out.push({
      coding,
      etag: makeEtag(bytes.length, mtimeMs, coding),
      bytes: u8,
      path,
      size: u8.length,
      mtimeMs,
    });
  }
  return out;
}

/** A sibling file's stat, if it is a regular file that resolves inside the root. */
async function siblingStat(root: string, path: string): Promise<Deno.FileInfo | null> {
  try {
    const real = await Deno.realPath(path);
    if (!inside(root, real)) return null;
    const s = await Deno.stat(real);
    return s.isFile ? s : null;
  } catch {
    return null;
  }
}

/**
 * The file's bytes, at most `size` of them: the size its stat (and so its ETag) promised. A
 * file that grew meanwhile is caught by the next second's revalidation; one that grew to
 * gigabytes does not get read into memory.
 */
async function readExact(path: string, size: number): Promise<Uint8Array> {
  using file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(size);
  let n = 0;
  while (n < size) {
    const r = await file.read(buf.subarray(n));
    if (r === null) break;
    n += r;
  }
  return n === size ? buf : buf.subarray(0, n);
}
