// Loads build/tuxd.wasm and gives TypeScript its memory views and functions. Memory is sized
// once here, for every connection slot, and never grows afterwards, so views stay valid.

import * as abi from "./abi.ts";

export interface WasmExports {
  memory: WebAssembly.Memory;
  parse(p: number, len: number): number;
  chunk_decode(state: number, p: number, len: number): number;
  head_start(status: number): void;
  head_field(id: number, off: number, len: number): void;
  head_number(id: number, value: number): void;
  head_date(id: number, seconds: number): void;
  head_raw(off: number, len: number): void;
  head_end(conn: number): number;
  set_clock(seconds: number): void;
  set_limits(line: number, head: number, fields: number, body: number, chunkExt: number): void;
  heap_base(): number;
  reserve(bytes: number): number;
}

export interface Wasm {
  fn: WasmExports;
  /** Views of the whole linear memory. */
  u8: Uint8Array;
  i32: Int32Array;
  /** Number and size (input bytes, after SLOT_STATE) of connection slots. */
  slotCount: number;
  slotSize: number;
}

export const WASM_URL = new URL("../build/tuxd.wasm", import.meta.url);

export interface WasmOptions {
  slotCount: number;
  slotSize: number;
  maxLine: number;
  maxHead: number;
  maxFields: number;
  maxBody: number;
  maxChunkExt: number;
}

export async function loadWasm(opts: WasmOptions): Promise<Wasm> {
  const bytes = await Deno.readFile(WASM_URL);
  const { instance } = await WebAssembly.instantiate(bytes, {
    env: {
      abort() {
        throw new Error("tuxd.wasm aborted");
      },
    },
  });
  const fn = instance.exports as unknown as WasmExports;
  if (fn.heap_base() > abi.DATA_END) {
    throw new Error(`tuxd.wasm static data (${fn.heap_base()} bytes) overlaps its regions`);
  }
  const stride = abi.SLOT_STATE + opts.slotSize;
  const need = abi.SLOTS + opts.slotCount * stride;
  if (need > 0x7fff0000 || fn.reserve(need) < need) {
    throw new Error(`cannot reserve ${need} bytes of WASM memory for connection slots`);
  }
  fn.set_limits(opts.maxLine, opts.maxHead, opts.maxFields, opts.maxBody, opts.maxChunkExt);
  fn.set_clock(Math.floor(Date.now() / 1000));
  const buffer = fn.memory.buffer;
  return {
    fn,
    u8: new Uint8Array(buffer),
    i32: new Int32Array(buffer),
    slotCount: opts.slotCount,
    slotSize: opts.slotSize,
  };
}

/** Start of slot `index`: its decoder state; the input buffer follows at + SLOT_STATE. */
export function slotBase(w: Wasm, index: number): number {
  return abi.SLOTS + index * (abi.SLOT_STATE + w.slotSize);
}
