// Running wrk and reading its output. Each run is pinned with taskset, started in its own
// process group (killed if it overruns) and always carries a Lua script whose done() prints
// exact totals (bench/stats.lua, or bench/pipeline.lua for pipelined rows). wrk's own text
// report is parsed as well and used as a fallback.

import { runGroup } from "./proc.ts";

const BENCH_DIR = new URL(".", import.meta.url).pathname;
export const STATS_LUA = `${BENCH_DIR}stats.lua`;
export const PIPELINE_LUA = `${BENCH_DIR}pipeline.lua`;

export interface WrkOptions {
  url: string;
  connections: number;
  durationSec: number;
  threads?: number;
  /** Extra request headers, e.g. ["Connection: close"]. */
  headers?: string[];
  /** Requests per write (HTTP/1.1 pipelining); 1 or absent = no pipelining. */
  pipeline?: number;
  /** taskset CPU list for wrk; empty for no pinning. */
  cpus: string;
  /** Per-request timeout passed to wrk (seconds). */
  requestTimeoutSec?: number;
}

export interface WrkErrors {
  connect: number;
  read: number;
  write: number;
  timeout: number;
  /** wrk's "Non-2xx or 3xx responses" (it counts status >= 400). */
  status: number;
}

export interface WrkResult {
  requests: number;
  bytes: number;
  durationSec: number;
  rps: number;
  /** Bytes read per second (response heads + bodies). */
  bytesPerSec: number;
  errors: WrkErrors;
  latMeanMs: number;
  latP99Ms: number;
  /** CPU seconds (user + sys) wrk used, from bash `times`. */
  wrkCpuSec: number;
  raw: string;
}

export function totalErrors(e: WrkErrors): number {
  return e.connect + e.read + e.write + e.timeout + e.status;
}

const UNITS: Record<string, number> = {
  "": 1,
  "B": 1,
  "K": 1024,
  "KB": 1024,
  "M": 1024 ** 2,
  "MB": 1024 ** 2,
  "G": 1024 ** 3,
  "GB": 1024 ** 3,
  "T": 1024 ** 4,
  "TB": 1024 ** 4,
};

/** "614.01MB" -> bytes (wrk uses binary units). */
export function parseSize(s: string): number {
  const m = /^([\d.]+)\s*([KMGT]?B?)$/i.exec(s.trim());
  if (!m) return NaN;
  return Number(m[1]) * (UNITS[m[2].toUpperCase()] ?? NaN);
}

/** "2.00s", "1.50m", "350.00ms", "20.00us" -> seconds. */
export function parseDuration(s: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(s.trim());
  if (!m) return NaN;
  const f: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  return Number(m[1]) * f[m[2]];
}

/**
 * Parses wrk's text report (and the WRK_STATS line of our Lua done(), when present, which wins
 * for exact numbers).
 */
export function parseWrkOutput(text: string): Omit<WrkResult, "wrkCpuSec" | "raw"> {
  const num = (re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : 0;
  };
  const summary = /(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read/.exec(text);
  const r: Omit<WrkResult, "wrkCpuSec" | "raw"> = {
    requests: summary ? Number(summary[1]) : 0,
    durationSec: summary ? parseDuration(summary[2]) : NaN,
    bytes: summary ? parseSize(summary[3]) : 0,
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    bytesPerSec: 0,
    errors: { connect: 0, read: 0, write: 0, timeout: 0, status: 0 },
    latMeanMs: NaN,
    latP99Ms: NaN,
  };
  const tps = /Transfer\/sec:\s+([\d.]+\w*)/.exec(text);
  r.bytesPerSec = tps ? parseSize(tps[1]) : 0;
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (se) {
    r.errors.connect = Number(se[1]);
    r.errors.read = Number(se[2]);
    r.errors.write = Number(se[3]);
    r.errors.timeout = Number(se[4]);
  }
  r.errors.status = num(/Non-2xx or 3xx responses: (\d+)/);
  const lat = /Latency\s+([\d.]+\w+)/.exec(text);
  if (lat) r.latMeanMs = parseDuration(lat[1]) * 1e3;

  const js = /^WRK_STATS (\{.*\})\s*$/m.exec(text);
  if (js) {
    const s = JSON.parse(js[1]);
    r.requests = s.requests;
    r.bytes = s.bytes;
    r.durationSec = s.duration_us / 1e6;
    r.rps = s.requests / r.durationSec;
    r.bytesPerSec = s.bytes / r.durationSec;
    r.errors = {
      connect: s.connect,
      read: s.read,
      write: s.write,
      timeout: s.timeout,
      status: s.status,
    };
    r.latMeanMs = s.lat_mean_us / 1e3;
    // wrk 4.1's percentile() sometimes answers 0 for pipelined runs: treat as unknown.
    r.latP99Ms = s.lat_p99_us > 0 ? s.lat_p99_us / 1e3 : NaN;
  }
  return r;
}

export function wrkArgs(o: WrkOptions): string[] {
  const args = [
    "wrk",
    "-t",
    String(o.threads ?? 1),
    "-c",
    String(o.connections),
    "-d",
    `${o.durationSec}s`,
    "--timeout",
    `${o.requestTimeoutSec ?? 5}s`,
  ];
  for (const h of o.headers ?? []) args.push("-H", h);
  const pipelined = (o.pipeline ?? 1) > 1;
  args.push("-s", pipelined ? PIPELINE_LUA : STATS_LUA, o.url);
  if (pipelined) args.push("--", String(o.pipeline));
  return o.cpus ? ["taskset", "-c", o.cpus, ...args] : args;
}

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const argv = wrkArgs(o);
  // wrk stops by itself after the duration; 1,000 connections may need a few seconds to close.
  const res = await runGroup(argv, (o.durationSec + 20) * 1000);
  const raw = res.stdout + (res.stderr ? `\n[stderr]\n${res.stderr}` : "");
  if (res.timedOut) throw new Error(`wrk overran its time limit and was killed:\n${raw}`);
  if (res.code !== 0 || !/requests in/.test(res.stdout)) {
    throw new Error(`wrk failed (exit ${res.code}): ${argv.join(" ")}\n${raw}`);
  }
  return { ...parseWrkOutput(res.stdout), wrkCpuSec: res.cpuSec, raw };
}
