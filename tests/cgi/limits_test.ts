/**
 * The limits on CGI programs: the wall-clock timeout (504, the program and what it started
 * killed), the cap on programs at once (503 with Retry-After, no queue), a client that goes
 * away (the program killed), and 50 MiB of output streamed with tuxd's memory bounded.
 */
import assert from "node:assert/strict";
import { parseResponses, startTuxd } from "../_util/server.ts";
import { Client, sleep } from "../server/_helpers.ts";
import {
  exchange,
  latin1,
  openTempDir,
  processGone,
  procMemory,
  readPids,
  serverPid,
  sharedDir,
  waitFor,
  writeScripts,
} from "./_util.ts";

const SH = "#!/bin/sh\n";

/** Pattern lines of the big output: 64 bytes each, so 50 MiB is 819 200 whole lines. */
const LINE = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+\n";
const BIG = 50 * 1024 * 1024;

const SCRIPTS: Record<string, string> = {
  // Starts a child, records both pids, and waits: the timeout must end both.
  "hang.sh": `${SH}sleep 60 &\necho "$$ $!" > "$MARKS/hang.pids"\nwait\n`,
  // Sends its head and some body, then hangs: the body cannot be completed.
  "hang-body.sh": `${SH}printf 'Content-Type: text/plain\\n\\nstarted\\n'\nexec sleep 60\n`,
  "slow.sh": `${SH}sleep 1\nprintf 'Content-Type: text/plain\\n\\nslow done'\n`,
  // Silent while the client waits, then the client leaves.
  "sleeper.sh": `${SH}sleep 60 &\necho "$$ $!" > "$MARKS/sleeper.pids"\nwait\n`,
  // Writes for ever; the client reads a little and leaves.
  "writer.sh": `${SH}printf 'Content-Type: text/plain\\n\\n'\nyes tuxd &\n` +
    `echo "$$ $!" > "$MARKS/writer.pids"\nwait\n`,
  // Answers at once, then echoes its input: the response streams while the body arrives.
  "echo.sh": `${SH}printf 'Content-Type: text/plain\\n\\nstart\\n'\nexec cat\n`,
  "big.sh": `${SH}printf 'Content-Type: application/octet-stream\\n\\n'\n` +
    `exec yes '${LINE.slice(0, -1)}' | head -c ${BIG}\n`,
};

async function setup(prefix: string) {
  const base = await openTempDir(prefix);
  const cgi = `${base}/cgi`;
  await Deno.mkdir(cgi);
  await writeScripts(cgi, SCRIPTS);
  const marks = await sharedDir(base, "marks");
  return { base, cgi, marks };
}

