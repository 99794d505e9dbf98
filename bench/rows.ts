// What is measured: the files of the document root, the benchmark rows and their targets, and
// the shapes of the results that bench/report.ts renders.

import type { ServerName } from "./servers.ts";
import type { WrkResult } from "./wrk.ts";

export const FILES = [
  { name: "1k.bin", size: 1024 },
  { name: "16k.bin", size: 16 * 1024 },
  { name: "100k.bin", size: 100 * 1024 },
  { name: "1m.bin", size: 1024 * 1024 },
  { name: "10m.bin", size: 10 * 1024 * 1024 },
] as const;

/** A target on tuxd's result in a row, compared with the best peer of the same run. */
export type Target =
  | { kind: "ratio"; min: number } // median req/s of tuxd / best peer >= min
  | { kind: "zero-errors" }; // no wrk error of any kind in any tuxd run

export interface RowDef {
  id: string;
  title: string;
  /** Short label for the chart. */
  short: string;
  file: string;
  connections: number;
  headers?: string[];
  /** Requests per write. */
  pipeline?: number;
  /** Workers/threads per server; > 1 also unpins wrk (both cores shared). */
  workers: number;
  target?: Target;
}

export const ROWS: RowDef[] = [
  {
    id: "1k",
    title: "1 KiB, keep-alive, 64 conns",
    short: "1 KiB",
    file: "1k.bin",
    connections: 64,
    workers: 1,
    target: { kind: "ratio", min: 1.0 },
  },
  {
    id: "16k",
    title: "16 KiB, keep-alive, 64 conns",
    short: "16 KiB",
    file: "16k.bin",
    connections: 64,
    workers: 1,
    target: { kind: "ratio", min: 1.0 },
  },
  {
    id: "100k",
    title: "100 KiB, keep-alive, 64 conns",
    short: "100 KiB",
    file: "100k.bin",
    connections: 64,
    workers: 1,
    target: { kind: "ratio", min: 1.0 },
  },
  {
    id: "1m",
    title: "1 MiB, keep-alive, 64 conns",
    short: "1 MiB",
    file: "1m.bin",
    connections: 64,
    workers: 1,
    target: { kind: "ratio", min: 0.8 },
  },
  {
    id: "10m",
    title: "10 MiB, keep-alive, 64 conns",
    short: "10 MiB",
    file: "10m.bin",
    connections: 64,
    workers: 1,
    target: { kind: "ratio", min: 0.8 },
  },
  {
    id: "1k-close",
    title: "1 KiB, Connection: close, 64 conns",
    short: "1 KiB close",
    file: "1k.bin",
    connections: 64,
    headers: ["Connection: close"],
    workers: 1,
    target: { kind: "ratio", min: 0.9 },
  },
  {
    id: "1k-pipe16",
    title: "1 KiB, pipelined 16 deep, 64 conns",
    short: "1 KiB pipe×16",
    file: "1k.bin",
    connections: 64,
    pipeline: 16,
    workers: 1,
    target: { kind: "ratio", min: 4 },
  },
  {
    id: "1k-c1000",
    title: "1 KiB, keep-alive, 1,000 conns",
    short: "1 KiB 1000c",
    file: "1k.bin",
    connections: 1000,
    workers: 1,
    target: { kind: "zero-errors" },
  },
  {
    id: "1k-2w",
    title: "1 KiB, keep-alive, 64 conns, 2 workers",
    short: "1 KiB 2 workers",
    file: "1k.bin",
    connections: 64,
    workers: 2,
  },
];

/** tuxd's peak RSS target (over all rows). */
export const RSS_TARGET_MIB = 100;

export interface ServerRow {
  server: ServerName;
  /** ok: measured; n/a: not applicable (e.g. no --workers); failed: start, check or run failed. */
  status: "ok" | "n/a" | "failed";
  note?: string;
  runs: WrkResult[];
  /** Cores the server's process tree kept busy, per run (CPU seconds / wall seconds). */
  serverCores: number[];
  /** Cores busy with anything but the server and wrk during each run (+ steal). */
  otherCores: number[];
  /** Peak RSS (KiB) of the server's process tree over the whole row (warm-up included). */
  peakRssKiB: number;
}

export interface RowResult {
  row: RowDef;
  servers: ServerRow[];
}

export interface Meta {
  date: string;
  mode: string;
  command: string;
  cpuModel: string;
  nproc: number;
  kernel: string;
  memTotal: string;
  versions: Record<string, string>;
  durationSec: number;
  warmupSec: number;
  /** wrk's per-request timeout (s). */
  timeoutSec: number;
  runs: number;
  serverCpus: string;
  wrkCpus: string;
  twoWorkerCpus: string;
  servers: ServerName[];
  /** The fd limit asked for in every spawned shell. */
  nofile: number;
  notes: string[];
  /** Generated config (or command line for tuxd) per server and worker count. */
  configs: Record<string, string>;
  elapsedSec: number;
}
