// The object cache, TUX's central idea: small files are kept in memory as ready-to-send
// responses, head included, keyed by the raw request path as it arrived, so a hit costs a
// parse, a hash lookup and one write. The Date field is refreshed once a second by rebuilding
// a hot object's response, never per request.

import { LEAD_BYTES } from "../respond.ts";
import { bytesEqual } from "../bytes.ts";

/** One representation of a file: the identity bytes or one content coding of them. */
export interface Variant {
  /** Content coding ("br", "gzip", "zstd"), or null for identity. */
  coding: string | null;
  etag: string;
  /** The bytes, when held in memory; null when they are streamed from `path`. */
  bytes: Uint8Array | null;
  path: string;
  size: number;
  mtimeMs: number;
}

/** What a file on disk is to the server: its identity representation and any codings. */
export interface Resource {
  /** Real path of the file (symlinks resolved). */
  path: string;
  size: number;
  mtimeMs: number;
  ino: number | null;
  contentType: string;
  identity: Variant;
  /** Codings in the server's order of preference; empty when not negotiable. */
  codings: Variant[];
  /** Preformatted extra field lines for every response of it (Cache-Control, CORS). */
  extra: Uint8Array;
}

/**
 * Bodies up to this size are copied behind the head of each prebuilt response, so a hit is one
 * write; a larger body is sent from the identity bytes after the head and its first LEAD_BYTES
 * (one more write, instead of two more copies of the body and a rebuild of them every second).
 */
export const INLINE_BODY_MAX = 256 * 1024;

/** A ready-to-send 200: the head and, when small, the identity body in one buffer. */
export interface Prebuilt {
  /** The head, followed by the body when it is inline, else by its first LEAD_BYTES. */
  bytes: Uint8Array;
  headLength: number;
  /** The rest of the body, when it is not inline. */
  body: Uint8Array | null;
  /** The clock tick it was built in; a new second rebuilds it with a fresh Date. */
  tick: number;
}

/** A cached resource plus its precomputed responses. */
export class CachedObject {
  /** Per Connection mode (CONN_*): the 200 as sent with that Connection field, built lazily. */
  readonly prebuilt: (Prebuilt | undefined)[] = [];
  /** The tick in which the file was last checked against the disk. */
  checkedTick: number;
  /** The tick in which a check was last started. */
  checkingTick = -1;
  /** LRU clock: the tick of the last hit. */
  usedTick: number;
  dead = false;
  readonly bytes: number;
  readonly keys: Uint8Array[] = [];

  /** `id` names the file and its extra fields: one object per such pair. */
  constructor(readonly resource: Resource, tick: number, readonly id: string = resource.path) {
    this.checkedTick = tick;
    this.usedTick = tick;
    let n = objectBytes(resource.identity.size);
    for (const v of resource.codings) if (v.bytes) n += v.bytes.length;
    this.bytes = n;
  }

  get negotiable(): boolean {
    return this.resource.codings.length > 0;
  }
}

/**
 * Memory an object of a file of `size` bytes may hold: the identity bytes and, when the body is
 * inline, a copy in the persistent 200 and in a close or keep-alive one.
 */
function objectBytes(size: number): number {
  return (size <= INLINE_BODY_MAX ? size * 3 : size + 3 * LEAD_BYTES) + 1024;
}

interface Key {
  key: Uint8Array;
  obj: CachedObject;
}

/** Most spellings of one path (e.g. "/a" and "/%61") kept as keys of one object. */
const MAX_KEYS_PER_OBJECT = 8;

/** The memory budget shared by an ObjectCache and its partitions (one per virtual host). */
interface Budget {
  total: number;
  caches: ObjectCache[];
}

export class ObjectCache {
  #byHash = new Map<number, Key[]>();
  #byId = new Map<string, CachedObject>();
  #budget: Budget;

  constructor(readonly fileMax: number, readonly totalMax: number, budget?: Budget) {
    this.#budget = budget ?? { total: 0, caches: [] };
    this.#budget.caches.push(this);
  }

  /** A cache with its own keys (another virtual host's) that shares this one's budget. */
  partition(): ObjectCache {
    return new ObjectCache(this.fileMax, this.totalMax, this.#budget);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Bytes held by this cache and its partitions together. */
  get totalBytes(): number {
    return this.#budget.total;
  }

  /** The object for the raw path u8[off, off + len) with FNV-1a `hash`, or null. */
  find(hash: number, u8: Uint8Array, off: number, len: number): CachedObject | null {
    const keys = this.#byHash.get(hash);
    if (!keys) return null;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k.key.length === len && bytesEqual(u8, off, k.key)) {
        if (k.obj.dead) {
          this.#dropKey(hash, k);
          return null;
        }
        return k.obj;
      }
    }
    return null;
  }

  /** The live object with this id (see CachedObject), if cached. */
  byId(id: string): CachedObject | null {
    return this.#byId.get(id) ?? null;
  }

  /** Whether a resource of this size may be cached at all. */
  admits(size: number): boolean {
    return size <= this.fileMax && objectBytes(size) <= this.totalMax;
  }

  /** Adds (or reuses) the object for `resource` and maps the raw path `key` to it. */
  put(hash: number, key: Uint8Array, obj: CachedObject, tick: number): void {
    const existing = this.#byId.get(obj.id);
    if (existing !== obj) {
      if (existing) this.remove(existing);
      this.#byId.set(obj.id, obj);
      this.#budget.total += obj.bytes;
      this.#evict(tick);
    }
    const keys = this.#byHash.get(hash) ?? [];
    const same = keys.find((k) => k.key.length === key.length && bytesEqual(key, 0, k.key));
    if (same?.obj === obj) return;
    if (obj.keys.length >= MAX_KEYS_PER_OBJECT) {
      // The path now leads elsewhere (a new index file, a retargeted link): never to the old.
      if (same) this.#dropKey(hash, same);
      return;
    }
    if (same) same.obj = obj;
    else keys.push({ key, obj });
    obj.keys.push(key);
    this.#byHash.set(hash, keys);
  }

  /** Forgets an object; its keys are dropped lazily as lookups meet them. */
  remove(obj: CachedObject): void {
    if (obj.dead) return;
    obj.dead = true;
    if (this.#byId.get(obj.id) === obj) this.#byId.delete(obj.id);
    this.#budget.total -= obj.bytes;
  }

  #dropKey(hash: number, k: Key): void {
    const keys = this.#byHash.get(hash);
    if (!keys) return;
    const i = keys.indexOf(k);
    if (i >= 0) keys.splice(i, 1);
    if (keys.length === 0) this.#byHash.delete(hash);
  }

  /** Least recently used objects go first, over all partitions, down to 90% of the budget. */
  #evict(tick: number): void {
    const budget = this.#budget;
    if (budget.total <= this.totalMax) return;
    const all: [ObjectCache, CachedObject][] = [];
    for (const cache of budget.caches) {
      for (const obj of cache.#byId.values()) all.push([cache, obj]);
    }
    all.sort((a, b) => a[1].usedTick - b[1].usedTick);
    for (const [cache, obj] of all) {
      if (budget.total <= this.totalMax * 0.9) break;
      if (obj.usedTick === tick && obj === all[all.length - 1][1]) break; // the newcomer stays
      cache.remove(obj);
    }
    // Keys of dead objects would otherwise linger until looked up: sweep them now.
    for (const cache of budget.caches) {
      for (const [hash, keys] of cache.#byHash) {
        const live = keys.filter((k) => !k.obj.dead);
        if (live.length === 0) cache.#byHash.delete(hash);
        else if (live.length !== keys.length) cache.#byHash.set(hash, live);
      }
    }
  }
}
