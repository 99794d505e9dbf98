// What a CGI directory holds at launch: the programs the server may run, by real path, so
// that --allow-run can name each one (Deno grants running programs by name, not by
// directory). Programs added later need a restart. Run as a module by the launcher when it
// may not read the directory itself (see permissions.ts); prints JSON then.

import { inside } from "../static/resolve.ts";
import { programKind } from "./map.ts";

export interface ScanResult {
  /** The path as configured. */
  dir: string;
  /** Its real path. */
  real: string;
  /** The mapping names one program, not a directory. */
  single: boolean;
  /** Real paths of native executables. */
  native: string[];
  /** Whether any .ts/.js script is there (they run with `deno`). */
  deno: boolean;
}

/** Scans a CGI directory (or single program); throws with a message on failure. */
export function scanCgiDir(dir: string): ScanResult {
  const real = Deno.realPathSync(dir);
  const stat = Deno.statSync(real);
  const result: ScanResult = { dir, real, single: !stat.isDirectory, native: [], deno: false };
  const add = (path: string, mode: number | null) => {
    const kind = programKind(path.slice(path.lastIndexOf("/") + 1), mode);
    if (kind === "deno") result.deno = true;
    else if (kind === "native") result.native.push(path);
  };
  if (result.single) {
    if (!stat.isFile) throw new Error("not a directory or a regular file");
    add(real, stat.mode);
    if (!result.deno && result.native.length === 0) throw new Error("not executable");
    return result;
  }
  for (const entry of Deno.readDirSync(real)) {
    if (entry.name.startsWith(".")) continue;
    let path: string;
    let st: Deno.FileInfo;
    try {
      path = Deno.realPathSync(`${real}/${entry.name}`);
      st = Deno.statSync(path);
    } catch {
      continue; // a dangling link runs nothing
    }
    if (!st.isFile || !inside(real, path)) continue;
    add(path, st.mode);
  }
  result.native = [...new Set(result.native)].sort();
  return result;
}

export type ScanOutcome = ScanResult | { dir: string; error: string };

/** Scans each directory; a failure is reported with its message rather than thrown. */
export function scanAll(dirs: readonly string[]): ScanOutcome[] {
  return dirs.map((dir) => {
    try {
      return scanCgiDir(dir);
    } catch (err) {
      const why = err instanceof Deno.errors.NotFound ? "no such file or directory" : err;
      return { dir, error: String(why instanceof Error ? why.message : why) };
    }
  });
}

if (import.meta.main) console.log(JSON.stringify(scanAll(Deno.args)));
