/**
 * A small headless-Chromium driver over the DevTools protocol (CDP), using Deno's built-in
 * WebSocket. Everything is bounded by timeouts; `close()` kills the browser's process group.
 *
 * ```ts
 * const browser = await launchChromium();
 * try {
 *   const page = await browser.loadPage("http://127.0.0.1:8080/");
 *   // page.responses, page.failures, await page.screenshot("/tmp/x.png"), await page.evaluate("1+1")
 * } finally {
 *   await browser.close();
 * }
 * ```
 */

/** Chromium binary: $CHROMIUM if set, else /usr/bin/chromium. */
export const CHROMIUM_BIN: string = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";

export interface LaunchOptions {
  /** Extra Chromium flags. */
  args?: string[];
  /** Time to wait for the `DevTools listening on` line (default 20 000 ms). */
  startTimeoutMs?: number;
  /** Default time limit for one CDP command (default 15 000 ms). */
  commandTimeoutMs?: number;
  /** Window size (default 1280x800). */
  width?: number;
  height?: number;
}

export interface ResponseInfo {
  url: string;
  status: number;
  mimeType: string;
  /** CDP resource type: Document, Stylesheet, Script, Image, Media, Fetch, XHR, Other, ... */
  resourceType: string;
  /** Response headers as CDP reports them (names as received). */
  headers: Record<string, string>;
  /** True if served from a cache rather than the network. */
  fromCache: boolean;
}

export interface RedirectInfo {
  url: string;
  status: number;
  location: string;
}

export interface LoadOptions {
  /** Overall limit for navigation, load event and quiet period (default 30 000 ms). */
  timeoutMs?: number;
  /** Network silence required after the load event (default 500 ms). */
  quietMs?: number;
  /** Disable the HTTP cache for this page (default true). */
  disableCache?: boolean;
}

export interface Page {
  /** URL navigated to. */
  url: string;
  /** Every response received (main document, subresources, fetches), in order. */
  responses: ResponseInfo[];
  /** Redirect hops (3xx answers that Chromium followed). */
  redirects: RedirectInfo[];
  /** `URL: net::ERR_...` for every request that failed (network level, incl. blocked). */
  failures: string[];
  /** Requests still unfinished when loadPage returned. */
  pending: string[];
  /** Uncaught exceptions and console.error messages from the page. */
  errors: string[];
  /** Take a PNG screenshot of the viewport, write it to `path`, return its bytes. */
  screenshot(path: string): Promise<Uint8Array>;
  /** Evaluate a JS expression in the page (promises awaited); returns the JSON value. */
  evaluate<T = unknown>(expression: string, timeoutMs?: number): Promise<T>;
  /** Send a raw CDP command to this page's session. */
  send<T = Record<string, unknown>>(
    method: string,
    params?: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<T>;
  /** Close the tab. */
  close(): Promise<void>;
}

export interface Browser {
  /** ws://... endpoint of the browser. */
  wsUrl: string;
  pid: number;
  /** Open a new tab, navigate to `url`, wait for the load event plus network quiet. */
  loadPage(url: string, opts?: LoadOptions): Promise<Page>;
  /** Close the browser, kill its process group, remove its profile directory. */
  close(): Promise<void>;
  /** Chromium's stderr so far. */
  stderr(): string;
}

type Json = Record<string, unknown>;
type Listener = (params: Json, sessionId?: string) => void;

class Cdp {
  #ws: WebSocket;
  #id = 0;
  #pending = new Map<
    number,
    { resolve(v: Json): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }
  >();
  #listeners = new Map<string, Set<Listener>>();
  #closed: Promise<void>;
  #isClosed = false;

  private constructor(ws: WebSocket, public commandTimeoutMs: number) {
    this.#ws = ws;
    this.#closed = new Promise((resolve) => {
      ws.addEventListener("close", () => {
        this.#isClosed = true;
        for (const [, p] of this.#pending) {
          clearTimeout(p.timer);
          p.reject(new Error("CDP connection closed"));
        }
        this.#pending.clear();
        resolve();
      });
    });
    ws.addEventListener("message", (ev) => {
      const msg = JSON.parse(String(ev.data));
      if (typeof msg.id === "number") {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.error) p.reject(new Error(`CDP error: ${JSON.stringify(msg.error)}`));
        else p.resolve(msg.result ?? {});
      } else if (typeof msg.method === "string") {
        for (const l of this.#listeners.get(msg.method) ?? []) l(msg.params ?? {}, msg.sessionId);
        for (const l of this.#listeners.get("*") ?? []) l(msg, msg.sessionId);
      }
    });
  }

