// The WASM boundary is written down once in assembly/abi.ts and mirrored in src/abi.ts; this
// keeps the two equal by comparing the mirror with the module's exported globals.

import * as abi from "../../src/abi.ts";
import { WASM_URL } from "../../src/wasm.ts";

async function moduleGlobals(): Promise<Map<string, number>> {
  const bytes = await Deno.readFile(WASM_URL);
  const { instance } = await WebAssembly.instantiate(bytes, { env: { abort() {} } });
  const out = new Map<string, number>();
  for (const [name, value] of Object.entries(instance.exports)) {
    if (value instanceof WebAssembly.Global) out.set(name, Number(value.value));
  }
  return out;
}

Deno.test("src/abi.ts mirrors every constant exported by tuxd.wasm", async () => {
  const globals = await moduleGlobals();
  const mirror = new Map(Object.entries(abi));
  const problems: string[] = [];
  for (const [name, value] of globals) {
    if (!mirror.has(name)) problems.push(`${name} = ${value} is missing from src/abi.ts`);
    else if (mirror.get(name) !== value) {
      problems.push(`${name}: assembly says ${value}, src/abi.ts says ${mirror.get(name)}`);
    }
  }
  for (const name of mirror.keys()) {
    if (!globals.has(name)) problems.push(`${name} is in src/abi.ts but not exported by WASM`);
  }
  if (problems.length) throw new Error(problems.join("\n"));
  if (globals.size < 50) throw new Error(`only ${globals.size} constants exported`);
});

Deno.test("the memory regions of the ABI do not overlap", () => {
  const regions: [string, number, number][] = [
    ["REQ..FIELDS", abi.REQ, abi.FIELDS],
    ["FIELDS", abi.FIELDS, abi.FIELDS + abi.MAX_FIELDS_CAP * abi.FIELD_SIZE],
    ["OUT", abi.OUT, abi.OUT + abi.OUT_SIZE],
    ["IN", abi.IN, abi.IN + abi.IN_SIZE],
    ["DATE", abi.DATE, abi.DATE + abi.DATE_LEN],
  ];
  regions.sort((a, b) => a[1] - b[1]);
  for (let i = 1; i < regions.length; i++) {
    if (regions[i][1] < regions[i - 1][2]) {
      throw new Error(`${regions[i - 1][0]} overlaps ${regions[i][0]}`);
    }
  }
  if (regions[regions.length - 1][2] > abi.SLOTS) throw new Error("regions run into SLOTS");
  if (abi.DATA_END > abi.REQ) throw new Error("static data may run into REQ");
  if (abi.KNOWN + abi.H_COUNT * 4 > abi.FIELDS) throw new Error("KNOWN runs into FIELDS");
  if (abi.REQ_HEAD_LEN + 4 > abi.KNOWN - abi.REQ) throw new Error("REQ runs into KNOWN");
});
