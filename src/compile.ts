// `deno task compile [ROOT] [flags]`: a single tuxd binary (dist/tuxd) that carries the .wasm
// and serves ROOT with exactly those flags and the narrow permissions they call for, fixed at
// compile time (Deno bakes both into the binary).

import { EXAMPLE_CGI, parseArgs, UsageError } from "./config.ts";
import { permissionFlags, RUNTIME_FLAGS } from "./permissions.ts";

function usage(err: unknown): never {
  if (!(err instanceof UsageError)) throw err;
  console.error(`tuxd: ${err.message}`);
  Deno.exit(2);
}

let config;
try {
  config = parseArgs(Deno.args);
} catch (err) {
  usage(err);
}
const root = await Deno.realPath(config.root).catch(() => {
  console.error(`tuxd: cannot serve root '${config.root}': no such directory`);
  Deno.exit(2);
});
let flags: string[];
try {
  flags = permissionFlags({ ...config, root });
} catch (err) {
  usage(err);
}
// The binary runs from anywhere, so the root it was compiled for is baked in as a real path,
// and so is the bundled example's CGI directory when no ROOT was given (other paths in flags
// are taken as given: pass them absolute).
const rootGiven = Deno.args.includes(config.root);
const cgiGiven = Deno.args.some((a) => a === "--cgi" || a.startsWith("--cgi="));
const example = rootGiven || cgiGiven
  ? []
  : ["--cgi", `/cgi-bin/=${await Deno.realPath(EXAMPLE_CGI)}`];
const args = [root, ...example, ...Deno.args.filter((a) => a !== config.root)];
const output = Deno.env.get("TUXD_OUTPUT") ?? "dist/tuxd";
const { code } = await new Deno.Command("deno", {
  args: [
    "compile",
    "--no-prompt",
    ...RUNTIME_FLAGS,
    ...flags,
    "--include",
    "build/tuxd.wasm",
    "--include",
    "src/worker.ts",
    "--output",
    output,
    "src/main.ts",
    ...args,
  ],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (code === 0) console.log(`tuxd: wrote ${output} (serves ${root} with: ${args.join(" ")})`);
Deno.exit(code);
