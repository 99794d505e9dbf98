/**
 * Slow and greedy clients: 200 slowloris connections do not starve a normal client, a client
 * that does not finish its head within --head-timeout gets 408 and is closed, past
 * --max-connections new connections get a clean 503 while the admitted ones are served, a
 * client that stops reading is dropped after --send-timeout, and a slow reader is never cut
 * off by the idle or head timeouts while its response is still being sent.
 */
import assert from "node:assert/strict";
import { parseResponses, startTuxd, text } from "../_util/server.ts";
import { bytes, Client, concat, get, pseudoRandom, readInto, sleep, tempSite } from "./_helpers.ts";

const PAGE = "<p>served</p>\n";

async function closeAll(clients: Client[]) {
  await Promise.all(clients.map((c) => c.close()));
}

Deno.test("tuxd serves a normal client promptly while 200 slowloris clients trickle", async () => {
  const s = await tempSite({ "index.html": PAGE });
  const srv = await startTuxd({ root: s.root });
  const loris: Client[] = [];
  let trickling = true;
  let tasks: Promise<void>[] = [];
  try {
    for (let i = 0; i < 200; i++) loris.push(await Client.open(srv.port));
    const head = get("/index.html", "X-Slow: " + "z".repeat(200) + "\r\n");
    tasks = loris.map(async (c, i) => {
      await sleep(i * 2.5); // spread the trickles over each 500 ms period
      for (let k = 0; trickling && k < head.length - 2; k++) {
        try {
          await c.write(head[k]);
        } catch {
          return;
        }
        await sleep(500);
      }
    });
    await sleep(700);
    const latencies: number[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 3000) {
      const c = await Client.open(srv.port);
      try {
        const start = Date.now();
        await c.write(get("/index.html"));
        const [r] = await c.responses(1, { timeoutMs: 2000 });
        latencies.push(Date.now() - start);
        assert.equal(text(r.body), PAGE);
      } finally {
        await c.close();
      }
      await sleep(100);
    }
    console.log(`  ${latencies.length} requests, slowest ${Math.max(...latencies)} ms`);
    assert.ok(latencies.length >= 10, `only ${latencies.length} requests served in 3 s`);
    assert.ok(Math.max(...latencies) < 1000, `a request took ${Math.max(...latencies)} ms`);
    // The slowloris clients are still connected (default --head-timeout is 10 s): the
    // normal client was served beside them, not because they were dropped.
    assert.equal(loris.filter((c) => c.eof).length, 0, "slowloris clients were dropped early");
  } finally {
    trickling = false;
    await Promise.all(tasks);
    await closeAll(loris);
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd answers 408 and closes when a head takes longer than --head-timeout", async () => {
  const s = await tempSite({ "index.html": PAGE });
  const srv = await startTuxd({ root: s.root, args: ["--head-timeout", "2"] });
  const clients: Client[] = [];
  let trickling = true;
  try {
    const slow = await Client.open(srv.port);
    const silent = await Client.open(srv.port);
    const second = await Client.open(srv.port);
    clients.push(slow, silent, second);
    const t0 = Date.now();
    const head = get("/index.html");
    const trickle = (async () => {
      for (let k = 0; trickling && k < head.length - 2; k++) {
        try {
          await slow.write(head[k]);
        } catch {
          return;
        }
        await sleep(300);
      }
    })();
    // A client whose first request was fine and whose second head trickles: the deadline
    // applies per head, from its first byte.
    await second.write(get("/index.html"));
    await second.responses(1);
    await sleep(500);
    const from = second.total;
    const secondHead = (async () => {
      for (let k = 0; trickling && k < 10; k++) {
        try {
          await second.write(head[k]);
        } catch {
          return;
        }
        await sleep(300);
      }
    })();

    assert.ok(await slow.closedWithin(4500), "the trickling client was not closed");
    const elapsed = Date.now() - t0;
    trickling = false;
    await trickle;
    await secondHead;
    assert.ok(elapsed >= 1900, `closed after ${elapsed} ms, before the 2 s deadline`);
    const [r] = await slow.responses(1);
    assert.equal(r.status, 408);
    assert.equal(r.headers.get("connection"), "close");
    assert.equal(text(r.body), "408 Request Timeout\n");

    // A connection that never sent a byte is closed too, silently (it made no request).
    assert.ok(await silent.closedWithin(2000), "the silent connection was not closed");
    assert.equal(silent.total, 0, "a response to a connection that sent nothing");

    assert.ok(await second.closedWithin(3500), "the slow second head was not timed out");
    const [r2] = await second.responses(1, { from });
    assert.equal(r2.status, 408);

    // Meanwhile, and after, a normal client is served.
    const c = await Client.open(srv.port);
    clients.push(c);
    await c.write(get("/index.html"));
    const [ok] = await c.responses(1);
    assert.equal(text(ok.body), PAGE);
  } finally {
    trickling = false;
    await closeAll(clients);
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd refuses connections past --max-connections with 503", async () => {
  const s = await tempSite({ "index.html": PAGE });
  const srv = await startTuxd({ root: s.root, args: ["--max-connections", "20"] });
  const idle: Client[] = [];
  const extra: Client[] = [];
  try {
    for (let i = 0; i < 20; i++) idle.push(await Client.open(srv.port));
    await sleep(300); // let the server accept them all
    // The 21st: a 503 straight away, without sending anything, then closed.
    const over = await Client.open(srv.port);
    extra.push(over);
    assert.ok(await over.closedWithin(2000), "the 21st connection was not closed");
    const [r] = await over.responses(1);
    assert.equal(r.status, 503);
    assert.equal(r.headers.get("connection"), "close");
    assert.ok(r.headers.get("retry-after"), "503 without Retry-After");
    assert.equal(text(r.body), "503 Service Unavailable\n");

    // The 22nd sends a request: it gets the 503 or is closed (never served).
    const over2 = await Client.open(srv.port);
    extra.push(over2);
    try {
      await over2.write(get("/index.html"));
    } catch {
      // already closed by the server
    }
    assert.ok(await over2.closedWithin(2000));
    if (over2.total > 0) assert.equal((await over2.responses(1))[0].status, 503);

    // One of the admitted connections is served, and stays usable.
    for (const c of [idle[0], idle[19]]) {
      await c.write(get("/index.html"));
      const [ok] = await c.responses(1);
      assert.equal(text(ok.body), PAGE);
    }
    assert.equal(idle.filter((c) => c.eof).length, 0, "admitted connections were closed");

    // Closing one frees its slot for a new connection.
    await idle.pop()!.close();
    let served = false;
    const t0 = Date.now();
    while (!served && Date.now() - t0 < 2000) {
      const c = await Client.open(srv.port);
      extra.push(c);
      try {
        await c.write(get("/index.html"));
      } catch {
        // refused: try again
      }
      const [res] = await c.responses(1, { timeoutMs: 1000 }).catch(() => [null]);
      served = res?.status === 200;
      if (!served) await sleep(50);
    }
    assert.ok(served, "a freed slot was not reused");
  } finally {
    await closeAll(idle);
    await closeAll(extra);
    await srv.stop();
    await s.cleanup();
  }
});

/** Connects, sends `request`, waits `pauseMs` without reading, then reads for up to `readMs`. */
async function pausedRead(port: number, request: string, pauseMs: number, readMs: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const parts: Uint8Array[] = [];
  let reset = false;
  try {
    await conn.write(bytes(request));
    await sleep(pauseMs);
    await readInto(conn, parts, readMs);
  } catch {
    reset = true;
  } finally {
    conn.close();
  }
  return { raw: concat(parts), reset };
}

Deno.test("tuxd drops a client that takes no response bytes for --send-timeout", async () => {
  const big = pseudoRandom(24 * 1024 * 1024, 5);
  const s = await tempSite({ "big.bin": big, "index.html": PAGE });
  const srv = await startTuxd({
    root: s.root,
    args: ["--max-connections", "1", "--send-timeout", "1"],
  });
  try {
    // A holds the only slot and reads nothing of its 24 MiB.
    const stalled = pausedRead(srv.port, get("/big.bin"), 3500, 3000);
    await sleep(300);
    const early = await Client.open(srv.port);
    assert.ok(await early.closedWithin(2000));
    assert.equal((await early.responses(1))[0].status, 503, "the slot was not taken");
    await early.close();
    // Past the send timeout the slot is free again.
    await sleep(2500);
    const later = await Client.open(srv.port);
    await later.write(get("/index.html"));
    const [r] = await later.responses(1, { timeoutMs: 3000 });
    assert.equal(r.status, 200);
    await later.close();
    const { raw } = await stalled;
    assert.ok(raw.length < big.length, `the stalled client got all ${raw.length} bytes`);
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});

Deno.test("tuxd sends a slow reader its whole cached response despite short idle and head timeouts", async () => {
  // The response is larger than the kernel's socket buffers, so its write is still pending
  // while the client pauses: the idle (and head) clocks must not run until it is done.
  const big = pseudoRandom(24 * 1024 * 1024, 6);
  const s = await tempSite({ "big.bin": big, "a.txt": PAGE });
  const srv = await startTuxd({
    root: s.root,
    args: [
      "--idle-timeout",
      "1",
      "--head-timeout",
      "1",
      "--cache-file-max",
      "32M",
      "--cache-total-max",
      "64M",
    ],
  });
  try {
    for (const [what, extra] of [["alone", ""], ["with a partial pipelined head", "GET /a.txt"]]) {
      // Twice: the first load puts it in the object cache, the second is a fast-path hit.
      for (let round = 0; round < 2; round++) {
        const { raw } = await pausedRead(srv.port, get("/big.bin") + extra, 2000, 10_000);
        const [r] = parseResponses(raw);
        assert.equal(r?.status, 200, `${what}, round ${round}`);
        assert.equal(r.body.length, big.length, `${what}, round ${round}: body cut short`);
        assert.ok(r.body.every((b, i) => b === big[i]), `${what}, round ${round}: wrong bytes`);
      }
    }
  } finally {
    await srv.stop();
    await s.cleanup();
  }
});
