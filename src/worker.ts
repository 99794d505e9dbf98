// One more server isolate for --workers: the same configuration on the same port, which the
// kernel shares between listeners by SO_REUSEPORT. Each isolate has its own WASM memory and
// object cache; nothing is shared, so nothing needs a lock.

/// <reference lib="deno.worker" />

import type { Config } from "./config.ts";
import { type Server, startServer } from "./server.ts";

let server: Server | null = null;

self.onmessage = async (e: MessageEvent<{ start?: Config; root?: string; stop?: true }>) => {
  if (e.data.start) {
    server = await startServer(e.data.start, e.data.root!);
    self.postMessage({ ready: true });
  } else if (e.data.stop) {
    await server?.close();
    self.postMessage({ stopped: true });
    self.close();
  }
};
