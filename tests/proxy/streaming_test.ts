/**
 * Bodies stream both ways without being held whole, with backpressure, and a client that
 * disconnects cancels the backend request: checked at a raw backend that sees every byte as
 * tuxd forwards it.
 */
import assert from "node:assert/strict";
import { startTuxd } from "../_util/server.ts";
import { eventually, rawBackend, Reader, sleep, writeAll } from "./_util.ts";

const MiB = 1024 * 1024;

interface Probe {
  /** Request body bytes the backend has received so far. */
  received: number;
  /** Response bytes the backend has written so far. */
  written: number;
  /** The backend saw the client's cancellation (EOF or a failed write). */
  cancelled: boolean;
  release: () => void;
}

function probe(): Probe {
  return { received: 0, written: 0, cancelled: false, release: () => {} };
}

/** Behaviours by path; each records what it sees in the probe for that path. */
function streamingBackend(probes: Record<string, Probe>) {
  return rawBackend(async (conn) => {
    const r = new Reader(conn);
    const head = await r.head();
    if (!head) return;
    const path = head.requestLine.split(" ")[1];
    const p = probes[path];
    const cl = Number(head.fields.find(([n]) => n.toLowerCase() === "content-length")?.[1] ?? 0);
    if (path === "/upload" || path === "/upload-cut") {
      while (p.received < cl) {
        const got = await r.some(cl - p.received);
        if (got.length === 0) {
          p.cancelled = true;
          return;
        }
        p.received += got.length;
      }
      await writeAll(conn, `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`);
    } else if (path === "/drip") {
      await writeAll(conn, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\npart1\n\r\n");
      await new Promise<void>((resolve) => p.release = resolve);
      await writeAll(conn, "6\r\npart2\n\r\n0\r\n\r\n");
    } else if (path === "/flood") {
      const total = 256 * MiB;
      await writeAll(conn, `HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      const block = new Uint8Array(256 * 1024);
      try {
        while (p.written < total) {
          await writeAll(conn, block);
          p.written += block.length;
        }
      } catch {
        p.cancelled = true;
      }
    } else if (path === "/wait") {
      // Never answers: tuxd must close this connection when its client goes away.
      p.cancelled = await r.closed(10_000);
    }
  });
}

Deno.test("streaming: request and response bodies flow as they come", async (t) => {
  const probes = {
    "/upload": probe(),
    "/upload-cut": probe(),
    "/drip": probe(),
    "/flood": probe(),
    "/wait": probe(),
  };
  const backend = streamingBackend(probes);
  const srv = await startTuxd({ root: "examples/site", args: ["--backend", backend.url] });
  const connect = () => Deno.connect({ hostname: "127.0.0.1", port: srv.port });
  try {
    await t.step(
      "the upload reaches the backend before the client has sent all of it",
      async () => {
        const p = probes["/upload"];
        const conn = await connect();
        try {
          await writeAll(
            conn,
            `POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: ${2 * MiB}\r\n\r\n`,
          );
          await writeAll(conn, new Uint8Array(MiB).fill(1));
          assert.ok(
            await eventually(() => p.received >= MiB, 5000),
            `backend has ${p.received} of the first MiB`,
          );
          assert.ok(p.received <= MiB, "nothing invented");
          await writeAll(conn, new Uint8Array(MiB).fill(2));
          const h = await new Reader(conn).head();
          assert.match(h!.requestLine, /^HTTP\/1\.1 200 /);
          assert.equal(p.received, 2 * MiB);
        } finally {
          conn.close();
        }
      },
    );

    await t.step(
      "the response reaches the client before the backend has sent all of it",
      async () => {
        const p = probes["/drip"];
        const conn = await connect();
        try {
          await writeAll(conn, "GET /drip HTTP/1.1\r\nHost: t\r\n\r\n");
          const r = new Reader(conn);
          const h = await r.head();
          assert.ok(h!.fields.some(([n, v]) => n === "Transfer-Encoding" && v === "chunked"));
          assert.equal(await r.line(), "6");
          assert.equal(new TextDecoder().decode(await r.bytes(6)), "part1\n");
          p.release(); // only now does the backend send the rest
          assert.equal(await r.line(), "");
          assert.equal(new TextDecoder().decode(await r.chunked()), "part2\n");
        } finally {
          p.release();
          conn.close();
        }
      },
    );

    await t.step("a client that does not read holds the backend back (backpressure)", async () => {
      const p = probes["/flood"];
      const conn = await connect();
      try {
        await writeAll(conn, "GET /flood HTTP/1.1\r\nHost: t\r\n\r\n");
        await sleep(1500); // read nothing: socket buffers fill, then everything waits
        const stalled = p.written;
        await sleep(500);
        assert.ok(stalled > 0, "the backend started");
        assert.ok(
          stalled < 64 * MiB,
          `the backend wrote ${stalled} bytes to a client reading none`,
        );
        assert.equal(p.written, stalled, "and then waited");
      } finally {
        conn.close();
      }
      // The client left mid-download: the backend's request is cancelled.
      assert.ok(await eventually(() => p.cancelled, 5000), "backend connection closed");
    });

    await t.step("a client that leaves while the backend works cancels the request", async () => {
      const p = probes["/wait"];
      const conn = await connect();
      await writeAll(conn, "GET /wait HTTP/1.1\r\nHost: t\r\n\r\n");
      await sleep(200);
      conn.close();
      assert.ok(await eventually(() => p.cancelled, 5000), "backend saw its connection close");
    });

    await t.step("a client that leaves mid-upload cancels the request", async () => {
      const p = probes["/upload-cut"];
      const conn = await connect();
      await writeAll(
        conn,
        `POST /upload-cut HTTP/1.1\r\nHost: t\r\nContent-Length: ${MiB}\r\n\r\n`,
      );
      await writeAll(conn, new Uint8Array(1000));
      assert.ok(await eventually(() => p.received >= 1000, 5000));
      conn.close();
      assert.ok(await eventually(() => p.cancelled, 5000), "backend saw the body end early");
      assert.ok(p.received < MiB);
    });
  } finally {
    for (const p of Object.values(probes)) p.release();
    await srv.stop();
    await backend.stop();
  }
});
