// The module's exports: the ABI constants (as globals, so a test can compare them with
// src/abi.ts) and the functions TypeScript calls.

export * from "./abi";
import { DATA_END } from "./abi";
export { parse } from "./parse";
export { chunkDecode as chunk_decode } from "./chunk";
export { headDate as head_date, headEnd as head_end, headField as head_field } from "./head";
export { headNumber as head_number, headRaw as head_raw, headStart as head_start } from "./head";
export { setClock as set_clock } from "./date";
export { setLimits as set_limits } from "./limits";

/** Where static data ends; `init` in src/wasm.ts checks it stays below DATA_END. */
export function heap_base(): i32 {
  return <i32>__heap_base;
}

/** Grows memory to at least `bytes` once, before TypeScript takes any view of it. */
export function reserve(bytes: i32): i32 {
  const have = memory.size() << 16;
  if (<u32>bytes <= <u32>have) return have;
  const pages = ((bytes - have) + 0xffff) >>> 16;
  if (memory.grow(pages) < 0) return -1;
  return memory.size() << 16;
}

