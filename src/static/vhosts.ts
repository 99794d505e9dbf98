// Virtual hosts as TUX had them (`--vhosts`): the files of a request come from ROOT/<host>/,
// the host lower-cased, without port, trailing dot or a leading "www.", and validated as a DNS
// name before it touches the file system; unknown or invalid hosts use ROOT/default/.

import * as abi from "../abi.ts";
import { latin1 } from "../bytes.ts";
import type { Connection } from "../connection.ts";
import type { Handler } from "../handler.ts";
import type { Request } from "../request.ts";
import type { Responder } from "../respond.ts";
import type { Wasm } from "../wasm.ts";
import type { StaticFiles } from "./files.ts";

/** A DNS name (RFC 1123 §2.1): letters, digits and hyphens in dot-separated labels. */
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Most distinct Host values remembered; past it, lookups still work, just uncached. */
const MEMO_MAX = 1024;

/** The directory name a Host value selects, or null for the default site. */
export function vhostName(host: string): string | null {
  let h = host.toLowerCase();
  const m = /^([^:]*)(?::\d*)?$/.exec(h);
  if (!m) return null; // an IP-literal or junk: the default site
  h = m[1].replace(/\.$/, "");
  if (h.startsWith("www.")) h = h.slice(4);
  return HOSTNAME.test(h) && h !== "default" ? h : null;
}

export class VirtualHosts implements Handler {
  readonly #root: string;
  readonly #make: (root: string) => StaticFiles;
  readonly #w: Wasm;
  readonly #sites = new Map<string, StaticFiles>();
  readonly #memo = new Map<string, StaticFiles | null>();
  readonly #default: StaticFiles | null;

  /** `make` builds the static site of one host directory (a real path). */
  constructor(root: string, wasm: Wasm, make: (root: string) => StaticFiles) {
    this.#root = root;
    this.#w = wasm;
    this.#make = make;
    this.#default = this.#site("default");
  }

  /** The site for a Host value (as sent), or null when neither it nor default exists. */
  siteFor(host: string): StaticFiles | null {
    const hit = this.#memo.get(host);
    if (hit !== undefined) return hit;
    const name = vhostName(host);
    const site = (name && this.#site(name)) || this.#default;
    if (this.#memo.size < MEMO_MAX) this.#memo.set(host, site);
    return site;
  }

  #site(name: string): StaticFiles | null {
    let site = this.#sites.get(name);
    if (site) return site;
    let real: string;
    try {
      real = Deno.realPathSync(`${this.#root}/${name}`);
      if (!Deno.statSync(real).isDirectory) return null;
    } catch {
      return null;
    }
    // The host directory must really be a child of the root, not a symlink elsewhere.
    if (!real.startsWith(this.#root + "/")) return null;
    site = this.#make(real);
    this.#sites.set(name, site);
    return site;
  }

  /** The fast path, by the Host field of the request still in WASM memory. */
  fast(c: Connection): boolean {
    const i32 = this.#w.i32;
    const n = i32[(abi.KNOWN >> 2) + abi.H_HOST];
    if (n < 0) return false;
    const e = (abi.FIELDS + n * abi.FIELD_SIZE) >> 2;
    const host = latin1(
      this.#w.u8,
      i32[e + (abi.FIELD_VALUE_OFF >> 2)],
      i32[e + (abi.FIELD_VALUE_LEN >> 2)],
    );
    return this.siteFor(host)?.fast(c) ?? false;
  }

  handle(req: Request, res: Responder): Promise<boolean> {
    const site = this.siteFor(req.authority ?? req.get(abi.H_HOST) ?? "");
    if (site) return site.handle(req, res);
    return Promise.resolve(false);
  }
}