  static connect(url: string, timeoutMs: number, commandTimeoutMs: number): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const timer = setTimeout(() => {
        ws.close();
        reject(new Error(`CDP: could not connect to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.addEventListener("open", () => {
        clearTimeout(timer);
        resolve(new Cdp(ws, commandTimeoutMs));
      }, { once: true });
      ws.addEventListener("error", (e) => {
        clearTimeout(timer);
        reject(new Error(`CDP: WebSocket error on ${url}: ${(e as ErrorEvent).message ?? e}`));
      }, { once: true });
    });
  }

  send<T = Json>(method: string, params: Json = {}, sessionId?: string, timeoutMs?: number) {
    if (this.#isClosed) return Promise.reject(new Error(`CDP closed; cannot send ${method}`));
    const id = ++this.#id;
    const limit = timeoutMs ?? this.commandTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`CDP: ${method} got no answer within ${limit} ms`));
      }, limit);
      this.#pending.set(id, { resolve: resolve as (v: Json) => void, reject, timer });
      this.#ws.send(
        JSON.stringify(sessionId ? { id, method, params, sessionId } : { id, method, params }),
      );
    });
  }

  on(method: string, l: Listener): () => void {
    let set = this.#listeners.get(method);
    if (!set) this.#listeners.set(method, set = new Set());
    set.add(l);
    return () => set!.delete(l);
  }

  async close(timeoutMs = 2000): Promise<void> {
    if (!this.#isClosed) {
      try {
        this.#ws.close();
      } catch {
        // already closing
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.#closed, new Promise((r) => timer = setTimeout(r, timeoutMs))]);
    clearTimeout(timer);
  }
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Start headless Chromium with remote debugging on a free port and connect to it.
 * Fails with a clear message if the binary is missing.
 */
export async function launchChromium(opts: LaunchOptions = {}): Promise<Browser> {
  try {
    const st = await Deno.stat(CHROMIUM_BIN);
    if (!st.isFile) throw new Error("not a file");
  } catch {
    throw new Error(
      `Chromium not found at ${CHROMIUM_BIN} (set $CHROMIUM to override). ` +
        `Install it (Debian: apt-get install chromium; .ci/run does this).`,
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "tuxd-chromium-" });
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--mute-audio",
    // Keep the browser hermetic: only loopback names resolve.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
    `--window-size=${opts.width ?? 1280},${opts.height ?? 800}`,
    `--user-data-dir=${profile}`,
    "--remote-debugging-port=0",
    ...(opts.args ?? []),
    "about:blank",
  ];
  const child = new Deno.Command(CHROMIUM_BIN, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    detached: true, // own process group: close() kills renderers and helpers too
  }).spawn();
  const pid = child.pid;
  let errText = "";
  let resolveWs: (u: string) => void = () => {};
  const wsFound = new Promise<string>((r) => resolveWs = r);
  const stderrDone = (async () => {
    try {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        errText += chunk;
        if (errText.length > 1 << 20) errText = errText.slice(-(1 << 19));
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(errText);
        if (m) resolveWs(m[1]);
      }
    } catch {
      // torn down
    }
  })();
  const status = child.status;

  let killed = false;
  const kill = async () => {
    if (!killed) {
      killed = true;
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      let t: ReturnType<typeof setTimeout> | undefined;
      const first = await Promise.race([status, new Promise((r) => t = setTimeout(r, 3000, null))]);
      clearTimeout(t);
      if (first === null) {
        try {
          Deno.kill(-pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      await status;
      try {
        Deno.kill(-pid, "SIGKILL"); // helpers that outlived the browser
      } catch {
        // none left
      }
      let t2: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([stderrDone, new Promise((r) => t2 = setTimeout(r, 3000))]);
      clearTimeout(t2);
      for (let i = 0; i < 5; i++) {
        try {
          await Deno.remove(profile, { recursive: true });
          break;
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) break;
          await sleep(200);
        }
      }
    }
  };

  const startLimit = opts.startTimeoutMs ?? 20_000;
  let startTimer: ReturnType<typeof setTimeout> | undefined;
  const found = await Promise.race([
    wsFound,
    status.then((s) => ({ exited: s })),
    new Promise<{ timeout: true }>((r) =>
      startTimer = setTimeout(r, startLimit, { timeout: true })
    ),
  ]);
  clearTimeout(startTimer);
  if (typeof found !== "string") {
    await kill();
    throw new Error(
      `Chromium (${CHROMIUM_BIN}) ${
        "exited" in found
          ? `exited early (code ${found.exited.code})`
          : `no DevTools line in ${startLimit} ms`
      }\n--- stderr ---\n${errText}`,
    );
  }
  const wsUrl = found;
  let cdp: Cdp;
  try {
    cdp = await Cdp.connect(wsUrl, 10_000, opts.commandTimeoutMs ?? 15_000);
  } catch (e) {
    await kill();
    throw e;
  }

  const loadPage = async (url: string, lo: LoadOptions = {}): Promise<Page> => {
    const limit = lo.timeoutMs ?? 30_000;
    const deadline = Date.now() + limit;
    const quietMs = lo.quietMs ?? 500;
    const { targetId } = await cdp.send<{ targetId: string }>("Target.createTarget", {
      url: "about:blank",
    });
    const { sessionId } = await cdp.send<{ sessionId: string }>("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    const send = <T = Json>(method: string, params: Json = {}, timeoutMs?: number) =>
      cdp.send<T>(method, params, sessionId, timeoutMs);

    const responses: ResponseInfo[] = [];
    const redirects: RedirectInfo[] = [];
    const failures: string[] = [];
    const errors: string[] = [];
    const inflight = new Map<string, string>();
    let lastEvent = Date.now();
    let loaded = false;
    const offs: (() => void)[] = [];
    const on = (method: string, f: (p: Json) => void) =>
      offs.push(cdp.on(method, (p, sid) => {
        if (sid === sessionId) f(p);
      }));
    on("Network.requestWillBeSent", (p) => {
      lastEvent = Date.now();
      const req = p.request as Json;
      const rr = p.redirectResponse as Json | undefined;
      if (rr) {
        const h = (rr.headers ?? {}) as Record<string, string>;
        const loc = Object.entries(h).find(([k]) => k.toLowerCase() === "location")?.[1] ?? "";
        redirects.push({ url: String(rr.url), status: Number(rr.status), location: loc });
      }
      inflight.set(String(p.requestId), String(req.url));
    });
    on("Network.responseReceived", (p) => {
      lastEvent = Date.now();
      const r = p.response as Json;
      responses.push({
        url: String(r.url),
        status: Number(r.status),
        mimeType: String(r.mimeType ?? ""),
        resourceType: String(p.type ?? ""),
        headers: (r.headers ?? {}) as Record<string, string>,
        fromCache: Boolean(r.fromDiskCache || r.fromPrefetchCache || r.fromServiceWorker),
      });
    });
    on("Network.loadingFinished", (p) => {
      lastEvent = Date.now();
      inflight.delete(String(p.requestId));
    });
    on("Network.loadingFailed", (p) => {
      lastEvent = Date.now();
      const u = inflight.get(String(p.requestId)) ?? `(request ${p.requestId})`;
      inflight.delete(String(p.requestId));
      const extra = [
        p.canceled ? "canceled" : "",
        p.blockedReason ? `blocked: ${p.blockedReason}` : "",
        p.corsErrorStatus ? `cors: ${JSON.stringify(p.corsErrorStatus)}` : "",
      ].filter(Boolean).join(", ");
      failures.push(`${u}: ${p.errorText}${extra ? ` (${extra})` : ""}`);
    });
    on("Page.loadEventFired", () => {
      loaded = true;
      lastEvent = Date.now();
    });
    on("Runtime.exceptionThrown", (p) => {
      const d = p.exceptionDetails as Json;
      const ex = d.exception as Json | undefined;
      errors.push(`exception: ${ex?.description ?? d.text}`);
    });
    on("Runtime.consoleAPICalled", (p) => {
      if (p.type !== "error") return;
      const args = (p.args as Json[]).map((a) => a.value ?? a.description ?? a.type);
      errors.push(`console.error: ${args.join(" ")}`);
    });

    const closePage = async () => {
      for (const off of offs.splice(0)) off();
      try {
        await cdp.send("Target.closeTarget", { targetId }, undefined, 5000);
      } catch {
        // browser gone
      }
    };

    try {
      await send("Network.enable");
      await send("Page.enable");
      await send("Runtime.enable");
      if (lo.disableCache ?? true) await send("Network.setCacheDisabled", { cacheDisabled: true });
      const nav = await send<{ errorText?: string }>("Page.navigate", { url }, limit);
      if (nav.errorText) failures.push(`${url}: ${nav.errorText} (navigation)`);
      while (Date.now() < deadline) {
        if (loaded && inflight.size === 0 && Date.now() - lastEvent >= quietMs) break;
        if (nav.errorText && Date.now() - lastEvent >= quietMs) break;
        await sleep(50);
      }
      if (!loaded && !nav.errorText) {
        throw new Error(
          `Chromium: no load event for ${url} within ${limit} ms; responses so far:\n` +
            responses.map((r) => `  ${r.status} ${r.url}`).join("\n") +
            `\nfailures:\n  ${failures.join("\n  ")}\npending:\n  ${
              [...inflight.values()].join("\n  ")
            }`,
        );
      }
    } catch (e) {
      await closePage();
      throw e;
    }

    return {
      url,
      responses,
      redirects,
      failures,
      pending: [...inflight.values()],
      errors,
      send,
      async screenshot(path: string) {
        const { data } = await send<{ data: string }>("Page.captureScreenshot", { format: "png" });
        const bin = atob(data);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        await Deno.writeFile(path, bytes);
        return bytes;
      },
      async evaluate<T>(expression: string, timeoutMs?: number): Promise<T> {
        const r = await send<{ result: Json; exceptionDetails?: Json }>("Runtime.evaluate", {
          expression,
          returnByValue: true,
          awaitPromise: true,
        }, timeoutMs);
        if (r.exceptionDetails) {
          const ex = r.exceptionDetails.exception as Json | undefined;
          throw new Error(
            `evaluate(${expression}) threw: ${ex?.description ?? r.exceptionDetails.text}`,
          );
        }
        return r.result.value as T;
      },
      close: closePage,
    };
  };

  return {
    wsUrl,
    pid,
    loadPage,
    stderr: () => errText,
    async close() {
      try {
        await cdp.send("Browser.close", {}, undefined, 3000);
      } catch {
        // it may close the socket before answering
      }
      await cdp.close();
      await kill();
    },
  };
}
