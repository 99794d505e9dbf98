// The transparent fallback to a backend, as TUX handed what it would not serve to the web
// server beside it: the request goes on as received (minus hop-by-hop fields, plus the
// forwarding fields), and the backend's answer comes back as it sent it. What reaches this
// handler is decided by the chain in server.ts: --backend-prefix paths first, then whatever
// the static files declined (missing paths, methods other than GET/HEAD/OPTIONS).

import * as abi from "../abi.ts";
import { latin1Bytes } from "../bytes.ts";
import type { Config } from "../config.ts";
import type { Handler } from "../handler.ts";
import type { Request } from "../request.ts";
import type { Responder } from "../respond.ts";
import type { Wasm } from "../wasm.ts";
import { exchange, type ExchangeContext } from "./exchange.ts";
import { forwardHead, type RequestFraming } from "./forward.ts";
import { BackendPool } from "./pool.ts";

export interface BackendOptions {
  config: Config;
  wasm: Wasm;
  /** The listening address (for Forwarded, Via, X-Forwarded-Host defaults). */
  serverAddr: Deno.NetAddr;
}

/** Methods tuxd answers for any resource, so the 405 below can list them (RFC 9110 §10.2.1). */
const ALLOW = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE";

export class BackendHandler implements Handler {
  readonly #pool: BackendPool;
  /** The backend URL's path, without a trailing slash: put before every target. */
  readonly #pathPrefix: string;
  readonly #origin: string;
  readonly #ctx: ExchangeContext;
  readonly #tunnels = new Set<() => void>();

  constructor(readonly opts: BackendOptions) {
    const url = backendUrl(opts.config);
    this.#origin = url.origin;
    this.#pathPrefix = url.pathname.replace(/\/$/, "");
    this.#pool = new BackendPool({
      hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(url.port || 80),
    });
    this.#ctx = {
      pool: this.#pool,
      timeoutMs: opts.config.backendTimeout * 1000,
      log: (req, message) =>
        console.error(`tuxd: backend ${this.#origin}: ${message} (${req.method} ${req.target})`),
      track: (close) => {
        this.#tunnels.add(close);
        return () => this.#tunnels.delete(close);
      },
    };
  }

  /** Whether the request's path is under one of the --backend-prefix prefixes. */
  underPrefix(req: Request): boolean {
    // Requests that are never forwarded stay with the static handler, which answers them.
    if (refusal(req) !== null) return false;
    return this.opts.config.backendPrefixes.some((p) => underPrefix(req.rawPath, p));
  }

  /** Forwards the request; answers every request it is given. */
  async handle(req: Request, res: Responder): Promise<boolean> {
    const refused = refusal(req);
    if (refused !== null) {
      res.error(refused, refused === 405 ? { allow: ALLOW } : {});
      return true;
    }
    const upgrade = req.minor > 0 && (req.flags & abi.F_CONN_UPGRADE) !== 0
      ? req.getAll(abi.H_UPGRADE)
      : null;
    const framing: RequestFraming = req.flags & abi.F_CHUNKED
      ? { kind: "chunked" }
      : req.flags & abi.F_CONTENT_LENGTH
      ? { kind: "length", length: req.contentLength }
      : { kind: "none" };
    const head = forwardHead({
      method: req.method,
      target: this.#pathPrefix + originForm(req),
      minor: req.minor,
      fields: req.fields,
      authority: req.authority,
      framing,
      upgrade,
      client: req.remoteAddr,
      server: this.opts.serverAddr,
      trustForwarded: this.opts.config.trustForwarded,
    });
    await exchange(this.#ctx, req, res, {
      head: latin1Bytes(head),
      chunked: framing.kind === "chunked",
      upgrade: upgrade !== null,
    });
    return true;
  }

  /** Closes pooled backend connections and open tunnels. */
  close(): void {
    this.#pool.close();
    for (const close of this.#tunnels) close();
    this.#tunnels.clear();
  }
}

/** The parsed --backend URL (config.ts has checked it is http://host[:port][/path]). */
function backendUrl(config: Config): URL {
  if (!config.backend) throw new Error("BackendHandler without --backend");
  return new URL(config.backend);
}

/**
 * The status for a request tuxd never forwards, or null. CONNECT and TRACE are not passed on
 * (RFC 9110 §9.3.6: tuxd is no tunnel for arbitrary hosts; §9.3.8: TRACE would echo the
 * client's credentials); an expectation other than 100-continue fails here (§10.1.1); the
 * asterisk and authority forms have no path to forward.
 */
function refusal(req: Request): number | null {
  if (req.methodId === abi.METHOD_CONNECT || req.methodId === abi.METHOD_TRACE) return 405;
  if (req.flags & abi.F_EXPECT_OTHER) return 417;
  if (req.flags & (abi.F_ASTERISK_FORM | abi.F_AUTHORITY_FORM)) return 400;
  return null;
}

/**
 * The target in origin-form (RFC 9112 §3.2.1): as received, except that an absolute-form
 * target loses its scheme and authority (the authority goes on as Host, §3.2.2).
 */
function originForm(req: Request): string {
  if (!(req.flags & abi.F_ABSOLUTE_FORM)) return req.target;
  return (req.rawPath || "/") + (req.query === null ? "" : `?${req.query}`);
}

/** `/api/` covers `/api/x`; `/api` covers `/api` and `/api/x` but not `/apix`. */
export function underPrefix(path: string, prefix: string): boolean {
  if (prefix.endsWith("/")) return path.startsWith(prefix);
  return path === prefix || path.startsWith(prefix + "/");
}
