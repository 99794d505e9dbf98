// The transparent fallback to a backend server: placeholder until it lands; declines.

import type { Config } from "../config.ts";
import type { Handler } from "../handler.ts";
import type { Request } from "../request.ts";
import type { Responder } from "../respond.ts";
import type { Wasm } from "../wasm.ts";

export interface BackendOptions {
  config: Config;
  wasm: Wasm;
  /** The listening address (for Forwarded, Via, X-Forwarded-Host defaults). */
  serverAddr: Deno.NetAddr;
}

export class BackendHandler implements Handler {
  constructor(readonly opts: BackendOptions) {}

  /** Whether the request's path is under one of the --backend-prefix prefixes. */
  underPrefix(_req: Request): boolean {
    return false;
  }

  /** Forwards the request; answers every request it is given. */
  handle(_req: Request, _res: Responder): Promise<boolean> {
    return Promise.resolve(false);
  }

  /** Closes pooled backend connections and open tunnels. */
  close(): void {}
}
