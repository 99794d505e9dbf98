// The test build (as-pect.asconfig.json) sets memoryBase to 1 MiB so that the as-pect runtime's
// static data, shadow stack and heap stay clear of the module's fixed regions (REQ = 0x10000 ..
// SLOTS = 0x20000 and the slot buffers after it), which the other specs write directly.

import { DATA_END, DATE, FIELDS, IN, KNOWN, OUT, REQ, SLOTS } from "../abi";

const BASE: usize = 0x100000; // memoryBase
const LOW: usize = 0x100; // everything from here up to BASE is the specs' own

function pattern(a: usize): u8 {
  return <u8>((<u32>a * 2654435761) >>> 24);
}

function fill(): void {
  for (let a = LOW; a < BASE; a++) store<u8>(a, pattern(a));
}

/** The first address in [LOW, BASE) that no longer holds the pattern, or 0. */
function firstChanged(): usize {
  for (let a = LOW; a < BASE; a++) if (load<u8>(a) != pattern(a)) return a;
  return 0;
}

let keep: string[] = [];

describe("memory layout of the test build", () => {
  it("puts static data, stack and heap above 1 MiB", () => {
    expect<usize>(__data_end).toBeGreaterThanOrEqual(BASE);
    expect<usize>(__heap_base).toBeGreaterThanOrEqual(BASE);
    expect<usize>(changetype<usize>("a string literal")).toBeGreaterThanOrEqual(BASE);
    expect<usize>(memory.data(16)).toBeGreaterThanOrEqual(BASE);
    expect<usize>(changetype<usize>(new ArrayBuffer(8))).toBeGreaterThanOrEqual(BASE);
    // The module's regions are all below it.
    expect<i32>(DATA_END).toBeLessThan(<i32>BASE);
    expect<i32>(SLOTS + 0x80000).toBeLessThan(<i32>BASE);
    expect<i32>(memory.size()).toBeGreaterThanOrEqual(64);
  });

  it("leaves the regions alone through allocation, growth and collection", () => {
    fill();
    // Strings, arrays and maps, some kept and some garbage, enough to grow memory.
    for (let k = 0; k < 2000; k++) {
      const s = "row " + k.toString() + " " + "x".repeat(k % 300);
      if (k % 7 == 0) keep.push(s);
    }
    const m = new Map<i32, string>();
    for (let k = 0; k < 1000; k++) m.set(k, k.toString());
    const before = memory.size();
    const big = new Array<ArrayBuffer>();
    for (let k = 0; k < 40; k++) big.push(new ArrayBuffer(256 * 1024));
    expect<i32>(memory.size()).toBeGreaterThan(before);
    __collect();
    log<string>("regions intact after " + keep.length.toString() + " kept strings, " +
      big.length.toString() + " x 256 KiB, memory " + memory.size().toString() + " pages");
    expect<usize>(firstChanged()).toBe(0);
  });

  it("and the expectations of as-pect itself", () => {
    fill();
    for (let k = 0; k < 200; k++) {
      expect<string>("a" + k.toString()).toBe("a" + k.toString());
      expect<i32>(REQ + KNOWN + FIELDS + OUT + IN + DATE).toBeGreaterThan(0);
    }
    expect<usize>(firstChanged()).toBe(0);
  });
});
