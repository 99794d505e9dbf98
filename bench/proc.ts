// Process plumbing for the benchmark: every server and every wrk run is started in a process
// group of its own (via `setsid`), so that stopping it, or cleaning up on Ctrl-C, reaches all of
// its processes (nginx master + workers, lighttpd, h2o, deno, wrk). The groups alive at any time
// are tracked here.

/** Live process groups: id (= pid of the group leader) -> the leader's exit. */
const liveGroups = new Map<number, Promise<unknown>>();

/** The fd limit asked for in each spawned shell (falls back to the hard limit). */
export const NOFILE = 16384;

// bash prelude: raise the fd limit, then run "$@" (pinned with taskset by the caller).
const ULIMIT = `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true`;

export interface GroupProcess {
  pid: number;
  /** Resolves when the group leader exits. */
  status: Promise<Deno.CommandStatus>;
  exited: () => boolean;
}

/** Starts `argv` as the leader of a new session/process group, output appended to `logPath`. */
export function spawnGroup(
  argv: string[],
  opts: { logPath: string; cwd?: string; env?: Record<string, string> },
): GroupProcess {
  // setsid execs directly (Deno's child is no group leader), bash then execs "$@": the pid we get
  // is the server's own pid and its process-group id.
  const child = new Deno.Command("setsid", {
    args: ["bash", "-c", `${ULIMIT}; exec "$@" >>"$BENCH_LOG" 2>&1`, "bash", ...argv],
    cwd: opts.cwd,
    env: { ...opts.env, BENCH_LOG: opts.logPath },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  liveGroups.set(child.pid, child.status);
  let done = false;
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  return { pid: child.pid, status, exited: () => done };
}

/**
 * Runs `argv` in its own process group and collects its output; the group is killed after
 * `timeoutMs`. Returns also the CPU time (user+sys, seconds) the command used, from bash `times`.
 */
export async function runGroup(
  argv: string[],
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string; cpuSec: number; timedOut: boolean }> {
  const child = new Deno.Command("setsid", {
    args: ["bash", "-c", RUN_AND_TIME, "bash", ...argv],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  liveGroups.set(child.pid, child.status);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(child.pid, "SIGKILL");
  }, timeoutMs);
  try {
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    let stderr = new TextDecoder().decode(out.stderr);
    let cpuSec = NaN;
    const at = stderr.lastIndexOf("@@times\n");
    if (at >= 0) {
      // second line of `times`: children's user and system time, e.g. "0m4.123s 0m0.877s"
      const lines = stderr.slice(at + 8).trim().split("\n");
      cpuSec = (lines[1] ?? "").trim().split(/\s+/).map(parseBashTime).reduce((a, b) => a + b, 0);
      stderr = stderr.slice(0, at);
    }
    return { code: out.code, stdout, stderr, cpuSec, timedOut };
  } finally {
    clearTimeout(timer);
    signalGroup(child.pid, "SIGKILL"); // leftovers, if any
    liveGroups.delete(child.pid);
  }
}

// The command runs in the background so that a TERM to the group lets bash reap it.
const RUN_AND_TIME = `${ULIMIT}
"$@" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; exit 143' TERM INT
wait $pid
rc=$?
echo "@@times" >&2
times >&2
exit $rc`;

function parseBashTime(s: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

function signalGroup(pgid: number, sig: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, sig);
    return true;
  } catch {
    return false; // already gone
  }
}

/** SIGTERM to the whole group, SIGKILL after `graceMs` if the leader has not exited. */
export async function stopGroup(p: GroupProcess, graceMs = 3000): Promise<void> {
  signalGroup(p.pid, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), graceMs));
  const res = await Promise.race([p.status.then(() => "exited" as const), timeout]);
  clearTimeout(timer);
  // Also catches stragglers of the group (e.g. an nginx worker) once the leader is gone.
  signalGroup(p.pid, "SIGKILL");
  if (res === "timeout") await Promise.race([p.status, sleep(1000)]);
  liveGroups.delete(p.pid);
}

/**
 * Cleanup on Ctrl-C or deadline: SIGTERM to every live group, up to `graceMs` for the leaders to
 * exit (so that they, and we, reap their children), then SIGKILL to whatever is left.
 */
export async function killAllGroups(graceMs = 1500): Promise<void> {
  const groups = [...liveGroups];
  liveGroups.clear();
  for (const [pgid] of groups) signalGroup(pgid, "SIGTERM");
  await Promise.race([Promise.allSettled(groups.map(([, exit]) => exit)), sleep(graceMs)]);
  for (const [pgid] of groups) signalGroup(pgid, "SIGKILL");
  await Promise.race([Promise.allSettled(groups.map(([, exit]) => exit)), sleep(500)]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// /proc readers

/** `pid` and all its descendants (via /proc/PID/task/TID/children). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    out.push(p);
    let tids: string[] = [];
    try {
      tids = [...Deno.readDirSync(`/proc/${p}/task`)].map((e) => e.name);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      try {
        const kids = Deno.readTextFileSync(`/proc/${p}/task/${tid}/children`).trim();
        if (kids) todo.push(...kids.split(/\s+/).map(Number));
      } catch { /* thread gone */ }
    }
  }
  return out;
}

/** A field of /proc/PID/status in KiB (VmHWM, VmRSS), or 0 when unavailable. */
function statusKiB(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
      Deno.readTextFileSync(`/proc/${pid}/status`),
    );
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const CLK_TCK = 100; // Linux USER_HZ on every mainstream architecture

/** utime + stime (seconds) of one process, all its threads included. */
function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // fields after the ")" that closes comm; utime and stime are fields 14 and 15 overall
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by a process tree, per pid (so a delta can ignore new/dead pids). */
export function treeCpu(pid: number): Map<number, number> {
  return new Map(processTree(pid).map((p) => [p, cpuSeconds(p)]));
}

/**
 * Machine-wide CPU seconds so far: `busy` = user + nice + system of all processes (softirq and
 * irq excluded, as in per-process times), `steal` = time the hypervisor gave to others.
 */
export function machineCpu(): { busy: number; steal: number; at: number } {
  const at = performance.now();
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/);
    const n = line.slice(1).map(Number); // user nice system idle iowait irq softirq steal ...
    return { busy: (n[0] + n[1] + n[2]) / CLK_TCK, steal: (n[7] ?? 0) / CLK_TCK, at };
  } catch {
    return { busy: NaN, steal: NaN, at };
  }
}

export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [p, t] of after) sum += t - (before.get(p) ?? 0);
  return sum;
}

/**
 * Peak RSS of a process tree: polls the tree and keeps, per pid, the largest VmHWM seen; the
 * result is the sum over pids (an upper bound of the tree's simultaneous peak: pages shared
 * between e.g. an nginx master and its worker are counted in both).
 */
export class RssSampler {
  #peak = new Map<number, number>();
  #timer: ReturnType<typeof setInterval>;
  #rootPid: number;
  constructor(rootPid: number, intervalMs = 250) {
    this.#rootPid = rootPid;
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }
  sample(): void {
    for (const p of processTree(this.#rootPid)) {
      const hwm = statusKiB(p, "VmHWM");
      if (hwm > (this.#peak.get(p) ?? 0)) this.#peak.set(p, hwm);
    }
  }
  /** Stops polling (after a last sample) and returns the peak in KiB. */
  stop(): number {
    this.sample();
    clearInterval(this.#timer);
    let sum = 0;
    for (const v of this.#peak.values()) sum += v;
    return sum;
  }
}
