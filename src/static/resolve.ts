// A normalised request path → a file or directory under the root, with every symlink
// resolved and the result checked to still be inside the root (else it is "missing").

import { isHidden } from "./path.ts";

export interface FileFound {
  kind: "file";
  path: string;
  stat: Deno.FileInfo;
}

export type Found =
  | FileFound
  | { kind: "directory"; path: string; index: FileFound | null }
  | { kind: "missing" };

const MISSING: Found = { kind: "missing" };

/** Whether `real` is `root` or below it (both real paths). */
export function inside(root: string, real: string): boolean {
  return real === root || (real.startsWith(root) && real.charCodeAt(root.length) === 47);
}

/**
 * Resolves `path` (normalised, starting with "/") under the real root `root`. For a
 * directory, `index` is its index.html when there is one. Anything that cannot be read,
 * escapes the root through a symlink, or resolves to a hidden name is missing: the client
 * learns nothing about what lies outside the root.
 */
export async function resolveFile(
  root: string,
  path: string,
  hidden: readonly string[] = [],
): Promise<Found> {
  const real = await realInside(root, path === "/" ? root : root + path);
  if (real !== null && hidden.some((h) => inside(h, real))) return MISSING;
  if (real === null) return MISSING;
  const stat = await statOrNull(real);
  if (stat === null) return MISSING;
  if (stat.isFile) return { kind: "file", path: real, stat };
  if (!stat.isDirectory) return MISSING;
  const indexPath = await realInside(root, real + "/index.html");
  const indexStat = indexPath === null ? null : await statOrNull(indexPath);
  const index: FileFound | null = indexPath !== null && indexStat?.isFile
    ? { kind: "file", path: indexPath, stat: indexStat }
    : null;
  return { kind: "directory", path: real, index };
}

async function realInside(root: string, path: string): Promise<string | null> {
  let real: string;
  try {
    real = await Deno.realPath(path);
  } catch {
    return null;
  }
  if (!inside(root, real)) return null;
  if (real.length > root.length && isHidden(real.slice(root.length + 1))) return null;
  return real;
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch {
    return null;
  }
}
