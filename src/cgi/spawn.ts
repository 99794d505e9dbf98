// Running one CGI program: spawned with nothing of tuxd's environment, in its own directory
// (RFC 3875 §7.2) and its own session, so that killing it also ends what it started. Native
// programs get an unprivileged user when tuxd runs as root; .ts/.js scripts get Deno's
// sandbox instead. The request body is fed to stdin with backpressure; stderr goes to the
// error log line by line, with the script's name.

import type { BodyReader } from "../body.ts";
import { scriptFlags } from "./permissions.ts";
import type { Program } from "./map.ts";

/** Apache suexec's safe PATH (AP_SAFE_PATH): what shell scripts need to find `cat` & co. */
export const SAFE_PATH = "/usr/local/bin:/usr/bin:/bin";

/** Longest stderr line logged; the rest of it is cut. */
const LOG_LINE_MAX = 2000;

export interface SpawnOptions {
  program: Program;
  /** Shown in log lines: the script's URL path. */
  label: string;
  /** The meta-variables (cgiEnv). */
  env: Record<string, string>;
  /** --cgi-env of the mapping, applied under the meta-variables. */
  fixedEnv: readonly [string, string][];
  /** --cgi-allow of the mapping (scripts only). */
  allow: readonly string[];
  /** uid/gid for native programs, or null to keep tuxd's own. */
  user: { uid: number; gid: number } | null;
  /** Whether stdin carries a body. */
  stdin: boolean;
}

export class CgiProcess {
  readonly child: Deno.ChildProcess;
  readonly label: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Deno.CommandStatus>;
  #user: { uid: number; gid: number } | null;
  #done = false;
  #killed = false;
  #stderr: Promise<void>;
  #stderrReader: ReadableStreamDefaultReader<string> | null = null;

  /** Spawns the program; throws what Deno.Command throws (NotCapable, NotFound, …). */
  constructor(opts: SpawnOptions) {
    const p = opts.program;
    const fixed = Object.fromEntries(opts.fixedEnv);
    let command: string;
    let args: string[];
    let env: Record<string, string>;
    if (p.kind === "deno") {
      // The script may read exactly the variables it is given; the runtime's own settings
      // (no update check, no colour in stderr) are for deno, not for the script.
      env = { ...fixed, ...opts.env };
      const names = Object.keys(env);
      command = "deno";
      args = ["run", ...scriptFlags(p.dir, names, opts.allow), p.path];
      env = { ...env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
    } else {
      command = p.path;
      // RFC 3875 §4.4 command-line words for "indexed" queries are not passed: an argument
      // a client controls is how CVE-2012-1823 turned php-cgi into remote code execution.
      args = [];
      env = { PATH: SAFE_PATH, ...fixed, ...opts.env };
    }
    this.label = opts.label;
    this.#user = p.kind === "native" ? opts.user : null;
    this.child = new Deno.Command(command, {
      args,
      cwd: p.dir,
      clearEnv: true,
      env,
      ...(this.#user ?? {}),
      stdin: opts.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      // A new session: the program leads its own process group, which kill() ends whole.
      detached: true,
    }).spawn();
    this.exited = this.child.status.finally(() => {
      this.#done = true;
    });
    this.#stderr = this.#logStderr();
  }

  get pid(): number {
    return this.child.pid;
  }

  get killed(): boolean {
    return this.#killed;
  }

  /**
   * Kills the program and everything in its process group, at once (SIGKILL): on timeout,
   * client disconnect, or an invalid response. Deno can signal a group only with unlimited
   * --allow-run, so the group is signalled by `kill`, as the program's own user where it
   * has one, which can then reach nothing else.
   */
  kill(): void {
    if (this.#done || this.#killed) return;
    this.#killed = true;
    try {
      new Deno.Command("kill", {
        args: ["-KILL", "--", `-${this.child.pid}`],
        clearEnv: true,
        ...(this.#user ?? {}),
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn().status.catch(() => {});
    } catch {
      // no `kill` to run: the program itself is still killed below
    }
    try {
      this.child.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }

  /**
   * Feeds the request body to stdin, then closes it (end of file). Resolves when the body
   * has been read to its end or the program stopped reading (it exited or closed stdin);
   * rejects with the BodyReader's error (a malformed body, or the client went away).
   */
  async pump(body: BodyReader): Promise<void> {
    const writer = this.child.stdin.getWriter();
    try {
      while (true) {
        const piece = await body.read();
        if (piece === null) break;
        try {
          // A copy: the view is only valid until the next read, the write may outlive it.
          await writer.write(piece.slice());
        } catch {
          return; // the program does not want (the rest of) the body
        }
      }
      await writer.close().catch(() => {});
    } finally {
      writer.releaseLock();
      await this.child.stdin.close().catch(() => {});
    }
  }

  /** Waits for exit, then for stderr to be logged (briefly: a grandchild may hold it). */
  async finish(): Promise<Deno.CommandStatus> {
    const status = await this.exited;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.#stderr, new Promise((r) => (timer = setTimeout(r, 200)))]);
    clearTimeout(timer);
    this.#stderrReader?.cancel().catch(() => {});
    return status;
  }

  async #logStderr(): Promise<void> {
    let pending = "";
    const log = (line: string) => {
      if (line.length > LOG_LINE_MAX) line = line.slice(0, LOG_LINE_MAX) + "…";
      console.error(`tuxd: cgi ${this.label}: ${line}`);
    };
    const reader = this.child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    this.#stderrReader = reader;
    try {
      while (true) {
        const { value: text, done } = await reader.read();
        if (done) break;
        pending += text;
        let nl;
        while ((nl = pending.indexOf("\n")) >= 0) {
          log(pending.slice(0, nl).replace(/\r$/, ""));
          pending = pending.slice(nl + 1);
        }
        if (pending.length > LOG_LINE_MAX) {
          log(pending);
          pending = "";
        }
      }
    } catch {
      // cancelled after exit
    }
    if (pending) log(pending);
  }
}
