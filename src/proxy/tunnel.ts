// After a 101 Switching Protocols (RFC 9110 §15.2.2, §7.8) both connections carry the new
// protocol (a WebSocket, RFC 6455 §4): tuxd copies bytes each way without looking at them,
// each write awaited before the next read (backpressure). An end of stream on one side is
// passed on as a half-close; when both directions are done, or either fails, both close.

const BUFFER = 64 * 1024;

export interface TunnelEnd {
  conn: Deno.TcpConn;
  /** Bytes already read from this side, still owed to the other. */
  buffered: Uint8Array;
}

/** Runs the tunnel until both directions end; closes both connections. */
export async function tunnel(client: TunnelEnd, backend: TunnelEnd): Promise<void> {
  let failed = false;
  const closeBoth = () => {
    for (const c of [client.conn, backend.conn]) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
  };
  const pipe = async (from: TunnelEnd, to: TunnelEnd) => {
    try {
      await writeAll(to.conn, from.buffered);
      const buf = new Uint8Array(BUFFER);
      while (true) {
        const n = await from.conn.read(buf);
        if (n === null) break;
        await writeAll(to.conn, buf.subarray(0, n));
      }
      await to.conn.closeWrite();
    } catch {
      // One side failed (reset, or closed by shutdown): nothing more can be delivered.
      if (!failed) {
        failed = true;
        closeBoth();
      }
    }
  };
  await Promise.all([pipe(client, backend), pipe(backend, client)]);
  closeBoth();
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}
