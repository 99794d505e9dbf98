/**
 * `deno task compile` (src/compile.ts): what goes into the single binary. The permissions baked
 * into it are checked by running the server under exactly them, as the binary would.
 */
import assert from "node:assert/strict";
import { compilePlan } from "../../src/compile.ts";
import { parseArgs } from "../../src/config.ts";
import { RUNTIME_FLAGS } from "../../src/permissions.ts";
import { REPO_ROOT } from "../_util/server.ts";

const SITE = `${REPO_ROOT}/examples/site`;
const CGI = `${REPO_ROOT}/examples/cgi-bin`;
const WASM = `${REPO_ROOT}/build/tuxd.wasm`;

function plan(args: string[]) {
  return compilePlan(parseArgs(args), args, SITE, CGI, "dist/tuxd");
}

/** The value of a `--name=value` flag, or undefined. */
function flag(args: string[], name: string): string | undefined {
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

Deno.test("compilePlan() bakes the real root, the example CGI and narrow permissions in", () => {
  const { deno, served } = plan([]);
  assert.deepEqual(served, [SITE, "--cgi", `/cgi-bin/=${CGI}`]);
  assert.deepEqual(deno.slice(0, 2), ["compile", "--no-prompt"]);
  for (const f of RUNTIME_FLAGS) assert.ok(deno.includes(f), f);
  assert.equal(flag(deno, "--allow-read")?.split(",")[0], SITE);
  assert.ok(flag(deno, "--allow-read")?.split(",").includes(WASM));
  assert.equal(flag(deno, "--allow-net"), "127.0.0.1:8080");
  // Each example program by name, never a blanket --allow-run.
  const run = flag(deno, "--allow-run")?.split(",") ?? [];
  assert.ok(run.includes(`${CGI}/hello.sh`), run.join(","));
  for (const wide of ["-A", "--allow-all", "--allow-write", "--allow-env", "--allow-ffi"]) {
    assert.ok(!deno.some((a) => a === wide || a.startsWith(`${wide}=`)), wide);
  }
  const tail = deno.slice(deno.indexOf("--output"));
  assert.deepEqual(tail, ["--output", "dist/tuxd", "src/main.ts", ...served]);
  const includes = deno.flatMap((a, i) => (deno[i - 1] === "--include" ? [a] : []));
  assert.deepEqual(includes, ["build/tuxd.wasm", "src/worker.ts"]);
});

Deno.test("compilePlan() keeps a given root and flags; --workers adds SO_REUSEPORT and src/", () => {
  const { deno, served } = plan(["examples/site", "--port", "9000", "--workers", "2"]);
  assert.deepEqual(served, [SITE, "--port", "9000", "--workers", "2"]);
  assert.equal(flag(deno, "--allow-net"), "127.0.0.1:9000");
  assert.ok(deno.includes("--unstable-net"));
  assert.ok(flag(deno, "--allow-read")?.split(",").includes(`${REPO_ROOT}/src`));
  assert.equal(flag(deno, "--allow-run"), undefined);
});

Deno.test("the permissions compiled into tuxd are enough to serve the example site", async () => {
  const { deno } = plan(["--port", "0"]);
  // The binary's flags and arguments, minus what only `deno compile` takes.
  const perms = deno.slice(2, deno.indexOf("--include"));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...perms, ...deno.slice(deno.indexOf("src/main.ts"))],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const { value } = await reader.read();
    const port = Number(/:(\d+)\//.exec(value ?? "")?.[1]);
    assert.ok(port > 0, `no listening line: ${value}`);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const cgi = await fetch(`http://127.0.0.1:${port}/cgi-bin/hello.sh`);
    assert.equal(cgi.status, 200);
    await cgi.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    await reader.cancel();
    await child.stderr.cancel();
    await child.status;
  }
});
