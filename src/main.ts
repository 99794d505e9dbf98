// The server process: parse flags, check the root, listen, and print the one line that says
// so. Started by src/launch.ts with only the permissions this configuration needs.

import { helpText, parseArgs, UsageError } from "./config.ts";
import { startServer } from "./server.ts";

async function main(args: string[]): Promise<number> {
  let config;
  try {
    config = parseArgs(args);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`tuxd: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (config.help) {
    console.log(helpText());
    return 0;
  }
  let root: string;
  try {
    root = await Deno.realPath(config.root);
    if (!(await Deno.stat(root)).isDirectory) throw new Error("not a directory");
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such directory" : (err as Error).message;
    console.error(`tuxd: cannot serve root '${config.root}': ${why}`);
    return 2;
  }
  let server;
  try {
    server = await startServer(config, root);
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      console.error(`tuxd: cannot listen on ${config.host}:${config.port}: address in use`);
      return 2;
    }
    if (err instanceof Deno.errors.AddrNotAvailable || err instanceof Deno.errors.NotCapable) {
      console.error(`tuxd: cannot listen on ${config.host}:${config.port}: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const { hostname, port } = server.addr;
  const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
  console.log(`tuxd listening on http://${shown}:${port}/ (root ${config.root})`);
  const stop = () => server.close();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
