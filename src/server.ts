// The listener: accepts connections, gives each a WASM slot (the slot count is the connection
// limit), and sweeps timeouts once a second: idle keep-alive connections are closed, and a
// client that has not finished its request head by the deadline gets 408 (slowloris).

import * as abi from "./abi.ts";
import { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import {
  Connection,
  isDisconnect,
  LINGER_MS,
  LINGER_TOTAL_MS,
  Phase,
  type Site,
} from "./connection.ts";
import { type Handler, runChain } from "./handler.ts";
import { HeadBuilder } from "./head.ts";
import { CgiHandler } from "./cgi/handler.ts";
import { BackendHandler } from "./proxy/handler.ts";
import type { Request } from "./request.ts";
import { errorResponse, type Responder } from "./respond.ts";
import { ObjectCache } from "./static/cache.ts";
import { StaticFiles } from "./static/files.ts";
import { VirtualHosts } from "./static/vhosts.ts";
import { loadWasm, type Wasm } from "./wasm.ts";

const NO = Promise.resolve(false);

/** Input bytes per slot beyond the largest head, so a pipelined next request fits too. */
const SLOT_SLACK = 4096;

export interface Server {
  addr: Deno.NetAddr;
  /** Stops accepting, closes every connection, and resolves when all have ended. */
  close(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

export async function startServer(config: Config, root: string): Promise<Server> {
  const wasm = await loadWasm({
    slotCount: config.maxConnections,
    slotSize: config.maxHead + SLOT_SLACK,
    maxLine: config.maxLine,
    maxHead: config.maxHead,
    maxFields: config.maxFields,
    maxBody: config.maxBody,
    maxChunkExt: config.maxChunkExt,
  });
  const listener = Deno.listen({
    hostname: config.host,
    port: config.port,
    reusePort: config.workers !== 1,
    tcpBacklog: 4096,
  });
  const clock = new Clock(wasm);
  const cache = new ObjectCache(config.cacheFileMax, config.cacheTotalMax);
  const head = new HeadBuilder(wasm);
  const hidden = cgiDirs(config);
  const makeStatic = (siteRoot: string, siteCache: ObjectCache) =>
    new StaticFiles({
      root: siteRoot,
      cache: siteCache,
      clock,
      wasm,
      head,
      decline: config.backend !== null,
      listing: config.listing,
      errorPages: config.errorPages,
      cacheControl: config.cacheControl,
      cors: config.cors,
      hidden,
    });
  const statics: StaticFiles | VirtualHosts = config.vhosts
    ? new VirtualHosts(root, wasm, (siteRoot) => makeStatic(siteRoot, cache.partition()))
    : makeStatic(root, cache);
  const handlers: Handler[] = [];
  const listenAddr = listener.addr as Deno.NetAddr;
  if (config.cgi.length) {
    handlers.push(
      new CgiHandler({
        config,
        root,
        wasm,
        serverAddr: listenAddr,
        // A CGI Location with a local path: the new target goes through the whole chain.
        redirect: async (req, res, target) => {
          const next = req.redirected(target);
          if (next.redirects > 5) return res.error(500);
          await runChain(handlers, next, res);
        },
      }),
    );
  }
  const backend = config.backend
    ? new BackendHandler({ config, wasm, serverAddr: listenAddr })
    : null;
  if (backend && config.backendPrefixes.length) {
    handlers.push({
      handle: (req, res) => backend.underPrefix(req) ? backend.handle(req, res) : NO,
    });
  }
  handlers.push(statics);
  if (backend) handlers.push(backend);
  const site: Site = {
    fast: (c) => statics.fast(c),
    handle: (req: Request, res: Responder) => runChain(handlers, req, res),
  };
  const connections = new Set<Connection>();
  const free: number[] = [];
  for (let i = config.maxConnections - 1; i >= 0; i--) free.push(i);
  const busy = errorResponse(wasm, 503, abi.CONN_CLOSE, {
    raw: "Retry-After: 1\r\n",
  });

  const sweeper = setInterval(() => sweep(wasm, connections, config), 1000);
  Deno.unrefTimer(sweeper);

  const finished = (async () => {
    const tasks = new Set<Promise<void>>();
    while (true) {
      let raw: Deno.TcpConn;
      try {
        raw = await listener.accept();
      } catch (err) {
        if (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted) break;
        // Transient (EMFILE, a connection reset before it was accepted): pause briefly.
        if (!isDisconnect(err)) console.error(`tuxd: accept: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const slot = free.pop();
      if (slot === undefined) {
        // Over the connection limit: a short 503 and close, without reading or waiting.
        raw.write(busy).catch(() => {}).finally(() => closeQuietly(raw));
        continue;
      }
      try {
        raw.setNoDelay(true);
      } catch {
        // not fatal
      }
      const c = new Connection(wasm, raw, slot, site, config);
      connections.add(c);
      const task = c.run().finally(() => {
        connections.delete(c);
        free.push(slot);
        tasks.delete(task);
      });
      tasks.add(task);
    }
    for (const c of connections) c.close();
    await Promise.allSettled([...tasks]);
    clearInterval(sweeper);
    clock.stop();
    backend?.close();
  })();

  return {
    addr: listener.addr as Deno.NetAddr,
    finished,
    async close() {
      try {
        listener.close();
      } catch {
        // already closed
      }
      await finished;
    },
  };
}

function sweep(wasm: Wasm, connections: Set<Connection>, config: Config): void {
  const now = Date.now();
  for (const c of connections) {
    if (c.sendSince !== 0) {
      // A response is being written: no other clock runs, and a client that takes nothing
      // for --send-timeout is dropped (nginx's send_timeout).
      if (now - c.sendSince > config.sendTimeout * 1000) c.close();
      continue;
    }
    const age = now - c.since;
    if (c.phase === Phase.Idle && age > config.idleTimeout * 1000) {
      c.close();
    } else if (c.phase === Phase.Head && age > config.headTimeout * 1000) {
      // 408 to a client that sent part of a head; a silent close to one that sent nothing
      // (a browser's speculative connection is not a request, RFC 9110 §15.5.9).
      c.abort(c.filled > c.start ? errorResponse(wasm, 408, abi.CONN_CLOSE) : null);
    } else if (
      c.phase === Phase.Closing && (age > LINGER_MS || now - c.lingerSince > LINGER_TOTAL_MS)
    ) {
      c.close();
    } else if (c.phase === Phase.Body) {
      // A body trickling in slower than --min-body-rate, averaged over the time spent waiting
      // for it after a head-timeout's grace.
      const seconds = c.bodyWaitMs(now) / 1000;
      if (seconds > config.headTimeout && c.bodyBytes / seconds < config.minBodyRate) {
        // Once a response has begun (a program streaming while it reads, or a body dropped
        // after the answer), a 408 would be a second answer inside or after the first.
        if (c.answered) c.close();
        else c.abort(errorResponse(wasm, 408, abi.CONN_CLOSE));
      }
    }
  }
}

/** Real paths of the CGI directories that exist: the static handler never serves them. */
function cgiDirs(config: Config): string[] {
  const out: string[] = [];
  for (const [, dir] of config.cgi) {
    try {
      out.push(Deno.realPathSync(dir));
    } catch {
      // a missing CGI directory is reported by the CGI handler
    }
  }
  return out;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
