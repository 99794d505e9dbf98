// Byte ↔ string helpers for the boundary: header bytes are read as latin1 (one char per byte)
// so nothing is lost or replaced, and written back the same way.

const ascii = new TextDecoder();

/** The bytes u8[off, off + len) as a string of the same length (latin1). */
export function latin1(u8: Uint8Array, off: number, len: number): string {
  const end = off + len;
  let i = off;
  while (i < end && u8[i] < 0x80) i++;
  // ASCII, the common case: short strings by hand, longer ones by the native UTF-8 decoder
  // (exact for ASCII). Bytes above 0x7f take the char-per-byte route: UTF-8 would replace them.
  if (i === end) {
    if (len > 24) return ascii.decode(u8.subarray(off, end));
    let s = "";
    for (let k = off; k < end; k++) s += String.fromCharCode(u8[k]);
    return s;
  }
  let s = "";
  for (let i = 0; i < len; i += 4096) {
    const end = Math.min(len, i + 4096);
    s += String.fromCharCode.apply(null, u8.subarray(off + i, off + end) as unknown as number[]);
  }
  return s;
}

/** A latin1 string (every char < 256) as bytes. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string (for bodies and file names). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Whether u8[off, off + key.length) equals key. */
export function bytesEqual(u8: Uint8Array, off: number, key: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) if (u8[off + i] !== key[i]) return false;
  return true;
}

/** FNV-1a (32 bits) of a latin1 string's bytes: the same hash the WASM parser gives a path. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
