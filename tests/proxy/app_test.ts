/**
 * The TUX arrangement with a Deno application behind tuxd (examples/backend): tuxd serves
 * examples/backend/public from disk and forwards /api/ (and whatever it lacks) to
 * examples/backend/app.ts. A form POST, a 20 MiB upload echoed back (Content-Length and
 * chunked), pooled backend connections, WebSocket echo with Deno's client and with headless
 * Chromium.
 */
import assert from "node:assert/strict";
import { parseResponses, rawRequest, startTuxd, text } from "../_util/server.ts";
import { launchChromium } from "../_util/chromium.ts";
import { sha256, startApp } from "./_util.ts";

const MiB = 1024 * 1024;

/** Deterministic pseudo-random bytes (xorshift), so a failure is reproducible. */
function noise(n: number, seed = 0x9e3779b9): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = seed | 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Receives one message (or fails on error/close/timeout). */
function nextMessage(ws: WebSocket, ms = 10_000): Promise<MessageEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no WebSocket message in time")), ms);
    const done = () => {
      clearTimeout(timer);
      ws.removeEventListener("message", onMessage);
      ws.removeEventListener("close", onClose);
    };
    const onMessage = (e: MessageEvent) => {
      done();
      resolve(e);
    };
    const onClose = () => {
      done();
      reject(new Error("WebSocket closed"));
    };
    ws.addEventListener("message", onMessage);
    ws.addEventListener("close", onClose);
  });
}

Deno.test("Deno app behind tuxd: forms, 20 MiB echo, pooling, WebSocket, Chromium", async (t) => {
  const app = await startApp();
  const srv = await startTuxd({
    root: "examples/backend/public",
    args: ["--backend", app.url, "--backend-prefix", "/api/"],
  });
  const client = Deno.createHttpClient({});
  const get = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, srv.url), { client, signal: AbortSignal.timeout(30_000), ...init });
  try {
    await t.step("the page is a file tuxd serves itself", async () => {
      const res = await get("/");
      const body = await res.text();
      assert.equal(res.status, 200);
      assert.ok(body.includes("tuxd in front, an app behind"));
      assert.ok(res.headers.get("etag"), "a static file has an ETag");
      assert.equal(res.headers.get("server"), "tuxd");
    });

    await t.step("a form POST reaches the app and its JSON comes back", async () => {
      const res = await get("/api/form", {
        method: "POST",
        body: new URLSearchParams({ name: "Tux", motto: "serve it fast & small" }),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
      assert.deepEqual(await res.json(), {
        received: { name: "Tux", motto: "serve it fast & small" },
      });
    });

    await t.step("20 MiB with Content-Length, echoed back byte for byte", async () => {
      const data = noise(20 * MiB);
      const res = await get("/api/echo", {
        method: "POST",
        body: data,
        headers: { "content-type": "application/octet-stream" },
      });
      assert.equal(res.status, 200);
      const back = new Uint8Array(await res.arrayBuffer());
      assert.equal(back.length, data.length);
      assert.equal(await sha256(back), await sha256(data));
    });

    await t.step("20 MiB sent chunked, echoed back byte for byte", async () => {
      const data = noise(20 * MiB, 12345);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= data.length) return controller.close();
          const n = Math.min(256 * 1024, data.length - sent);
          controller.enqueue(data.slice(sent, sent + n));
          sent += n;
        },
      });
      const res = await get("/api/echo", { method: "PUT", body: stream });
      assert.equal(res.status, 200);
      const back = new Uint8Array(await res.arrayBuffer());
      assert.equal(back.length, data.length);
      assert.equal(await sha256(back), await sha256(data));
    });

    await t.step(
      "the backend connection is pooled: one connection for sequential requests",
      async () => {
        const ports = new Set<number>();
        for (let i = 0; i < 5; i++) {
          const res = await get("/api/whoami");
          ports.add((await res.json()).port);
        }
        assert.equal(ports.size, 1, `backend saw connections from ports ${[...ports]}`);
      },
    );

    await t.step(
      "what tuxd lacks goes to the app, whose 404 passes through unchanged",
      async () => {
        const res = await get("/no/such/file.html");
        assert.equal(res.status, 404);
        assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
        assert.deepEqual(await res.json(), { error: "no route for GET /no/such/file.html" });
        const post = await get("/index.html", { method: "POST", body: "x" });
        assert.equal(post.status, 404, "POST to a file is the app's business");
        assert.deepEqual(await post.json(), { error: "no route for POST /index.html" });
      },
    );

    await t.step("HTTP/1.0 client: never chunked, the body whole", async () => {
      const raw = await rawRequest(
        srv.port,
        "POST /api/echo HTTP/1.0\r\nContent-Length: 11\r\n\r\nhello there",
      );
      const [r] = parseResponses(raw);
      assert.equal(r.status, 200);
      // Deno.serve sends a stream chunked, or with a length when it ends at once.
      assert.notEqual(r.framing, "chunked", "no chunked to an HTTP/1.0 client");
      assert.equal(text(r.body), "hello there");
    });

    await t.step("WebSocket echo with Deno's client: text and a 1 MiB binary message", async () => {
      const ws = new WebSocket(new URL("/api/ws", srv.url.replace(/^http/, "ws")));
      ws.binaryType = "arraybuffer";
      try {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve, reject) => {
          ws.onopen = () => resolve();
          ws.onerror = () => reject(new Error("WebSocket did not open"));
          timer = setTimeout(() => reject(new Error("WebSocket open timed out")), 10_000);
        }).finally(() => clearTimeout(timer));
        ws.send("penguins 🐧");
        assert.equal((await nextMessage(ws)).data, "penguins 🐧");
        const blob = noise(MiB, 7);
        ws.send(blob);
        const back = new Uint8Array((await nextMessage(ws)).data as ArrayBuffer);
        assert.equal(await sha256(back), await sha256(blob));
      } finally {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const closed = new Promise((r) => {
          ws.onclose = r;
          timer = setTimeout(r, 5000);
        });
        ws.close();
        await closed;
        clearTimeout(timer);
      }
    });

    await t.step("headless Chromium: the page's form and WebSocket work through tuxd", async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.loadPage(srv.url);
        assert.deepEqual(page.failures, []);
        assert.deepEqual(await page.evaluate("sendForm()"), { received: { name: "Tux" } });
        assert.equal(await page.evaluate("wsEcho('from chromium')"), "from chromium");
      } finally {
        await browser.close();
      }
    });

    await t.step("no error lines from tuxd", () => {
      assert.doesNotMatch(srv.stderr(), /tuxd: /);
    });
  } finally {
    client.close();
    await srv.stop();
    await app.stop();
  }
});
