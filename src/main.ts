// The server process: parse flags, check the root, listen, and print the one line that says
// so. Started by src/launch.ts with only the permissions this configuration needs.

import { type Config, helpText, parseArgs, UsageError } from "./config.ts";
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
  for (const [status, page] of config.errorPages) {
    try {
      await Deno.stat(root + page);
    } catch {
      console.error(`tuxd: warning: --error-page ${status}=${page}: no such file under the root`);
    }
  }
  let server;
  try {
    server = await startServer(config, root);
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      console.error(`tuxd: cannot listen on ${config.host}:${config.port}: address in use`);
      return 2;
    }
    // Any other failure to listen (an unknown host name, an address not on this machine, no
    // permission) is the configuration's, not a crash.
    const why = (err as Error).message.split("\n")[0];
    console.error(`tuxd: cannot listen on ${config.host}:${config.port}: ${why}`);
    return 2;
  }
  const { hostname, port } = server.addr;
  const count = config.workers === 0 ? navigator.hardwareConcurrency : config.workers;
  const workers = await startWorkers({ ...config, port }, root, count - 1);
  const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
  console.log(`tuxd listening on http://${shown}:${port}/ (root ${config.root})`);
  const stop = async () => {
    await Promise.all([server.close(), ...workers.map(stopWorker)]);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}

/** Starts `n` more server isolates on the same port; resolves when all listen. */
async function startWorkers(config: Config, root: string, n: number): Promise<Worker[]> {
  const workers: Worker[] = [];
  for (let i = 0; i < n; i++) {
    const w = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    const ready = new Promise<void>((resolve, reject) => {
      w.onmessage = () => resolve();
      w.onerror = (e) => reject(new Error(`worker ${i + 1}: ${e.message}`));
    });
    w.postMessage({ start: config, root });
    await ready;
    workers.push(w);
  }
  return workers;
}

function stopWorker(w: Worker): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      w.terminate();
      resolve();
    }, 5000);
    w.onmessage = () => {
      clearTimeout(timer);
      resolve();
    };
    w.postMessage({ stop: true });
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
