/**
 * The bounded CI run of the mutation fuzzer (tests/fuzz/fuzz.ts): about 3 seconds of mutated
 * requests against a real tuxd; no hang, no malformed response, no internal error, and the
 * server still serves GET /index.html exactly. TUXD_FUZZ_SEED picks another seed.
 */
import assert from "node:assert/strict";
import {
  healthCheck,
  internalErrors,
  makeInput,
  parseAll,
  runFuzz,
  startFuzzServer,
} from "../fuzz/fuzz.ts";
import { bytes } from "./_helpers.ts";

const SEED = Number(Deno.env.get("TUXD_FUZZ_SEED") ?? 20251203);

Deno.test("tuxd fuzz checker rejects malformed responses", () => {
  const ok =
    "HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 2015 00:00:00 GMT\r\nContent-Length: 2\r\n\r\nhi";
  assert.deepEqual(parseAll(bytes(ok + ok)), [200, 200]);
  // A HEAD response (no body) followed by another response.
  const head = ok.slice(0, -2);
  assert.deepEqual(parseAll(bytes(head + ok)), [200, 200]);
  for (
    const bad of [
      ok.replace("Content-Length: 2", "Content-Length: 3"),
      ok.replace("HTTP/1.1 200 OK", "HTTP/1.1 500 Internal Server Error"),
      ok.replace("Date: Thu", "Date: Thx"),
      ok.replace("\r\nContent-Length: 2", "\r\nContent-Length : 2"),
      ok.replace("\r\nContent-Length: 2", ""),
      ok + "junk",
      ok.slice(0, 20),
    ]
  ) {
    assert.throws(() => parseAll(bytes(bad)), JSON.stringify(bad));
  }
  // Inputs are deterministic per (seed, index).
  assert.deepEqual(makeInput(5, 77), makeInput(5, 77));
  assert.notDeepEqual(makeInput(5, 77).bytes, makeInput(5, 78).bytes);
});

Deno.test("tuxd survives 3 s of mutated requests", async () => {
  const { srv, cleanup } = await startFuzzServer();
  let exited = false;
  srv.exited.then(() => exited = true);
  try {
    assert.equal(await healthCheck(srv.port), null);
    const r = await runFuzz({
      port: srv.port,
      seconds: 3,
      seed: SEED,
      concurrency: 16,
      checkEvery: 200,
      alive: () => !exited,
      log: (l) => console.log(`  ${l}`),
    });
    assert.deepEqual(r.failures, [], "\n" + r.failures.join("\n"));
    assert.ok(r.inputs >= 300, `only ${r.inputs} inputs in 3 s`);
    // The mutations reach both sides: accepted requests and rejected ones.
    assert.ok((r.statuses[200] ?? 0) > 0 && (r.statuses[400] ?? 0) > 0, JSON.stringify(r.statuses));
    assert.deepEqual(internalErrors(srv.stderr()), [], "server stderr");
    assert.equal(exited, false, "the server exited");
  } finally {
    await cleanup();
  }
});
