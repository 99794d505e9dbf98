// as-pect 8.1 configuration for the AssemblyScript specs under assembly/__tests__/.
// Run with `deno task test:wasm`. The compiler options are in as-pect.asconfig.json.
export default {
  /** The spec files; each is compiled to its own module with the as-pect runtime. */
  entries: ["assembly/__tests__/**/*.spec.ts"],
  /** Files added to every spec module (none today). */
  include: ["assembly/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  instantiate(memory, createImports, instantiate, binary) {
    // The module exports its own memory (no importMemory); `memory` is offered as env.memory
    // only because as-pect's imports expect one.
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
