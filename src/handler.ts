// The request chain, as lighttpd has it: each handler answers a request or declines it
// ("not mine, next"), so CGI, static files and the backend are one ordered list.

import type { Request } from "./request.ts";
import type { Responder } from "./respond.ts";

export interface Handler {
  /** Answers the request and returns true, or returns false without sending anything. */
  handle(req: Request, res: Responder): Promise<boolean>;
}

/** Runs handlers in order; a request every handler declines gets 404. */
export async function runChain(
  handlers: readonly Handler[],
  req: Request,
  res: Responder,
): Promise<void> {
  for (const h of handlers) {
    if (await h.handle(req, res)) return;
  }
  res.error(404);
}
