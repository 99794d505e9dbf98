// build/tuxd.wasm is committed so that tuxd runs without a compiler; this fails when it is
// stale, i.e. when compiling assembly/ now gives different bytes.

Deno.test("build/tuxd.wasm is what assembly/ compiles to", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tuxd-wasm-" });
  try {
    const out = `${dir}/tuxd.wasm`;
    const { code, stderr } = await new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read",
        `--allow-write=${dir}`,
        "--allow-env",
        "--allow-sys",
        "npm:assemblyscript@0.27.9/asc",
        "assembly/index.ts",
        "--config",
        "asconfig.json",
        "--target",
        "release",
        "--outFile",
        out,
      ],
      cwd: new URL("../..", import.meta.url),
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(`asc failed:\n${new TextDecoder().decode(stderr)}`);
    const fresh = await Deno.readFile(out);
    const committed = await Deno.readFile(new URL("../../build/tuxd.wasm", import.meta.url));
    const same = fresh.length === committed.length && fresh.every((b, i) => b === committed[i]);
    if (!same) {
      throw new Error("build/tuxd.wasm is stale: run `deno task build:wasm` and commit it");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
