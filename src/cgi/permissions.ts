// Deno permissions for CGI, both sides of the sandbox:
// - the server process: read each CGI directory, run exactly the programs found in them at
//   launch (Deno grants running by program, not by directory) plus `deno` for .ts/.js
//   scripts and `kill` to end a program's whole process group, and learn its own uid (only
//   root may hand a program another user);
// - each .ts/.js script: read its own directory, the variables in its environment, and
//   what --cgi-allow grants its prefix; nothing else.

import type { Config } from "../config.ts";
import { UsageError } from "../config.ts";
import { buildMappings } from "./map.ts";
import { scanAll, type ScanOutcome, type ScanResult } from "./scan.ts";

export function cgiPermissionFlags(config: Config): string[] {
  if (config.cgi.length === 0) return [];
  const dirs = config.cgi.map(([, dir]) => dir);
  const scans = new Map<string, ScanResult>();
  for (const s of scan(dirs)) {
    if ("error" in s) throw new UsageError(`--cgi: cannot use '${s.dir}': ${s.error}`);
    scans.set(s.dir, s);
  }
  // Checks --cgi-env and --cgi-allow against the mappings before anything starts.
  buildMappings(config, (dir) => {
    const s = scans.get(dir)!;
    return { path: s.real, isDirectory: !s.single };
  });
  const read = new Set<string>();
  const run = new Set<string>();
  let deno = false;
  for (const s of scans.values()) {
    // The path as configured is what the server opens first; its real path is what it
    // checks containment against. Deno checks the path as given, so both are granted.
    read.add(s.dir).add(s.real);
    for (const p of s.native) run.add(p);
    deno ||= s.deno;
  }
  if (deno) run.add("deno");
  run.add("kill");
  for (const p of [...read, ...run]) {
    // A comma would split Deno's permission list.
    if (p.includes(",")) throw new UsageError(`--cgi: path '${p}' contains a comma`);
  }
  return [
    `--allow-read=${[...read].join(",")}`,
    `--allow-run=${[...run].join(",")}`,
    "--allow-sys=uid",
  ];
}

/**
 * Scans the directories in this process when it may read them all, else in a short-lived
 * `deno run` that may: the launcher itself only reads the project (`--allow-read=.`), and
 * grants the server what the configuration names, as it does for the document root.
 */
function scan(dirs: string[]): ScanOutcome[] {
  const readable = dirs.every((dir) =>
    Deno.permissions.querySync({ name: "read", path: dir }).state === "granted"
  );
  if (readable) return scanAll(dirs);
  const script = new URL("./scan.ts", import.meta.url).href;
  const out = new Deno.Command("deno", {
    args: ["run", "--no-prompt", "--no-config", `--allow-read=${dirs.join(",")}`, script, ...dirs],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!out.success) {
    throw new UsageError(
      `--cgi: cannot scan ${dirs.join(", ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/**
 * `deno run` flags for one .ts/.js script: read its directory, the environment variables it
 * is given (by name, so it cannot read others the runtime may add), and the --cgi-allow
 * grants of its prefix, merged per permission (a bare name grants it whole). Remote and npm
 * modules only with an `import` grant; no prompt, no config file or lock file from the
 * directories above the script.
 */
export function scriptFlags(
  dir: string,
  envNames: readonly string[],
  allow: readonly string[],
): string[] {
  const grants = new Map<string, Set<string> | "all">([
    ["read", new Set([dir])],
    ["env", new Set(envNames)],
  ]);
  for (const perm of allow) {
    const eq = perm.indexOf("=");
    const name = eq < 0 ? perm : perm.slice(0, eq);
    if (eq < 0) {
      grants.set(name, "all");
      continue;
    }
    const have = grants.get(name);
    if (have === "all") continue;
    const set = have ?? new Set<string>();
    for (const v of perm.slice(eq + 1).split(",")) if (v) set.add(v);
    grants.set(name, set);
  }
  const flags = ["--no-prompt", "--no-config", "--no-lock"];
  if (!grants.has("import")) flags.push("--no-remote", "--no-npm");
  for (const [name, values] of grants) {
    if (values === "all") flags.push(`--allow-${name}`);
    else if (values.size) flags.push(`--allow-${name}=${[...values].join(",")}`);
  }
  return flags;
}
