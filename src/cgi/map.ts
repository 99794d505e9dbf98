// From a normalised request path to a CGI program (RFC 3875 §3.2): the longest configured
// prefix decides, the next path segment names a program in the mapped directory, and the
// rest is PATH_INFO. A mapping may also name one program, which then answers every path
// under its prefix (git-http-backend's usual setup). The path used to decide is the one
// normalizePath produced for static files too, and the file is found by its real path,
// checked to lie inside the directory, so no spelling reaches anything else.

import type { Config } from "../config.ts";
import { UsageError } from "../config.ts";
import { inside } from "../static/resolve.ts";

export interface CgiMapping {
  /** URL prefix as configured (for messages and matching --cgi-env/--cgi-allow). */
  label: string;
  /** The prefix without a trailing slash; "" for "/". */
  prefix: string;
  /** Real path of the directory, or of the program for a single-program mapping. */
  dir: string;
  /** The mapping names one program rather than a directory. */
  single: boolean;
  /** Fixed environment variables for its programs (--cgi-env). */
  env: [name: string, value: string][];
  /** Extra Deno permissions for its .ts/.js scripts (--cgi-allow), "name" or "name=value". */
  allow: string[];
}

/** A request path under a mapping, before the file system has been asked. */
export interface CgiTarget {
  mapping: CgiMapping;
  /** The program's file name (last segment of its path). */
  name: string;
  /** Path of the candidate file: the mapped directory plus the name. */
  candidate: string;
  /** SCRIPT_NAME: the URL path identifying the program, decoded (§4.1.13). */
  scriptName: string;
  /** PATH_INFO: the rest, decoded, "" when none (§4.1.5). */
  pathInfo: string;
}

export type MatchResult =
  | { kind: "none" }
  /** Under a directory mapping's prefix but naming no program: never listed. */
  | { kind: "directory" }
  | { kind: "target"; target: CgiTarget };

/** Deno permissions a script may be granted (`--allow-NAME`). */
export const PERMISSION_NAMES = ["read", "write", "net", "env", "sys", "run", "ffi", "import"];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** "/cgi-bin/" and "/cgi-bin" are the same prefix; dot segments have no place in one. */
export function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/\/+$/, "");
  if (p.split("/").some((s, i) => i > 0 && (s === "" || s === "." || s === ".."))) {
    throw new UsageError(`--cgi: prefix '${prefix}' must be a plain path`);
  }
  return p;
}

/** Splits NAME=VALUE of --cgi-env (the value may be empty). */
export function parseAssignment(prefix: string, raw: string): [string, string] {
  const eq = raw.indexOf("=");
  const name = eq < 0 ? raw : raw.slice(0, eq);
  if (eq < 0 || !ENV_NAME.test(name)) {
    throw new UsageError(`--cgi-env ${prefix}=${raw}: expected PREFIX=NAME=VALUE`);
  }
  return [name, raw.slice(eq + 1)];
}

/** Checks one --cgi-allow permission: a Deno permission name, optionally "=values". */
export function checkPermission(prefix: string, perm: string): string {
  const eq = perm.indexOf("=");
  const name = eq < 0 ? perm : perm.slice(0, eq);
  if (!PERMISSION_NAMES.includes(name) || (eq >= 0 && eq === perm.length - 1)) {
    throw new UsageError(
      `--cgi-allow ${prefix}=${perm}: expected one of ${PERMISSION_NAMES.join(", ")}` +
        ", optionally =VALUES",
    );
  }
  return perm;
}

/**
 * The mappings of a configuration, longest prefix first, with --cgi-env and --cgi-allow
 * attached. `real(dir)` gives the real path and whether it is a directory; UsageError for a
 * flag that names no mapping.
 */
