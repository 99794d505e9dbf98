// Rendering of the results: medians and ratios, the console table, bench/RESULTS.md and the
// hand-written SVG chart (no dependencies).
//
// Peers (nginx, lighttpd, h2o) are what tuxd is compared with: "best peer" and the targets use
// them only. References (deno-floor) are shown beside them, with a tuxd/reference ratio of their
// own, and never count as a peer.

import { type Meta, type RowResult, RSS_TARGET_MIB, type ServerRow } from "./rows.ts";
import { isPeer, REFERENCES, type ServerName } from "./servers.ts";
import { totalErrors, type WrkErrors } from "./wrk.ts";

// ---------------------------------------------------------------------------------------------
// numbers

export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export interface Stats {
  rps: number;
  bytesPerSec: number;
  p99Ms: number;
  serverCores: number;
  /** Largest "other load" of the runs. */
  otherCoresMax: number;
  wrkCores: number;
  errors: WrkErrors;
  peakRssMiB: number;
}

/** Medians over the runs of one server in one row (errors are summed); null unless measured. */
export function stats(sr: ServerRow | undefined): Stats | null {
  if (!sr || sr.status !== "ok" || sr.runs.length === 0) return null;
  const errors: WrkErrors = { connect: 0, read: 0, write: 0, timeout: 0, status: 0 };
  for (const r of sr.runs) {
    for (const k of Object.keys(errors) as (keyof WrkErrors)[]) errors[k] += r.errors[k];
  }
  return {
    rps: median(sr.runs.map((r) => r.rps)),
    bytesPerSec: median(sr.runs.map((r) => r.bytesPerSec)),
    p99Ms: median(sr.runs.map((r) => r.latP99Ms)),
    serverCores: median(sr.serverCores),
    otherCoresMax: Math.max(...sr.otherCores),
    wrkCores: median(sr.runs.map((r) => r.wrkCpuSec / r.durationSec)),
    errors,
    peakRssMiB: sr.peakRssKiB / 1024,
  };
}

const find = (rr: RowResult, s: ServerName) => rr.servers.find((x) => x.server === s);

/** The peers among `servers`: the only servers "best peer" and the targets look at. */
export function peersOf(servers: readonly ServerName[]): ServerName[] {
  return servers.filter(isPeer);
}

/** The reference servers among `servers` (deno-floor). */
export function referencesOf(servers: readonly ServerName[]): ServerName[] {
  return servers.filter((s) => (REFERENCES as readonly string[]).includes(s));
}

/** tuxd / `other` (median req/s); NaN when either side is missing. */
export function tuxdRatio(rr: RowResult, other: ServerName): number {
  const t = stats(find(rr, "tuxd"));
  const o = stats(find(rr, other));
  return t && o ? t.rps / o.rps : NaN;
}

export interface Ratios {
  /** tuxd / peer (median req/s), per peer; NaN when either side is missing. */
  perPeer: Record<string, number>;
  best: { peer: string; ratio: number } | null;
}

export function ratios(rr: RowResult, servers: ServerName[]): Ratios {
  const t = stats(find(rr, "tuxd"));
  const perPeer: Record<string, number> = {};
  let best: { peer: string; rps: number } | null = null;
  for (const p of peersOf(servers)) {
    const s = stats(find(rr, p));
    perPeer[p] = t && s ? t.rps / s.rps : NaN;
    if (s && (!best || s.rps > best.rps)) best = { peer: p, rps: s.rps };
  }
  return {
    perPeer,
    best: best && t ? { peer: best.peer, ratio: t.rps / best.rps } : null,
  };
}

export interface TargetEval {
  what: string;
  row: string;
  value: string;
  status: "met" | "missed" | "n/a";
}

