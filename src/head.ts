// Response heads, assembled by the WASM module from numeric ids and byte values. TypeScript
// copies each value into the IN region and passes (offset, length); no strings cross.

import * as abi from "./abi.ts";
import type { Wasm } from "./wasm.ts";

export type ConnMode =
  | typeof abi.CONN_DEFAULT
  | typeof abi.CONN_CLOSE
  | typeof abi.CONN_KEEP_ALIVE
  | typeof abi.CONN_UPGRADE;

export class HeadBuilder {
  constructor(private readonly wasm: Wasm) {}

  start(status: number): this {
    this.wasm.fn.head_start(status);
    return this;
  }

  /** A field whose value is bytes (latin1/ASCII). Values longer than IN are cut by WASM's room check. */
  field(id: number, value: Uint8Array): this {
    const n = Math.min(value.length, abi.IN_SIZE);
    this.wasm.u8.set(n === value.length ? value : value.subarray(0, n), abi.IN);
    this.wasm.fn.head_field(id, abi.IN, n);
    return this;
  }

  /**
   * A field whose value is a latin1 string, written into IN byte by byte: no typed array is
   * allocated on the way (an ArrayBuffer costs more than the whole head).
   */
  text(id: number, value: string): this {
    const n = this.#put(value);
    this.wasm.fn.head_field(id, abi.IN, n);
    return this;
  }

  /** Preformatted field lines as a latin1 string ("Name: value\r\n" each). */
  rawText(lines: string): this {
    if (lines.length === 0) return this;
    const n = this.#put(lines);
    this.wasm.fn.head_raw(abi.IN, n);
    return this;
  }

  #put(s: string): number {
    const u8 = this.wasm.u8;
    const n = Math.min(s.length, abi.IN_SIZE);
    for (let i = 0; i < n; i++) u8[abi.IN + i] = s.charCodeAt(i);
    return n;
  }

  /** X-Content-Type-Options: nosniff. */
  nosniff(): this {
    this.wasm.fn.head_field(abi.R_NOSNIFF, 0, 0);
    return this;
  }

  number(id: number, value: number): this {
    this.wasm.fn.head_number(id, value);
    return this;
  }

  /** A field whose value is the HTTP-date of `ms` (floored to the second). */
  date(id: number, ms: number): this {
    this.wasm.fn.head_date(id, Math.floor(ms / 1000));
    return this;
  }

  /** Preformatted field lines ("Name: value\r\n" each). */
  raw(lines: Uint8Array): this {
    if (lines.length === 0) return this;
    this.wasm.u8.set(lines.subarray(0, abi.IN_SIZE), abi.IN);
    this.wasm.fn.head_raw(abi.IN, Math.min(lines.length, abi.IN_SIZE));
    return this;
  }

  /** Ends the head and returns a copy of it. Throws if it overflowed OUT (a config mistake). */
  end(conn: ConnMode): Uint8Array {
    const n = this.wasm.fn.head_end(conn);
    if (n === abi.HEAD_OVERFLOW) throw new Error("response head larger than OUT_SIZE");
    return this.wasm.u8.slice(abi.OUT, abi.OUT + n);
  }
}
