// CGI/1.1 (RFC 3875): requests under a --cgi prefix run the program they name, confined by
// Deno's sandbox (.ts/.js scripts) or by a clean environment and an unprivileged user
// (native programs), and bounded by a wall-clock timeout, a head size and a cap on programs
// running at once. Paths under a prefix are always answered here, never declined, so no
// spelling of a script's URL reaches the static handler (which, for its part, never serves
// a file inside a CGI directory).

import * as abi from "../abi.ts";
import { BodyError } from "../body.ts";
import type { Config } from "../config.ts";
import { isDisconnect } from "../connection.ts";
import type { Handler } from "../handler.ts";
import type { Request } from "../request.ts";
import type { Responder } from "../respond.ts";
import { normalizePath } from "../static/path.ts";
import type { Wasm } from "../wasm.ts";
import { cgiEnv } from "./env.ts";
import {
  buildMappings,
  type CgiMapping,
  type CgiTarget,
  matchPath,
  type Program,
  resolveProgram,
} from "./map.ts";
import { OutputReader, reply, type RunState } from "./reply.ts";
import { CgiProcess } from "./spawn.ts";
import { ClientWatch } from "./watch.ts";

export interface CgiOptions {
  config: Config;
  /** Real path of the document root. */
  root: string;
  wasm: Wasm;
  /** The listening address (SERVER_PORT, SERVER_NAME fallback). */
  serverAddr: Deno.NetAddr;
  /** Serves `target` as a new GET through the whole chain (a local-path Location). */
  redirect(req: Request, res: Responder, target: string): Promise<void>;
}

const RETRY_AFTER = "Retry-After: 1\r\n";

export class CgiHandler implements Handler {
  readonly #mappings: CgiMapping[];
  readonly #user: { uid: number; gid: number } | null;
  /** Programs running now (this server isolate). */
  #running = 0;