export function evaluateTargets(results: RowResult[], servers: ServerName[]): TargetEval[] {
  const out: TargetEval[] = [];
  for (const rr of results) {
    const tg = rr.row.target;
    if (!tg) continue;
    if (tg.kind === "ratio") {
      const r = ratios(rr, servers).best;
      out.push({
        what: `tuxd / best peer ≥ ${tg.min}`,
        row: rr.row.title,
        value: r ? `${fmtRatio(r.ratio)} (vs ${r.peer})` : "n/a",
        status: r ? (r.ratio >= tg.min ? "met" : "missed") : "n/a",
      });
    } else {
      const t = stats(find(rr, "tuxd"));
      const n = t ? totalErrors(t.errors) : NaN;
      out.push({
        what: "tuxd: zero wrk errors",
        row: rr.row.title,
        value: t ? `${n} errors (${fmtErrors(t.errors)})` : "n/a",
        status: t ? (n === 0 ? "met" : "missed") : "n/a",
      });
    }
  }
  const rss = results.map((rr) => stats(find(rr, "tuxd"))?.peakRssMiB).filter((x) =>
    x !== undefined
  ) as number[];
  const peak = rss.length ? Math.max(...rss) : NaN;
  out.push({
    what: `tuxd peak RSS ≤ ${RSS_TARGET_MIB} MiB`,
    row: "all rows",
    value: rss.length ? `${peak.toFixed(1)} MiB` : "n/a",
    status: rss.length ? (peak <= RSS_TARGET_MIB ? "met" : "missed") : "n/a",
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// formatting

export function fmtRps(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "n/a";
  return Math.round(x).toLocaleString("en-US");
}

function fmtCompact(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(2)}k`;
  return x.toFixed(x >= 100 ? 0 : 1);
}

export function fmtRatio(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "n/a" : `${x.toFixed(2)}×`;
}

export function fmtMiBs(bps: number | undefined): string {
  return bps === undefined || !Number.isFinite(bps) ? "n/a" : (bps / 1024 ** 2).toFixed(1);
}

export function fmtErrors(e: WrkErrors): string {
  return `connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}, ` +
    `status ${e.status}`;
}

function cell(sr: ServerRow | undefined, f: (s: Stats) => string): string {
  if (!sr) return "–";
  const s = stats(sr);
  if (s) return f(s);
  return sr.status === "failed" ? "failed" : "n/a";
}

// ---------------------------------------------------------------------------------------------
// console

function textTable(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

export function consoleReport(results: RowResult[], servers: ServerName[]): string {
  const peers = peersOf(servers);
  const refs = referencesOf(servers);
  const hasTuxd = servers.includes("tuxd");
  const head = ["row (median req/s)", ...servers];
  if (hasTuxd) {
    head.push(...peers.map((p) => `tuxd/${p}`), "tuxd/best", ...refs.map((f) => `tuxd/${f}`));
  }
  const rows = results.map((rr) => {
    const r = [rr.row.title, ...servers.map((s) => cell(find(rr, s), (x) => fmtRps(x.rps)))];
    if (hasTuxd) {
      const q = ratios(rr, peers);
      r.push(
        ...peers.map((p) => fmtRatio(q.perPeer[p])),
        fmtRatio(q.best?.ratio),
        ...refs.map((f) => fmtRatio(tuxdRatio(rr, f))),
      );
    }
    return r;
  });
  let out = textTable(head, rows);
  const mib = results.map((rr) => [
    rr.row.title,
    ...servers.map((s) => cell(find(rr, s), (x) => fmtMiBs(x.bytesPerSec))),
  ]);
  out += "\n\n" + textTable(["row (median MiB/s)", ...servers], mib);
  const extra = results.map((rr) => [
    rr.row.title,
    ...servers.map((s) =>
      cell(find(rr, s), (x) => `${x.peakRssMiB.toFixed(0)}M/${totalErrors(x.errors)}`)
    ),
  ]);
  out += "\n\n" + textTable(["row (peak RSS / wrk errors)", ...servers], extra);
  const worst = Math.max(
    0,
    ...results.flatMap((rr) => rr.servers.map((sr) => stats(sr)?.otherCoresMax ?? 0)),
  );
  if (worst > OTHER_LOAD_WARN) {
    out += `\n\nWARNING: other processes kept up to ${worst.toFixed(2)} cores busy during some ` +
      "runs: those numbers are disturbed (see RESULTS.md, Details).";
  }
  if (hasTuxd && refs.length) {
    out += `\n\n${refs.join(", ")}: reference (Deno's own bound), not a peer: not in ` +
      '"best" nor in the targets.';
  }
  if (hasTuxd) {
    out += "\n\nTargets:\n" +
      evaluateTargets(results, peers).map((t) =>
        `  [${t.status.padEnd(6)}] ${t.what} — ${t.row}: ${t.value}`
      ).join("\n");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// markdown

/** "Other load" (cores) above which a run counts as disturbed. */
export const OTHER_LOAD_WARN = 0.15;

function mdTable(head: string[], rows: string[][], align?: string[]): string {
  const a = align ?? head.map((_, i) => (i === 0 ? ":--" : "--:"));
  return [head, a, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

export function markdownReport(meta: Meta, results: RowResult[]): string {
  const servers = meta.servers;
  const peers = peersOf(servers);
  const refs = referencesOf(servers);
  const hasTuxd = servers.includes("tuxd");
  const L: string[] = [];
  L.push("# tuxd benchmark results", "");
  L.push(
    `Generated by \`bench/run.ts\` (${meta.mode}) on ${meta.date}; ` +
      `the whole run took ${Math.round(meta.elapsedSec)} s. Command: \`${meta.command}\`.`,
    "",
  );
  L.push("## Machine", "");
  L.push(`- CPU: ${meta.cpuModel}, \`nproc\` = ${meta.nproc}`);
  L.push(`- Kernel: ${meta.kernel}; memory: ${meta.memTotal}`);
  for (const [k, v] of Object.entries(meta.versions)) L.push(`- ${k}: \`${v}\``);
  L.push("");

  L.push("## Method", "");
  L.push(
    `- A document root is generated in a temp dir: ${
      ["1k", "16k", "100k", "1m", "10m"].map((n) => `\`${n}.bin\``).join(", ")
    } (1 KiB … 10 MiB of random bytes) and an \`index.html\`. Each server is checked to ` +
      "return the exact bytes of the row's file before it is measured.",
    "- Every server runs in the foreground with one worker process/thread, listens on " +
      "127.0.0.1 only, and has access logs off. nginx: `sendfile on; tcp_nopush on; " +
      "open_file_cache max=1000 inactive=20s; open_file_cache_valid 30s; " +
      "keepalive_requests 1000000`. lighttpd: `server.max-worker = 0` (single process), " +
      '`server.network-backend = "sendfile"`. h2o: `num-threads: 1`, `file.dir`, plain TCP ' +
      "(HTTP/1.1). tuxd: `deno run --allow-read --allow-net src/main.ts ROOT --host 127.0.0.1 " +
      "--port PORT`. Full configs are in the appendix.",
    `- CPU pinning with \`taskset\`: the server on core ${meta.serverCpus}, wrk on core ` +
      `${meta.wrkCpus}. In the 2-worker row every server runs 2 workers/threads ` +
      `(nginx \`worker_processes 2\`, lighttpd \`server.max-worker = 2\`, h2o \`num-threads: 2\`, ` +
      `tuxd \`--workers 2\` with \`--unstable-net\` for SO_REUSEPORT, as src/launch.ts does) ` +
      `on cores ${meta.twoWorkerCpus}, and wrk on cores ` +
      `${meta.twoWorkerCpus} too: both cores are shared between the server and wrk there.`,
    `- Load: wrk 4.1 with 1 thread, ${meta.durationSec} s per run, request timeout ` +
      `${meta.timeoutSec} s (\`--timeout\`; wrk's default is 2 s); 64 ` +
      "connections unless the row says otherwise. `Connection: close` is sent with " +
      "`-H 'Connection: close'` (wrk reconnects after every response). Pipelining uses " +
      "`bench/pipeline.lua` (16 requests per write, as TechEmpower's pipeline.lua; wrk counts " +
      "every response). wrk and every server run in a shell with `ulimit -n` raised to " +
      `${meta.nofile} (or the hard limit, if lower) for the 1,000-connection row.`,
    `- Per row, all servers are (re)started, each gets a ${meta.warmupSec} s warm-up run ` +
      `(discarded), then ${meta.runs} measured run(s) per server, alternating servers run by ` +
      "run (the order rotates each round). Reported numbers are medians over the runs: " +
      "requests/s and transfer/s (bytes read by wrk, heads included, per second) come from " +
      "wrk's Lua `done()` summary (exact counts).",
    "- Peak RSS: /proc/PID/status `VmHWM` polled every 250 ms for each process of the " +
      "server's tree (e.g. nginx master + worker), summed (an upper bound: shared pages count " +
      "once per process), over the row including warm-up.",
    "- Errors: wrk's socket errors (connect/read/write/timeout) and its non-2xx/3xx count " +
      "(status ≥ 400), summed over the measured runs. CPU: server cores busy = CPU seconds of " +
      "the server tree / run time (from /proc/PID/stat); wrk cores likewise (bash `times`). " +
      "Both leave out softirq time (loopback TCP work the kernel does outside process " +
      "context), so a saturated core shows as somewhat less than 1.0. A wrk value near 1.0 " +
      "means the load generator, not the server, was the limit: with one wrk thread that " +
      "ceiling is reached on 1 KiB rows by the fastest servers, and on 10 MiB (wrk reads " +
      'responses 8 KiB at a time). "Other load" = machine-wide ' +
      "user+system CPU (/proc/stat) during the run minus the server's and wrk's, plus steal: " +
      "anything else running on the machine. It should stay near 0; a run with more was " +
      "disturbed.",
    "- The machine is a 2-vCPU VM: run-to-run spread of the same server can reach ±30 % " +
      "(see the per-run numbers in Details). Ratios near a target's threshold need the full " +
      "mode, or more `--runs`, to be trusted.",
  );
  if (
    meta.servers.includes("nginx") && results.some((rr) => (rr.row.pipeline ?? 1) > 1)
  ) {
    L.push(
      "- nginx and pipelining: with `sendfile on; tcp_nopush on` (the tuned config required " +
        "here), nginx answers pipelined requests about an order of magnitude slower than with " +
        "`tcp_nopush off` or `sendfile off` (checked by hand on this machine: ~23k vs " +
        "140k–190k req/s). Each 16-request batch then takes ~40 ms, the signature of " +
        "TCP_CORK/Nagle waiting for a delayed ACK. It is nginx's behaviour with this config, " +
        "not a bench fault; the target compares with the best peer of the row.",
    );
  }
  if (refs.includes("deno-floor")) {
    L.push(
      "- **deno-floor** is a reference, not a peer: `bench/floor.ts`, started like tuxd " +
        "(`deno run` with the same runtime flags, `--allow-read --allow-net`, one process). It " +
        "does the least a Deno HTTP/1.1 server can do per request: at start it reads each file " +
        "of the root into memory as complete ready-made responses (status line, Content-Type, " +
        "Content-Length, body; a keep-alive and a `Connection: close` variant); per connection " +
        "it reads into one reused 64 KiB buffer, finds complete request heads (`\\r\\n\\r\\n`), " +
        "takes the path from the request line and writes the ready response (pipelined " +
        "requests read together get one write), closing right after the write when the " +
        "request asked for `Connection: close`. No header parsing, no Date header, no " +
        "validation, no file system access after start, no lingering close. Its requests/s " +
        "is thus roughly Deno's own bound on this machine for a server on Deno's socket API: " +
        "the column tuxd/deno-floor tells how much of that bound tuxd reaches, and a tuxd/peer " +
        "ratio can be read against deno-floor's own ratio to that peer. It never counts as " +
        '"best peer" nor in the targets; it runs one process only, so it is skipped in the ' +
        "2-worker row. Its RSS holds every file twice (the two response variants).",
    );
  }
  if (meta.mode.includes("quick")) {
    L.push(
      "- **Quick mode**: one short run per server and row: fine for plumbing, noisy as data.",
    );
  }
  L.push("");

  const disturbed = results.flatMap((rr) =>
    rr.servers.flatMap((sr) => {
      const st = stats(sr);
      return st && st.otherCoresMax > OTHER_LOAD_WARN ? [st.otherCoresMax] : [];
    })
  );
  if (disturbed.length) {
    L.push(
      `> **Warning:** ${disturbed.length} server×row cell(s) had runs during which other ` +
        `processes kept up to ${Math.max(...disturbed).toFixed(2)} cores busy (column ` +
        '"other load" in Details). Their numbers are disturbed; rerun on a quiet machine.',
      "",
    );
  }
  L.push(`## Requests/s (median of ${meta.runs} run${meta.runs > 1 ? "s" : ""})`, "");
  {
    const head = ["Row", ...servers.map((s) => refs.includes(s) ? `${s} (reference)` : s)];
    if (hasTuxd) {
      head.push(
        ...peers.map((p) => `tuxd/${p}`),
        "tuxd/best peer",
        ...refs.map((f) => `tuxd/${f}`),
      );
    }
    const rows = results.map((rr) => {
      const r = [rr.row.title, ...servers.map((s) => cell(find(rr, s), (x) => fmtRps(x.rps)))];
      if (hasTuxd) {
        const q = ratios(rr, peers);
        r.push(
          ...peers.map((p) => fmtRatio(q.perPeer[p])),
          q.best ? `${fmtRatio(q.best.ratio)} (${q.best.peer})` : "n/a",
          ...refs.map((f) => fmtRatio(tuxdRatio(rr, f))),
        );
      }
      return r;
    });
    L.push(mdTable(head, rows), "");
    if (hasTuxd && refs.length) {
      L.push(
        `${refs.join(", ")} is a reference (see Method), not a peer: "best peer" is the best of ` +
          `${peers.join(", ") || "no peer"} only.`,
        "",
      );
    }
  }
  L.push("## Transfer/s (MiB/s, median)", "");
  L.push(
    mdTable(
      ["Row", ...servers],
      results.map((rr) => [
        rr.row.title,
        ...servers.map((s) => cell(find(rr, s), (x) => fmtMiBs(x.bytesPerSec))),
      ]),
    ),
    "",
  );

  L.push("## Targets", "");
  if (hasTuxd) {
    L.push(
      "Ratios are tuxd's median requests/s over the best peer's, same run (peers: " +
        `${peers.join(", ") || "none"}; a reference server is never a peer).`,
      "",
      mdTable(
        ["Target", "Row", "Value", "Status"],
        evaluateTargets(results, peers).map((t) => [
          t.what,
          t.row,
          t.value,
          t.status === "met" ? "**met**" : t.status === "missed" ? "**missed**" : "n/a",
        ]),
        [":--", ":--", "--:", ":--"],
      ),
      "",
    );
  } else {
    L.push("tuxd was not part of this run, so no target could be evaluated.", "");
  }

  L.push("## Chart", "", "![requests/s per row and server](results.svg)", "");

  L.push("## Details", "");
  const detail: string[][] = [];
  for (const rr of results) {
    for (const s of servers) {
      const sr = find(rr, s);
      if (!sr) continue;
      const st = stats(sr);
      if (!st) {
        detail.push([rr.row.title, s, sr.status, "", "", "", "", "", "", "", sr.note ?? ""]);
        continue;
      }
      detail.push([
        rr.row.title,
        s,
        sr.runs.map((r) => fmtRps(r.rps)).join(" / "),
        fmtMiBs(st.bytesPerSec),
        Number.isFinite(st.p99Ms) ? st.p99Ms.toFixed(2) : "n/a",
        st.serverCores.toFixed(2),
        st.wrkCores.toFixed(2),
        st.otherCoresMax.toFixed(2),
        `${st.errors.connect}/${st.errors.read}/${st.errors.write}/${st.errors.timeout}/` +
        `${st.errors.status}`,
        st.peakRssMiB.toFixed(1),
        sr.note ?? "",
      ]);
    }
  }
  L.push(
    mdTable(
      [
        "Row",
        "Server",
        "req/s per run",
        "MiB/s",
        "p99 ms",
        "server cores",
        "wrk cores",
        "other load, max",
        "errors c/r/w/t/status",
        "peak RSS MiB",
        "note",
      ],
      detail,
      [":--", ":--", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:", ":--"],
    ),
    "",
  );
  if (meta.notes.length) {
    L.push("## Notes", "", ...meta.notes.map((n) => `- ${n}`), "");
  }
  L.push("## Appendix: generated configs", "");
  for (const [k, v] of Object.entries(meta.configs)) {
    L.push(`<details><summary>${k}</summary>`, "", "```", v.trimEnd(), "```", "", "</details>", "");
  }
  return L.join("\n");
}

// ---------------------------------------------------------------------------------------------
// SVG

const COLORS: Record<string, string> = {
  tuxd: "#d9480f",
  nginx: "#2b8a3e",
  lighttpd: "#1971c2",
  h2o: "#7048e8",
  "deno-floor": "#868e96",
};

/** Legend text: reference servers say so. */
const legendLabel = (s: ServerName) =>
  (REFERENCES as readonly string[]).includes(s) ? `${s} (reference)` : s;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/**
 * Grouped bar chart: one group per row, one bar per server. Rows span four orders of magnitude,
 * so each group is scaled to its own best server (bar height = share of the row's best); each
 * bar is labelled with its median requests/s.
 */
export function svgChart(results: RowResult[], servers: ServerName[], subtitle: string): string {
  const refs = referencesOf(servers);
  const barW = 22, gap = 4, groupGap = 34;
  const groupW = servers.length * (barW + gap) - gap;
  const left = 56, right = 20, top = 78, plotH = 260, bottom = 70;
  const width = Math.max(560, left + right + results.length * (groupW + groupGap));
  const height = top + plotH + bottom;
  const y0 = top + plotH;
  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="16" font-weight="bold">` +
      `Median requests/s per row and server</text>`,
    `<text x="${left}" y="40" fill="#555">${esc(subtitle)}</text>`,
  );
  // legend
  let lx = left;
  for (const s of servers) {
    const label = legendLabel(s);
    o.push(
      `<rect x="${lx}" y="50" width="12" height="12" fill="${COLORS[s] ?? "#888"}"/>`,
      `<text x="${lx + 16}" y="60">${esc(label)}</text>`,
    );
    lx += 24 + label.length * 7;
  }
  // axis: share of the row's best
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const y = y0 - f * plotH;
    o.push(
      `<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="${
        f === 0 ? "#333" : "#e5e5e5"
      }"/>`,
      `<text x="${left - 6}" y="${y + 4}" text-anchor="end" fill="#555">${f * 100}%</text>`,
    );
  }
  o.push(
    `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" ` +
      `fill="#555">share of the row's best</text>`,
  );
  results.forEach((rr, gi) => {
    const gx = left + groupGap / 2 + gi * (groupW + groupGap);
    const vals = servers.map((s) => stats(find(rr, s))?.rps ?? NaN);
    const max = Math.max(...vals.filter(Number.isFinite), 0);
    servers.forEach((s, i) => {
      const x = gx + i * (barW + gap);
      const v = vals[i];
      if (!Number.isFinite(v) || max <= 0) {
        o.push(
          `<text x="${x + barW / 2}" y="${y0 - 4}" text-anchor="middle" font-size="9" ` +
            `fill="#999">n/a</text>`,
        );
        return;
      }
      const h = Math.max(1, (v / max) * plotH);
      o.push(
        `<rect x="${x}" y="${(y0 - h).toFixed(1)}" width="${barW}" height="${h.toFixed(1)}" ` +
          `fill="${COLORS[s] ?? "#888"}"><title>${
            esc(`${s}, ${rr.row.title}: ${fmtRps(v)} req/s`)
          }` +
          `</title></rect>`,
        // label: inside the bar (white, from its foot) when tall enough, else above it
        h > 52
          ? `<text transform="translate(${x + barW / 2 + 4} ${y0 - 5}) rotate(-90)" ` +
            `font-size="10" fill="#fff">${fmtCompact(v)}</text>`
          : `<text transform="translate(${x + barW / 2 + 4} ${(y0 - h - 4).toFixed(1)}) ` +
            `rotate(-90)" font-size="10">${fmtCompact(v)}</text>`,
      );
    });
    const cx = gx + groupW / 2;
    const words = rr.row.short.split(" ");
    const l1 = words.slice(0, 2).join(" "), l2 = words.slice(2).join(" ");
    o.push(`<text x="${cx}" y="${y0 + 16}" text-anchor="middle">${esc(l1)}</text>`);
    if (l2) o.push(`<text x="${cx}" y="${y0 + 30}" text-anchor="middle">${esc(l2)}</text>`);
  });
  o.push(
    `<text x="${left}" y="${height - 12}" fill="#555">Bars are scaled per row (tallest = ` +
      `that row's best${refs.length ? `, ${refs.join(", ")} included` : ""}); labels are ` +
      `median requests/s. Rows: keep-alive with 64 connections unless named otherwise.</text>`,
    ...(refs.length
      ? [
        `<text x="${left}" y="${height - 28}" fill="#555">${esc(refs.join(", "))}: reference ` +
        `(Deno's own bound, bench/floor.ts), not a peer.</text>`,
      ]
      : []),
    "</svg>",
    "",
  );
  return o.join("\n");
}
