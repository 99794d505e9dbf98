/**
 * Large files are streamed, not loaded: a 20 MiB file arrives intact at four concurrent clients
 * while the server's peak resident memory stays bounded, and a client that reads slowly does
 * not hold up anyone else.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startTuxd } from "../_util/server.ts";
import {
  bytes,
  Client,
  get,
  procStatusBytes,
  pseudoRandom,
  serverPid,
  sleep,
  str,
  tempSite,
} from "./_helpers.ts";

const SIZE = 20 * 1024 * 1024;
const MiB = 1024 * 1024;

function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/**
 * Downloads `path` over a fresh connection, hashing the body as it streams (nothing kept),
 * and returns the status, body length and SHA-256.
 */
async function download(
  port: number,
  path: string,
  opts: { chunkDelayMs?: number; readSize?: number; stopAfter?: number } = {},
): Promise<{ status: number; length: number; sha: string; ms: number }> {
  const t0 = Date.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(bytes(get(path, "Connection: close\r\n")));
    const buf = new Uint8Array(opts.readSize ?? 256 * 1024);
    const hash = createHash("sha256");
    let head = "";
    let status = 0;
    let length = 0;
    let want = -1;
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      let chunk: Uint8Array = buf.subarray(0, n);
      if (want < 0) {
        head += str(chunk);
        const he = head.indexOf("\r\n\r\n");
        if (he < 0) continue;
        status = Number(head.slice(9, 12));
        want = Number(/\r\ncontent-length: (\d+)\r\n/i.exec(head)?.[1] ?? -1);
        chunk = bytes(head.slice(he + 4));
      }
      hash.update(chunk);
      length += chunk.length;
      if (opts.stopAfter !== undefined && length >= opts.stopAfter) break;
      if (opts.chunkDelayMs) await sleep(opts.chunkDelayMs);
    }
    if (want >= 0 && length !== want && opts.stopAfter === undefined) {
      throw new Error(`${path}: Content-Length ${want} but ${length} bytes arrived`);
    }
    return { status, length, sha: hash.digest("hex"), ms: Date.now() - t0 };
  } finally {
    conn.close();
  }
}

Deno.test("tuxd streams a 20 MiB file intact to 4 clients with bounded memory", async () => {
  const big = pseudoRandom(SIZE, 42);
  const want = sha256(big);
  const s = await tempSite({ "big.bin": big, "small.txt": "small\n" });
  const srv = await startTuxd({ root: s.root });
  try {
    const pid = serverPid(srv.pid);
    const before = procStatusBytes(pid, "VmHWM");
    // Sample the current RSS too while the downloads run.
    let peakRss = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRss = Math.max(peakRss, procStatusBytes(pid, "VmRSS"));
        await sleep(20);
      }
    })();
    const results = await Promise.all([0, 1, 2, 3].map(() => download(srv.port, "/big.bin")));
    sampling = false;
    await sampler;
    const after = procStatusBytes(pid, "VmHWM");
    console.log(
      `  VmHWM ${(before / MiB).toFixed(1)} MiB before, ${(after / MiB).toFixed(1)} MiB after; ` +
        `peak RSS seen ${(peakRss / MiB).toFixed(1)} MiB; ${results.map((r) => r.ms)} ms`,
    );
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.equal(r.length, SIZE);
      assert.equal(r.sha, want, "SHA-256 of the body");
    }
    assert.ok(after < 150 * MiB, `server VmHWM ${(after / MiB).toFixed(1)} MiB`);
    // Four full copies would be 80 MiB more than at the start.
    assert.ok(
      after - before < 60 * MiB,
      `VmHWM grew by ${((after - before) / MiB).toFixed(1)} MiB`,
    );
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd keeps serving others promptly while a slow reader downloads", async () => {
  const big = pseudoRandom(SIZE, 43);
  const s = await tempSite({ "big.bin": big, "small.txt": "small\n" });
  const srv = await startTuxd({ root: s.root });
  try {
    // The slow reader: 16 KiB every 100 ms; it fills the socket buffers and stays stuck.
    const slow = download(srv.port, "/big.bin", {
      readSize: 16 * 1024,
      chunkDelayMs: 100,
      stopAfter: 512 * 1024,
    });
    await sleep(300);
    // Small requests on fresh connections and on one persistent connection.
    const c = await Client.open(srv.port);
    try {
      for (let i = 0; i < 10; i++) {
        const t0 = Date.now();
        const from = c.total;
        await c.write(get("/small.txt"));
        const [r] = await c.responses(1, { from, timeoutMs: 2000 });
        const ms = Date.now() - t0;
        assert.equal(str(r.body), "small\n");
        assert.ok(ms < 1000, `small request #${i} took ${ms} ms`);
      }
    } finally {
      await c.close();
    }
    // A full-speed download of the same file completes while the slow one is still going.
    const fast = await download(srv.port, "/big.bin");
    assert.equal(fast.sha, sha256(big));
    assert.ok(fast.ms < 10_000, `fast download took ${fast.ms} ms`);
    const slowDone = await slow;
    assert.ok(slowDone.ms > fast.ms, "the slow reader finished first: it was not slow");
    assert.equal(slowDone.status, 200);
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});
