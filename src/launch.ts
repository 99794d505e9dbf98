// `deno task start`: starts the server (src/main.ts) in a child Deno process holding only the
// permissions its flags call for: read the root and the .wasm, listen on its address. The
// task itself needs just enough to do that (read the project, run deno).

import { parseArgs, UsageError } from "./config.ts";
import { permissionFlags, RUNTIME_FLAGS } from "./permissions.ts";

let flags: string[];
try {
  flags = permissionFlags(parseArgs(Deno.args));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(`tuxd: ${err.message}`);
  Deno.exit(2);
}

const main = new URL("./main.ts", import.meta.url);
const child = new Deno.Command("deno", {
  args: ["run", "--no-prompt", ...RUNTIME_FLAGS, ...flags, main.href, ...Deno.args],
  stdin: "null",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();

// Every signal that would end the launcher is passed on, so the server never outlives it.
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 } as const;
for (const signal of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) {
  Deno.addSignalListener(signal, () => {
    try {
      child.kill(signal);
    } catch {
      // the child has exited already
    }
  });
}
const status = await child.status;
const number = status.signal ? SIGNALS[status.signal as keyof typeof SIGNALS] ?? 15 : 0;
Deno.exit(status.signal ? 128 + number : status.code);