Deno.test("CGI limits: timeout 504, truncated body, 503 beyond --cgi-max", async (t) => {
  const { base, cgi, marks } = await setup("tuxd-cgi-limits-");
  const srv = await startTuxd({
    args: [
      "--cgi",
      `/cgi-bin/=${cgi}`,
      "--cgi-env",
      `/cgi-bin/=MARKS=${marks}`,
      "--cgi-timeout",
      "2",
      "--cgi-max",
      "1",
    ],
  });
  try {
    await t.step("a program that hangs is killed at the timeout: 504", async () => {
      const started = Date.now();
      const pending = fetch(new URL("/cgi-bin/hang.sh", srv.url));
      const pids = await readPids(`${marks}/hang.pids`, 2);
      const res = await pending;
      await res.body?.cancel();
      const took = Date.now() - started;
      assert.equal(res.status, 504);
      assert.ok(took >= 1900 && took < 4000, `answered after ${took} ms`);
      // The script and the child it started (same process group) are both gone.
      assert.ok(await waitFor(() => pids.every(processGone), 2000), `still running: ${pids}`);
      assert.match(srv.stderr(), /cgi \/cgi-bin\/hang\.sh: killed at the timeout, before its head/);
    });

    await t.step(
      "killed after its head: the body is left unfinished, the connection closed",
      async () => {
        const r = await exchange(
          srv.port,
          `GET /cgi-bin/hang-body.sh HTTP/1.1\r\nHost: t\r\n\r\n`,
          6000,
        );
        assert.ok(r.closed, "tuxd closes the connection");
        const raw = latin1(r.bytes);
        assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(raw, /Transfer-Encoding: chunked\r\n/);
        assert.match(raw, /started\n/);
        // No last chunk: the client can tell the body is incomplete.
        assert.ok(!raw.endsWith("0\r\n\r\n"), "no last chunk after a killed program");
        assert.throws(() => parseResponses(r.bytes), /truncated/);
      },
    );

    await t.step("beyond --cgi-max: 503 with Retry-After at once, never a queue", async () => {
      const first = fetch(new URL("/cgi-bin/slow.sh", srv.url));
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      const second = await fetch(new URL("/cgi-bin/slow.sh", srv.url));
      await second.body?.cancel();
      assert.equal(second.status, 503);
      assert.equal(second.headers.get("retry-after"), "1");
      assert.ok(Date.now() - started < 500, "refused without waiting");
      const res = await first;
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "slow done");
      // The slot is free again.
      const again = await fetch(new URL("/cgi-bin/slow.sh", srv.url));
      assert.equal(again.status, 200);
      await again.body?.cancel();
    });
  } finally {
    await srv.stop();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("CGI: a client that goes away takes its program with it", async (t) => {
  const { base, cgi, marks } = await setup("tuxd-cgi-gone-");
  // A long timeout: what kills the programs here is the disconnect, not the clock.
  const srv = await startTuxd({
    args: [
      "--cgi",
      `/cgi-bin/=${cgi}`,
      "--cgi-env",
      `/cgi-bin/=MARKS=${marks}`,
      "--cgi-timeout",
      "60",
    ],
  });
  try {
    await t.step("a silent program is killed when the client closes", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
      await conn.write(
        new TextEncoder().encode(`GET /cgi-bin/sleeper.sh HTTP/1.1\r\nHost: t\r\n\r\n`),
      );
      const pids = await readPids(`${marks}/sleeper.pids`, 2);
      assert.ok(!pids.some(processGone), "running while the client waits");
      conn.close();
      assert.ok(await waitFor(() => pids.every(processGone), 3000), `still running: ${pids}`);
    });

    await t.step("a program writing for ever is killed when the client closes", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
      await conn.write(
        new TextEncoder().encode(`GET /cgi-bin/writer.sh HTTP/1.1\r\nHost: t\r\n\r\n`),
      );
      const pids = await readPids(`${marks}/writer.pids`, 2);
      const buf = new Uint8Array(65536);
      let got = 0;
      while (got < 200_000) got += (await conn.read(buf)) ?? 0;
      assert.match(latin1(buf.subarray(0, 20)), /tuxd\r?\n|[0-9a-f]+\r\n/);
      conn.close();
      assert.ok(await waitFor(() => pids.every(processGone), 3000), `still running: ${pids}`);
    });

    await t.step("the server is fine afterwards", async () => {
      const res = await fetch(new URL("/cgi-bin/missing.sh", srv.url));
      await res.body?.cancel();
      assert.equal(res.status, 404);
    });
  } finally {
    await srv.stop();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("CGI: 50 MiB of output stream through with tuxd's memory bounded", async () => {
  const { base, cgi } = await setup("tuxd-cgi-big-");
  const srv = await startTuxd({ args: ["--cgi", `/cgi-bin/=${cgi}`] });
  try {
    const pid = serverPid(srv.pid);
    // Warm up (the CGI path, a first program) so the baseline includes what any request costs.
    const warm = await fetch(new URL("/cgi-bin/missing.sh", srv.url));
    await warm.body?.cancel();
    const before = procMemory(pid, "VmHWM");
    const res = await fetch(new URL("/cgi-bin/big.sh", srv.url));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("transfer-encoding"), "chunked");
    // Not reading for a while: a server that buffered the output would hold all of it now.
    await new Promise((r) => setTimeout(r, 1500));
    const pattern = new TextEncoder().encode(LINE);
    let total = 0;
    let bad = -1;
    for await (const chunk of res.body!) {
      for (let i = 0; i < chunk.length && bad < 0; i++) {
        if (chunk[i] !== pattern[(total + i) % 64]) bad = total + i;
      }
      total += chunk.length;
    }
    const after = procMemory(pid, "VmHWM");
    assert.equal(bad, -1, `output differs at byte ${bad}`);
    assert.equal(total, BIG);
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    assert.ok(after < 200 * 2 ** 20, `server peak RSS ${mib(after)} MiB`);
    assert.ok(
      after - before < 32 * 2 ** 20,
      `peak RSS grew ${mib(after - before)} MiB (from ${mib(before)})`,
    );
  } finally {
    await srv.stop();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("CGI: a body slower than --min-body-rate ends a streaming response without a 408 in it", async () => {
  const { base, cgi } = await setup("tuxd-cgi-slowbody-");
  const srv = await startTuxd({
    args: ["--cgi", `/cgi-bin/=${cgi}`, "--head-timeout", "1", "--min-body-rate", "10K"],
  });
  const c = await Client.open(srv.port);
  try {
    await c.write(`POST /cgi-bin/echo.sh HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n`);
    // 500 bytes a second: the program's answer has begun long before the rate check fails.
    for (let i = 0; i < 30 && !c.eof; i++) {
      await c.write(new Uint8Array(100).fill(0x61)).catch(() => {});
      await sleep(200);
    }
    assert.ok(await c.closedWithin(3000), "the connection was not closed");
    const all = latin1(c.received);
    assert.match(all, /^HTTP\/1\.1 200 /);
    assert.match(all, /start\n/);
    assert.equal(all.indexOf("HTTP/1.1", 1), -1, `a second response: ${all.slice(0, 400)}`);
  } finally {
    await c.close();
    await srv.stop();
    await Deno.remove(base, { recursive: true });
  }
});
