// A small application server to put behind tuxd (the TUX arrangement: tuxd serves the files,
// this app answers what is not a file). Plain Deno.serve: it needs no change to sit behind a
// proxy, which is the point.
//
//   deno run --allow-net=127.0.0.1 examples/backend/app.ts [--port 8000]
//
// Routes (all under /api/, so `--backend-prefix /api/` sends them here directly):
//   GET  /api/hello    a line of text, with the client address tuxd reports
//   POST /api/form     an application/x-www-form-urlencoded form, answered as JSON
//   POST /api/echo     the request body streamed back as it arrives (any size)
//   GET  /api/headers  the request's header fields as JSON (what the backend sees)
//   GET  /api/whoami   the remote port of the connection the request came on (pooling)
//   GET  /api/ws       a WebSocket that echoes every message

function portArg(args: string[]): number {
  const i = args.indexOf("--port");
  const raw = i >= 0 ? args[i + 1] : "8000";
  const port = Number(raw);
  if (!/^\d+$/.test(raw ?? "") || port > 65535) {
    console.error(`app: bad --port '${raw}'`);
    Deno.exit(2);
  }
  return port;
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

async function handle(req: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
  const url = new URL(req.url);
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case "GET /api/hello":
    case "HEAD /api/hello": {
      const client = req.headers.get("x-forwarded-for") ?? "unknown";
      return new Response(`hello from the app, ${client}\n`, {
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    case "POST /api/form": {
      const type = req.headers.get("content-type") ?? "";
      if (!type.startsWith("application/x-www-form-urlencoded")) {
        return json({ error: "expected a urlencoded form" }, 415);
      }
      const form = new URLSearchParams(await req.text());
      return json({ received: Object.fromEntries(form) });
    }
    case "POST /api/echo":
    case "PUT /api/echo":
      // Streamed: the body goes back as it comes in, never held whole.
      return new Response(req.body, {
        headers: { "content-type": req.headers.get("content-type") ?? "application/octet-stream" },
      });
    case "GET /api/headers":
      return json({
        method: req.method,
        url: url.pathname + url.search,
        headers: [...req.headers],
      });
    case "GET /api/whoami":
      return json({ port: (info.remoteAddr as Deno.NetAddr).port });
    case "GET /api/ws": {
      if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return new Response("expected a WebSocket upgrade\n", { status: 426 });
      }
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onmessage = (e) => socket.send(e.data);
      return response;
    }
  }
  return json({ error: `no route for ${route}` }, 404);
}

if (import.meta.main) {
  const port = portArg(Deno.args);
  Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: (addr) => console.log(`app listening on http://127.0.0.1:${addr.port}/`),
  }, handle);
}