export function buildMappings(
  config: Config,
  real: (dir: string) => { path: string; isDirectory: boolean },
): CgiMapping[] {
  const mappings: CgiMapping[] = [];
  for (const [label, dir] of config.cgi) {
    const prefix = normalizePrefix(label);
    if (mappings.some((m) => m.prefix === prefix)) {
      throw new UsageError(`--cgi: prefix '${label}' is mapped twice`);
    }
    const r = real(dir);
    mappings.push({ label, prefix, dir: r.path, single: !r.isDirectory, env: [], allow: [] });
  }
  const find = (flag: string, label: string): CgiMapping => {
    const p = normalizePrefix(label);
    const m = mappings.find((m) => m.prefix === p);
    if (!m) throw new UsageError(`${flag} ${label}: no --cgi mapping has this prefix`);
    return m;
  };
  for (const [label, raw] of config.cgiEnv) {
    find("--cgi-env", label).env.push(parseAssignment(label, raw));
  }
  for (const [label, perm] of config.cgiAllow) {
    find("--cgi-allow", label).allow.push(checkPermission(label, perm));
  }
  return mappings.sort((a, b) => b.prefix.length - a.prefix.length);
}

/**
 * Matches a normalised path (from normalizePath: decoded, no dot or empty segments, no
 * trailing slash; `slash` tells whether the request ended in "/") against the mappings.
 */
export function matchPath(
  mappings: readonly CgiMapping[],
  path: string,
  slash: boolean,
): MatchResult {
  for (const m of mappings) {
    if (path !== m.prefix && !path.startsWith(m.prefix + "/")) {
      if (!(m.prefix === "" && path === "/")) continue;
    }
    const rest = path === "/" ? "" : path.slice(m.prefix.length); // "" or "/a/b"
    const trail = slash && rest !== "" ? "/" : "";
    if (m.single) {
      return {
        kind: "target",
        target: {
          mapping: m,
          name: m.dir.slice(m.dir.lastIndexOf("/") + 1),
          candidate: m.dir,
          scriptName: m.prefix,
          pathInfo: rest === "" && slash ? "/" : rest + trail,
        },
      };
    }
    if (rest === "") return { kind: "directory" };
    const cut = rest.indexOf("/", 1);
    const name = cut < 0 ? rest.slice(1) : rest.slice(1, cut);
    const after = cut < 0 ? "" : rest.slice(cut);
    return {
      kind: "target",
      target: {
        mapping: m,
        name,
        candidate: `${m.dir}/${name}`,
        scriptName: `${m.prefix}/${name}`,
        pathInfo: after === "" && slash ? "/" : after + (after === "" ? "" : trail),
      },
    };
  }
  return { kind: "none" };
}

/** How a program is run: by Deno in its sandbox, or as a native executable. */
export type ProgramKind = "deno" | "native";

export interface Program {
  kind: ProgramKind;
  /** Real path of the file: what is spawned, and what --allow-run names. */
  path: string;
  /** The directory it runs in (its own). */
  dir: string;
  /** Non-parsed-header program (§5): its output goes to the client as it is. */
  nph: boolean;
}

/** .ts/.js files are Deno scripts whatever their mode; anything else must be executable. */
export function programKind(name: string, mode: number | null): ProgramKind | null {
  if (/\.(ts|js)$/.test(name)) return "deno";
  return mode !== null && (mode & 0o111) !== 0 ? "native" : null;
}

/**
 * The program a target names, or null: the candidate's real path must be a regular file
 * inside the mapped directory (a symlink out of it names nothing) and not hidden.
 */
export async function resolveProgram(t: CgiTarget): Promise<Program | null> {
  if (t.name.startsWith(".")) return null;
  let path: string;
  let stat: Deno.FileInfo;
  try {
    path = await Deno.realPath(t.candidate);
    stat = await Deno.stat(path);
  } catch {
    return null;
  }
  const m = t.mapping;
  if (m.single ? path !== m.dir : !inside(m.dir, path) || path === m.dir) return null;
  if (!stat.isFile) return null;
  const base = path.slice(path.lastIndexOf("/") + 1);
  const kind = programKind(base, stat.mode);
  if (kind === null) return null;
  return {
    kind,
    path,
    dir: path.slice(0, path.lastIndexOf("/")) || "/",
    nph: /^nph-/.test(t.name),
  };
}
