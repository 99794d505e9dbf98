// `deno task compile [ROOT] [flags]`: a single tuxd binary (dist/tuxd) that carries the .wasm
// and serves ROOT with exactly those flags and the narrow permissions they call for, fixed at
// compile time (Deno bakes both into the binary).

import { type Config, EXAMPLE_CGI, parseArgs, UsageError } from "./config.ts";
import { permissionFlags, RUNTIME_FLAGS } from "./permissions.ts";

export interface CompilePlan {
  /** Arguments to `deno`. */
  deno: string[];
  /** The tuxd arguments baked into the binary. */
  served: string[];
}

/**
 * The `deno compile` command for `given` (the task's arguments, parsed as `config`), with the
 * root and the example CGI directory already resolved to real paths: the binary runs from
 * anywhere, so they are baked in absolute (other paths in flags are taken as given).
 */
export function compilePlan(
  config: Config,
  given: readonly string[],
  realRoot: string,
  realExampleCgi: string,
  output: string,
): CompilePlan {
  const rootGiven = given.includes(config.root);
  const cgiGiven = given.some((a) => a === "--cgi" || a.startsWith("--cgi="));
  // With neither a root nor --cgi, tuxd serves the bundled example and its CGI programs.
  const example = rootGiven || cgiGiven ? [] : ["--cgi", `/cgi-bin/=${realExampleCgi}`];
  const served = [realRoot, ...example, ...given.filter((a) => a !== config.root)];
  const flags = permissionFlags(parseArgs(served));
  const deno = [
    "compile",
    "--no-prompt",
    ...RUNTIME_FLAGS,
    ...flags,
    // Loaded at run time from the binary's embedded files, not the disk.
    "--include",
    "build/tuxd.wasm",
    "--include",
    "src/worker.ts",
    "--output",
    output,
    "src/main.ts",
    ...served,
  ];
  return { deno, served };
}

async function main(args: string[]): Promise<number> {
  let root, plan;
  const output = Deno.env.get("TUXD_OUTPUT") ?? "dist/tuxd";
  try {
    const config = parseArgs(args);
    root = await Deno.realPath(config.root).catch(() => {
      throw new UsageError(`cannot serve root '${config.root}': no such directory`);
    });
    plan = compilePlan(config, args, root, await Deno.realPath(EXAMPLE_CGI), output);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`tuxd: ${err.message}`);
    return 2;
  }
  const { code } = await new Deno.Command("deno", {
    args: plan.deno,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    // The usual cause offline: deno compile fetches its runtime (denort) on first use.
    console.error(
      `tuxd: deno compile failed (exit ${code}); it needs the denort runtime from dl.deno.land, ` +
        "or a local copy named by DENORT_BIN",
    );
    return code;
  }
  console.log(`tuxd: wrote ${output} (serves ${root} with: ${plan.served.join(" ")})`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
