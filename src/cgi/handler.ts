// CGI/1.1 (RFC 3875): placeholder until the CGI handler lands; declines every request.

import type { Config } from "../config.ts";
import type { Handler } from "../handler.ts";
import type { Request } from "../request.ts";
import type { Responder } from "../respond.ts";
import type { Wasm } from "../wasm.ts";

export interface CgiOptions {
  config: Config;
  /** Real path of the document root. */
  root: string;
  wasm: Wasm;
  /** The listening address (SERVER_PORT, SERVER_NAME fallback). */
  serverAddr: Deno.NetAddr;
  /** Serves `target` as a new GET through the whole chain (a local-path Location). */
  redirect(req: Request, res: Responder, target: string): Promise<void>;
}

export class CgiHandler implements Handler {
  constructor(readonly opts: CgiOptions) {}

  handle(_req: Request, _res: Responder): Promise<boolean> {
    return Promise.resolve(false);
  }
}
