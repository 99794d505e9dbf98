// Parser limits, set once by `set_limits` at startup (defaults mirror src/config.ts).
// Plain globals rather than an object, so that nothing is ever allocated.

/** Longest request line (RFC 9112 §3): past it, 414. */
export let maxLine: i32 = 8192;
/** Largest head, request line and fields (RFC 6585 §5): past it, 431. */
export let maxHead: i32 = 32768;
/** Most field lines: past it, 431. */
export let maxFields: i32 = 100;
/** Largest request body (RFC 9110 §15.5.14): past it, 413. */
export let maxBody: u64 = 1 << 30;
/** Most chunk-extension bytes on one chunk-size line. */
export let maxChunkExt: i32 = 1024;

export function setLimits(line: i32, head: i32, fields: i32, body: f64, chunkExt: i32): void {
  maxLine = line;
  maxHead = head;
  maxFields = fields;
  maxBody = <u64>body;
  maxChunkExt = chunkExt;
}