  constructor(readonly opts: CgiOptions) {
    this.#mappings = buildMappings(opts.config, (dir) => {
      const path = Deno.realPathSync(dir);
      return { path, isDirectory: Deno.statSync(path).isDirectory };
    });
    this.#user = runsAsRoot() ? parseUser(opts.config.cgiUser) : null;
  }

  async handle(req: Request, res: Responder): Promise<boolean> {
    const norm = normalizePath(req.rawPath);
    if (!norm.ok) return false; // the static handler answers the same path with its error
    const match = matchPath(this.#mappings, norm.path, norm.slash);
    if (match.kind === "none") return false;
    try {
      await this.#handle(req, res, match.kind === "target" ? match.target : null);
    } catch (err) {
      // The client went away mid-response, or worse: either way this connection is done.
      res.closeAfter = true;
      if (!isDisconnect(err)) throw err;
    } finally {
      // The outermost request ends the client watch; an internal redirect's request shares it.
      if (req.redirects === 0) {
        const keep = req.wantsKeepAlive && !res.closeAfter && !res.c.closed && !res.c.ending &&
          (req.body === null || req.body.done);
        await ClientWatch.settle(res.c, keep);
      }
    }
    return true;
  }

  async #handle(req: Request, res: Responder, target: CgiTarget | null): Promise<void> {
    // A CGI directory itself names no program, and is never listed.
    if (target === null) return res.error(404);
    if (req.flags & abi.F_EXPECT_OTHER) return res.error(417);
    const program = await resolveProgram(target);
    if (program === null) return res.error(404);
    if (this.#running >= this.opts.config.cgiMax) {
      // Never a queue: a client told to retry costs nothing while it waits.
      return res.error(503, { raw: RETRY_AFTER });
    }
    this.#running++;
    try {
      await this.#run(req, res, target, program);
    } finally {
      this.#running--;
    }
  }

  async #run(req: Request, res: Responder, target: CgiTarget, program: Program): Promise<void> {
    const { config, root, serverAddr } = this.opts;
    const env = cgiEnv({
      method: req.method,
      target: req.target,
      query: req.query,
      minor: req.minor,
      fields: req.fields,
      contentLength: req.flags & abi.F_CHUNKED ? -1 : req.contentLength,
      remoteAddr: req.remoteAddr.hostname,
      remotePort: req.remoteAddr.port,
      host: req.hostname,
      listenHost: serverAddr.hostname,
      listenPort: serverAddr.port,
      scriptName: target.scriptName,
      pathInfo: target.pathInfo,
      scriptFilename: program.path,
      documentRoot: root,
      passAuth: config.cgiPassAuth,
    });
    const label = target.scriptName;
    let proc: CgiProcess;
    try {
      proc = new CgiProcess({
        program,
        label,
        env,
        fixedEnv: target.mapping.env,
        allow: target.mapping.allow,
        user: this.#user,
        stdin: req.body !== null,
      });
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable) {
        // --allow-run names the programs present at launch.
        console.error(`tuxd: cgi ${label}: ${program.path} is newer than tuxd; restart to run it`);
        return res.error(404);
      }
      const user = program.kind === "native" ? this.#user : null;
      const hint = err instanceof Deno.errors.PermissionDenied && user
        ? ` (it runs as uid ${user.uid}: the program and the directories above it must let` +
          " that user in)"
        : "";
      console.error(
        `tuxd: cgi ${label}: cannot run ${program.path}: ${(err as Error).message}${hint}`,
      );
      return res.error(500);
    }

    const state: RunState = { timedOut: false, gone: false, bodyError: null };
    const stdout = new OutputReader(proc.child.stdout);
    const stop = () => {
      proc.kill();
      // A grandchild outside the process group could hold stdout open: stop reading it.
      stdout.cancel();
    };
    let expire!: () => void;
    const expired = new Promise<void>((resolve) => (expire = resolve));
    const timer = setTimeout(() => {
      state.timedOut = true;
      stop();
      expire();
    }, config.cgiTimeout * 1000);
    const watch = ClientWatch.of(res.c);
    const unlisten = watch.listen(() => {
      state.gone = true;
      stop();
    });
    let pumping: Promise<void> | null = null;
    let pumped = req.body === null;
    if (req.body) {
      const body = req.body;
      pumping = proc.pump(body).then(
        () => {
          pumped = true;
          if (body.done) watch.start();
        },
        (err) => {
          pumped = true;
          state.bodyError = err instanceof BodyError ? err : new BodyError(400, String(err));
          stop();
        },
      );
    } else watch.start();

    let redirect: string | null = null;
    try {
      redirect = await reply({
        req,
        res,
        proc,
        stdout,
        state,
        maxHead: config.cgiMaxHead,
        nph: program.nph,
      });
    } catch (err) {
      stop();
      throw err;
    } finally {
      unlisten();
      // The program closed stdout; its exit is still bounded by the timer.
      const status = await proc.finish();
      clearTimeout(timer);
      if (status.code !== 0 && !proc.killed) {
        console.error(`tuxd: cgi ${label}: exited with status ${status.code}`);
      }
      // A body the program did not read to its end, still arriving: the connection's framing
      // is lost with it.
      if (!pumped && redirect === null) res.closeAfter = true;
    }
    if (redirect !== null) {
      // The redirect target must not read the socket while the body is still being read.
      if (pumping && !pumped) {
        const timer = setTimeout(expire, config.cgiTimeout * 1000);
        await Promise.race([pumping, expired]);
        clearTimeout(timer);
        if (!pumped) {
          res.closeAfter = true;
          res.c.close();
          return;
        }
      }
      await this.opts.redirect(req, res, redirect);
    }
  }
}

/** Only root may give a program another user (setuid); Deno.uid needs --allow-sys=uid. */
function runsAsRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

/** --cgi-user "UID[:GID]"; the group defaults to the user's number. */
export function parseUser(spec: string): { uid: number; gid: number } {
  const [uid, gid] = spec.split(":").map(Number);
  return { uid, gid: gid ?? uid };
}
