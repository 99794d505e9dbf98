/**
 * The keep-alive pool (src/proxy/pool.ts) against a raw loopback server: reuse, an idle
 * connection the backend closes leaves the pool at once, stray bytes spoil a connection, and
 * the permission flag the server child gets for the backend (src/proxy/permissions.ts).
 */
import assert from "node:assert/strict";
import { BackendPool } from "../../src/proxy/pool.ts";
import { backendPermissionFlags } from "../../src/proxy/permissions.ts";
import { parseArgs } from "../../src/config.ts";
import { permissionFlags } from "../../src/permissions.ts";
import { eventually, rawBackend, sleep, writeAll } from "./_util.ts";

Deno.test("pool: a released connection is reused; a fresh one is asked for explicitly", async () => {
  const peers: Deno.TcpConn[] = [];
  const backend = rawBackend(async (conn) => {
    peers.push(conn);
    await conn.read(new Uint8Array(16)); // held open until the pool closes it
  });
  const pool = new BackendPool({ hostname: "127.0.0.1", port: backend.port });
  try {
    const a = await pool.acquire();
    a.uses++;
    pool.release(a);
    assert.equal(pool.idleCount, 1);
    const b = await pool.acquire();
    assert.equal(b, a, "the idle connection comes back");
    assert.equal(b.uses, 1, "and says it was used before");
    pool.release(b);
    const c = await pool.acquire(true);
    assert.notEqual(c, a, "fresh: a new connection even with one idle");
    c.close();
    assert.equal(pool.opened, 2);
  } finally {
    pool.close();
    await backend.stop();
  }
});

Deno.test("pool: an idle connection the backend closes leaves the pool at once", async () => {
  let hangUp: (() => void) | undefined;
  const backend = rawBackend(async (conn, n) => {
    if (n > 0) return void await conn.read(new Uint8Array(16));
    await new Promise<void>((r) => hangUp = r);
    conn.close();
  });
  const pool = new BackendPool({ hostname: "127.0.0.1", port: backend.port });
  try {
    const a = await pool.acquire();
    pool.release(a);
    assert.ok(await eventually(() => hangUp !== undefined, 2000));
    hangUp!();
    assert.ok(await eventually(() => pool.idleCount === 0, 2000), "dropped after the close");
    assert.equal(a.closed, true);
    const b = await pool.acquire();
    assert.notEqual(b, a);
    b.close();
  } finally {
    pool.close();
    await backend.stop();
  }
});

Deno.test("pool: bytes from the backend on an idle connection spoil it", async () => {
  const backend = rawBackend(async (conn) => {
    await sleep(100);
    await writeAll(conn, "HTTP/1.1 200 OK\r\n\r\n"); // unasked: a framing error
    await conn.read(new Uint8Array(16));
  });
  const pool = new BackendPool({ hostname: "127.0.0.1", port: backend.port });
  try {
    pool.release(await pool.acquire());
    assert.ok(await eventually(() => pool.idleCount === 0, 2000));
  } finally {
    pool.close();
    await backend.stop();
  }
});

Deno.test("pool: idle connections are closed after the idle time and beyond maxIdle", async () => {
  const backend = rawBackend(async (conn) => {
    await conn.read(new Uint8Array(16));
  });
  const pool = new BackendPool({
    hostname: "127.0.0.1",
    port: backend.port,
    maxIdle: 2,
    idleMs: 300,
  });
  try {
    const conns = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    for (const c of conns) pool.release(c);
    assert.equal(pool.idleCount, 2, "the oldest goes beyond maxIdle");
    assert.equal(conns[0].closed, true);
    assert.ok(await eventually(() => pool.idleCount === 0, 3000), "idle timeout");
    assert.ok(conns.every((c) => c.closed));
  } finally {
    pool.close();
    await backend.stop();
  }
});

Deno.test("pool: a refused connection rejects", async () => {
  const backend = rawBackend(() => Promise.resolve());
  await backend.stop(); // the port is free again: nothing listens
  const pool = new BackendPool({ hostname: "127.0.0.1", port: backend.port });
  await assert.rejects(pool.acquire(), Deno.errors.ConnectionRefused);
  pool.close();
});

Deno.test("permissions: the server child may connect to the backend and nowhere else", () => {
  assert.deepEqual(backendPermissionFlags(parseArgs([])), []);
  assert.deepEqual(
    backendPermissionFlags(parseArgs(["--backend", "http://127.0.0.1:9000/app"])),
    ["--allow-net=127.0.0.1:9000"],
  );
  assert.deepEqual(backendPermissionFlags(parseArgs(["--backend", "http://localhost"])), [
    "--allow-net=localhost:80",
  ]);
  assert.deepEqual(backendPermissionFlags(parseArgs(["--backend", "http://[::1]:81"])), [
    "--allow-net=[::1]:81",
  ]);
  const all = permissionFlags(parseArgs(["--port", "8080", "--backend", "http://10.0.0.2:81"]));
  assert.ok(all.includes("--allow-net=127.0.0.1:8080"), all.join(" "));
  assert.ok(all.includes("--allow-net=10.0.0.2:81"), all.join(" "));
});

Deno.test("permissions: Deno merges repeated --allow-net flags (the launcher relies on it)", async () => {
  const code = `const q = (host) => Deno.permissions.query({ name: "net", host });
    const a = await q("127.0.0.1:1"), b = await q("127.0.0.1:2"), c = await q("127.0.0.1:3");
    console.log(a.state, b.state, c.state);`;
  const file = await Deno.makeTempFile({ suffix: ".js" });
  await Deno.writeTextFile(file, code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-net=127.0.0.1:1", "--allow-net=127.0.0.1:2", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(file);
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(text, "granted granted prompt", new TextDecoder().decode(out.stderr));
});
