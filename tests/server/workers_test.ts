// --workers: several server isolates on one port (SO_REUSEPORT), started through the launcher
// with its narrow permissions, serving alike and stopping together.

import { startTuxd } from "../_util/server.ts";

Deno.test("tuxd --workers 2 serves every connection and stops cleanly", async () => {
  const srv = await startTuxd({ args: ["--workers", "2"] });
  let stopped = false;
  try {
    const want = await Deno.readFile("examples/site/style.css");
    // Separate connections, so the kernel spreads them over both listeners.
    const bodies = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const res = await fetch(`${srv.url}style.css`, { headers: { connection: "close" } });
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        return new Uint8Array(await res.arrayBuffer());
      }),
    );
    for (const body of bodies) {
      if (body.length !== want.length || !body.every((b, i) => b === want[i])) {
        throw new Error("a worker served different bytes");
      }
    }
    const cgi = await fetch(`${srv.url}cgi-bin/hello.sh`);
    await cgi.body?.cancel();
    if (cgi.status !== 200) throw new Error(`CGI through a worker: ${cgi.status}`);
    const status = await srv.stop();
    stopped = true;
    if (!status.success) throw new Error(`exit status ${status.code}\n${srv.stderr()}`);
  } finally {
    if (!stopped) await srv.stop();
  }
});
