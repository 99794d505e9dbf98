// tuxd benchmark: tuxd vs nginx, lighttpd and h2o, one worker each, driven by wrk on loopback,
// with deno-floor (bench/floor.ts) alongside as a reference for what Deno itself can reach.
//
//   deno run -A bench/run.ts [--quick] [--only ROW[,ROW]] [--servers tuxd,nginx,...]
//                            [--runs N] [--duration S] [--warmup S] [--timeout S]
//                            [--tuxd-main PATH] [--out DIR]
//
// Writes bench/RESULTS.md and bench/results.svg (or into --out DIR). See --help.

import { parseArgs } from "node:util";
import { cpuDelta, killAllGroups, machineCpu, NOFILE, RssSampler, treeCpu } from "./proc.ts";
import { consoleReport, markdownReport, svgChart } from "./report.ts";
import { FILES, type Meta, type RowDef, type RowResult, ROWS, type ServerRow } from "./rows.ts";
import {
  ALL_SERVERS,
  isPeer,
  logTail,
  probeTuxd,
  type RunningServer,
  type ServerName,
  startServer,
  stopServer,
  type TuxdInfo,
  verifyFile,
  versions,
} from "./servers.ts";
import { runWrk } from "./wrk.ts";

const BENCH_DIR = new URL(".", import.meta.url).pathname;
const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

const HELP = `Usage: deno run -A bench/run.ts [options]

  --quick              1 run of 5 s per server and row, 2 s warm-up (default: 3 runs of 10 s, 3 s warm-up)
  --only ROW[,ROW]     rows to run: ${ROWS.map((r) => r.id).join(", ")}
  --servers LIST       servers, comma-separated (default: ${ALL_SERVERS.join(",")});
                       deno-floor is a reference (bench/floor.ts), never a peer
  --runs N             measured runs per server and row
  --duration S         seconds per measured run
  --warmup S           seconds of the warm-up run
  --timeout S          wrk's per-request timeout (default 5; wrk's own default is 2)
  --tuxd-main PATH     tuxd entry point (default src/main.ts, relative to the repo)
  --out DIR            where RESULTS.md and results.svg go (default: bench/, the committed ones)
  -h, --help           this text

Results: bench/RESULTS.md and bench/results.svg, or DIR/RESULTS.md and DIR/results.svg.`;

interface Options {
  quick: boolean;
  rows: RowDef[];
  servers: ServerName[];
  runs: number;
  durationSec: number;
  warmupSec: number;
  timeoutSec: number;
  tuxdMain: string;
  /** Directory for RESULTS.md and results.svg, with a trailing slash. */
  outDir: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      servers: { type: "string" },
      runs: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      timeout: { type: "string" },
      "tuxd-main": { type: "string", default: "src/main.ts" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const quick = values.quick!;
  let rows = ROWS;
  if (values.only) {
    const ids = values.only.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
    for (const id of ids) {
      if (!ROWS.some((r) => r.id === id)) {
        die(`unknown row "${id}"; rows: ${ROWS.map((r) => r.id)}`);
      }
    }
    rows = ROWS.filter((r) => ids.includes(r.id));
  }
  let servers: ServerName[] = [...ALL_SERVERS];
  if (values.servers) {
    const names = values.servers.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
    for (const n of names) {
      if (!(ALL_SERVERS as readonly string[]).includes(n)) {
        die(`unknown server "${n}"; servers: ${ALL_SERVERS.join(", ")}`);
      }
    }
    servers = ALL_SERVERS.filter((s) => names.includes(s)); // canonical order
  }
  const posInt = (v: string | undefined, d: number, what: string) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 600) die(`bad ${what}: ${v}`);
    return n;
  };
  return {
    quick,
    rows,
    servers,
    runs: posInt(values.runs, quick ? 1 : 3, "--runs"),
    durationSec: posInt(values.duration, quick ? 5 : 10, "--duration"),
    warmupSec: posInt(values.warmup, quick ? 2 : 3, "--warmup"),
    timeoutSec: posInt(values.timeout, 5, "--timeout"),
    tuxdMain: values["tuxd-main"]!,
    // absolute, since `deno fmt` runs on the written files from the repo directory
    outDir: values.out
      ? `${values.out.startsWith("/") ? "" : `${Deno.cwd()}/`}${values.out.replace(/\/+$/, "")}/`
      : BENCH_DIR,
  };
}

function die(msg: string): never {
  console.error(`bench: ${msg}`);
  Deno.exit(2);
}

// ---------------------------------------------------------------------------------------------
// tools

const TOOL_PACKAGES: Record<string, string> = {
  nginx: "nginx",
  lighttpd: "lighttpd",
  h2o: "h2o",
  wrk: "wrk",
  taskset: "util-linux",
  setsid: "util-linux",
};

async function which(bin: string): Promise<boolean> {
  const o = await new Deno.Command("bash", {
    args: ["-c", 'command -v "$1" >/dev/null', "bash", bin],
    stdout: "null",
    stderr: "null",
  }).output();
  return o.success;
}

async function ensureTools(servers: ServerName[]): Promise<void> {
  // tuxd and deno-floor need only deno, which runs this script.
  const needed = ["wrk", "taskset", "setsid", ...servers.filter(isPeer)];
  const missing: string[] = [];
  for (const b of needed) if (!(await which(b))) missing.push(b);
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((b) => TOOL_PACKAGES[b]))];
  if (Deno.uid() !== 0) die(`missing ${missing.join(", ")}: apt-get install -y ${pkgs.join(" ")}`);
  console.log(`Installing ${pkgs.join(" ")} (missing: ${missing.join(", ")}) ...`);
  const apt = async (args: string[]) =>
    (await new Deno.Command("timeout", {
      args: ["600", "apt-get", ...args],
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "inherit",
      stderr: "inherit",
    }).output()).success;
  if (!(await apt(["install", "-y", "--no-install-recommends", ...pkgs]))) {
    await apt(["update"]);
    if (!(await apt(["install", "-y", "--no-install-recommends", ...pkgs]))) {
      die(`apt-get install ${pkgs.join(" ")} failed`);
    }
  }
  // Debian's nginx/lighttpd packages may start a system instance on port 80; it does not
  // disturb us (we use free ports), but say so.
  for (const b of missing) if (!(await which(b))) die(`${b} still missing after install`);
}

// ---------------------------------------------------------------------------------------------
// machine

async function machine(): Promise<Pick<Meta, "cpuModel" | "nproc" | "kernel" | "memTotal">> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown";
  const nprocOut = await new Deno.Command("nproc", { stdout: "piped" }).output();
  const nproc = Number(new TextDecoder().decode(nprocOut.stdout).trim()) ||
    navigator.hardwareConcurrency;
  const kernel = Deno.osRelease();
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const kb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  return { cpuModel, nproc, kernel, memTotal: `${(kb / 1024 ** 2).toFixed(1)} GiB` };
}

// ---------------------------------------------------------------------------------------------
// document root

async function makeDocroot(root: string): Promise<Map<string, Uint8Array>> {
  await Deno.mkdir(root, { recursive: true });
  const contents = new Map<string, Uint8Array>();
  for (const f of FILES) {
    const buf = new Uint8Array(f.size);
    for (let i = 0; i < buf.length; i += 65536) {
      crypto.getRandomValues(buf.subarray(i, Math.min(i + 65536, buf.length)));
    }
    await Deno.writeFile(`${root}/${f.name}`, buf);
    contents.set(f.name, buf);
  }
  const links = FILES.map((f) => `<li><a href="${f.name}">${f.name}</a></li>`).join("");
  const html = `<!doctype html>\n<html><head><meta charset="utf-8"><title>tuxd bench</title>` +
    `</head><body><h1>tuxd bench</h1><ul>${links}</ul></body></html>\n`;
  const htmlBytes = new TextEncoder().encode(html);
  await Deno.writeFile(`${root}/index.html`, htmlBytes);
  contents.set("index.html", htmlBytes);
  return contents;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

// ---------------------------------------------------------------------------------------------
// main

/** Set on Ctrl-C: failures of runs being torn down are not worth reporting. */
let stopping = false;

const START_SEC = 1; // start-up, check and stop per server and row, roughly

function estimateSec(o: Options, nServers: number): number {
  const perServerRow = START_SEC + o.warmupSec + o.runs * (o.durationSec + 0.3);
  return Math.ceil(o.rows.length * nServers * perServerRow + 10);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const o = parseOptions(Deno.args);
  await ensureTools(o.servers);

  const notes: string[] = [];
  let tuxd: TuxdInfo = { available: false, supportsWorkers: false, main: o.tuxdMain };
  if (o.servers.includes("tuxd")) {
    tuxd = await probeTuxd(REPO, o.tuxdMain);
    if (!tuxd.available) {
      notes.push(`tuxd not measured: ${tuxd.reason}.`);
      console.log(`tuxd: not available (${tuxd.reason}); its cells are n/a.`);
    } else if (!tuxd.supportsWorkers && o.rows.some((r) => r.workers > 1)) {
      notes.push("tuxd's --help does not mention --workers: its 2-worker row is n/a.");
    }
  }

  const m = await machine();
  const pinning = m.nproc >= 2;
  const serverCpus = pinning ? "0" : "";
  const wrkCpus = pinning ? "1" : "";
  const twoWorkerCpus = pinning ? "0,1" : "";
  if (!pinning) notes.push(`Only ${m.nproc} CPU(s): no pinning; server and wrk share the CPU.`);
  if (m.nproc > 2) notes.push(`${m.nproc} CPUs: only cores 0 and 1 are used.`);

  const est = estimateSec(o, o.servers.length);
  console.log(
    `tuxd bench: ${o.rows.length} row(s) × ${o.servers.length} server(s) ` +
      `(${o.servers.join(", ")}), ${o.runs} run(s) × ${o.durationSec} s + ${o.warmupSec} s ` +
      `warm-up each; estimated ${Math.floor(est / 60)} min ${est % 60} s.`,
  );
  const deadlineSec = est * 2 + 120;

  const tmp = await Deno.makeTempDir({ prefix: "tuxd-bench-" });
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await killAllGroups();
    try {
      Deno.removeSync(tmp, { recursive: true });
    } catch { /* already gone */ }
  };
  const onSignal = (sig: string) => async () => {
    stopping = true;
    console.error(`\nbench: ${sig}, stopping servers and removing ${tmp}`);
    await cleanup();
    Deno.exit(130);
  };
  const sigint = onSignal("SIGINT"), sigterm = onSignal("SIGTERM");
  Deno.addSignalListener("SIGINT", sigint);
  Deno.addSignalListener("SIGTERM", sigterm);
  const watchdog = setTimeout(async () => {
    console.error(`bench: deadline of ${deadlineSec} s passed; aborting`);
    await cleanup();
    Deno.exit(124);
  }, deadlineSec * 1000);

  const results: RowResult[] = [];
  const configs: Record<string, string> = {};
  try {
    const root = `${tmp}/root`;
    const contents = await makeDocroot(root);
    for (const row of o.rows) {
      console.log(`\n== ${row.title}`);
      results.push(
        await runRow(row, o, {
          root,
          tmp,
          contents,
          tuxd,
          configs,
          serverCpus: row.workers > 1 ? twoWorkerCpus : serverCpus,
          wrkCpus: row.workers > 1 ? twoWorkerCpus : wrkCpus,
        }),
      );
    }
  } finally {
    clearTimeout(watchdog);
    await cleanup();
    Deno.removeSignalListener("SIGINT", sigint);
    Deno.removeSignalListener("SIGTERM", sigterm);
  }

  const elapsedSec = (performance.now() - t0) / 1000;
  const meta: Meta = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    mode: o.quick ? "quick mode" : "full mode",
    command: ["deno run -A bench/run.ts", ...Deno.args].join(" "),
    ...m,
    versions: {
      ...(await versions()),
      tuxd: tuxd.available ? `${o.tuxdMain} (${await gitRev()})` : "not measured",
    },
    durationSec: o.durationSec,
    warmupSec: o.warmupSec,
    timeoutSec: o.timeoutSec,
    runs: o.runs,
    serverCpus: serverCpus || "any",
    wrkCpus: wrkCpus || "any",
    twoWorkerCpus: twoWorkerCpus || "any",
    servers: o.servers,
    nofile: NOFILE,
    notes: [
      ...notes,
      ...results.flatMap((rr) =>
        rr.servers.filter((s) => s.note).map((s) => `${rr.row.title}, ${s.server}: ${s.note}`)
      ),
    ],
    configs,
    elapsedSec,
  };
  console.log("\n" + consoleReport(results, o.servers));
  await Deno.mkdir(o.outDir, { recursive: true });
  const mdPath = `${o.outDir}RESULTS.md`, svgPath = `${o.outDir}results.svg`;
  await Deno.writeTextFile(mdPath, markdownReport(meta, results));
  const subtitle = `${meta.date}, ${m.cpuModel} (${m.nproc} cores), ${meta.mode}: ` +
    `median of ${o.runs} × ${o.durationSec} s wrk runs`;
  await Deno.writeTextFile(svgPath, svgChart(results, o.servers, subtitle));
  // Keep the generated files as `deno fmt` (project settings) wants them.
  await new Deno.Command("timeout", {
    // (--config: the project's settings also for an --out directory outside the repo)
    args: ["60", "deno", "fmt", "--quiet", "--config", "deno.json", mdPath, svgPath],
    cwd: REPO,
    stdout: "null",
    stderr: "inherit",
  }).output().catch(() => {});
  console.log(`\nWrote ${mdPath} and ${svgPath} (${Math.round(elapsedSec)} s).`);
}

async function gitRev(): Promise<string> {
  try {
    const o = await new Deno.Command("git", {
      args: ["-C", REPO, "describe", "--always", "--dirty"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(o.stdout).trim() || "no commit";
  } catch {
    return "unknown revision";
  }
}

interface RowContext {
  root: string;
  tmp: string;
  contents: Map<string, Uint8Array>;
  tuxd: TuxdInfo;
  configs: Record<string, string>;
  serverCpus: string;
  wrkCpus: string;
}

async function runRow(row: RowDef, o: Options, ctx: RowContext): Promise<RowResult> {
  const out = new Map<ServerName, ServerRow>();
  const running = new Map<ServerName, RunningServer>();
  const samplers = new Map<ServerName, RssSampler>();
  for (const name of o.servers) {
    const sr: ServerRow = {
      server: name,
      status: "ok",
      runs: [],
      serverCores: [],
      otherCores: [],
      peakRssKiB: 0,
    };
    out.set(name, sr);
    if (name === "tuxd" && !ctx.tuxd.available) {
      Object.assign(sr, { status: "n/a", note: ctx.tuxd.reason });
    } else if (name === "tuxd" && row.workers > 1 && !ctx.tuxd.supportsWorkers) {
      Object.assign(sr, { status: "n/a", note: "no --workers flag yet" });
    } else if (name === "deno-floor" && row.workers > 1) {
      Object.assign(sr, { status: "n/a", note: "reference server, one process only: skipped" });
    }
  }
  const fail = (name: ServerName, msg: string) => {
    const sr = out.get(name)!;
    sr.status = "failed";
    sr.note = msg.split("\n")[0].slice(0, 200);
    if (!stopping) console.log(`  ${name}: FAILED: ${msg}`);
  };

  try {
    // start and check
    for (const name of o.servers) {
      if (out.get(name)!.status !== "ok") continue;
      const setup = {
        root: ctx.root,
        dir: `${ctx.tmp}/${row.id}/${name}`,
        port: freePort(),
        workers: row.workers,
        cpus: ctx.serverCpus,
      };
      try {
        const srv = await startServer(name, setup, { repo: REPO, tuxdMain: ctx.tuxd.main });
        running.set(name, srv);
        samplers.set(name, new RssSampler(srv.pid));
        const key = `${name}${row.workers > 1 ? ` (${row.workers} workers)` : ""}`;
        ctx.configs[key] ??= srv.configText;
        const err = await verifyFile(srv.port, `/${row.file}`, ctx.contents.get(row.file)!);
        if (err) throw new Error(`content check failed: ${err}\n${await logTail(srv)}`);
      } catch (e) {
        fail(name, e instanceof Error ? e.message : String(e));
        const srv = running.get(name);
        if (srv) await stopServer(srv);
        running.delete(name);
        samplers.get(name)?.stop();
        samplers.delete(name);
      }
    }
    const active = [...running.keys()];
    const wrkFor = (name: ServerName, durationSec: number) =>
      runWrk({
        url: `http://127.0.0.1:${running.get(name)!.port}/${row.file}`,
        connections: row.connections,
        durationSec,
        headers: row.headers,
        pipeline: row.pipeline,
        cpus: ctx.wrkCpus,
        requestTimeoutSec: o.timeoutSec,
      });
    const dropped = new Set<ServerName>();
    const guard = async (name: ServerName, f: () => Promise<void>) => {
      if (dropped.has(name)) return;
      try {
        await f();
      } catch (e) {
        dropped.add(name);
        fail(name, e instanceof Error ? e.message : String(e));
      }
    };

    // warm-up
    for (const name of active) {
      await guard(name, async () => {
        const w = await wrkFor(name, o.warmupSec);
        console.log(`  ${name.padEnd(10)} warm-up  ${fmt(w.rps)} req/s`);
      });
    }
    // measured runs, alternating servers, order rotating each round
    for (let r = 0; r < o.runs; r++) {
      const order = active.map((_, i) => active[(i + r) % active.length]);
      for (const name of order) {
        await guard(name, async () => {
          const srv = running.get(name)!;
          const before = treeCpu(srv.pid);
          const m0 = machineCpu();
          const w = await wrkFor(name, o.durationSec);
          const m1 = machineCpu();
          const serverCpu = cpuDelta(before, treeCpu(srv.pid));
          const cores = serverCpu / w.durationSec;
          // Everything else that ran meanwhile: other processes (e.g. someone's test suite),
          // this script's polling, and hypervisor steal. Should stay near 0.
          const wall = (m1.at - m0.at) / 1000;
          const other = Math.max(
            0,
            (m1.busy - m0.busy - serverCpu - w.wrkCpuSec + m1.steal - m0.steal) / wall,
          );
          const sr = out.get(name)!;
          sr.runs.push(w);
          sr.serverCores.push(cores);
          sr.otherCores.push(other);
          const errs = w.errors;
          const errText = errs.connect + errs.read + errs.write + errs.timeout + errs.status
            ? `  errors c/r/w/t/s ${errs.connect}/${errs.read}/${errs.write}/${errs.timeout}/` +
              `${errs.status}`
            : "";
          console.log(
            `  ${name.padEnd(10)} run ${r + 1}/${o.runs}  ${fmt(w.rps)} req/s  ` +
              `${(w.bytesPerSec / 1024 ** 2).toFixed(1)} MiB/s  server ${cores.toFixed(2)} cores` +
              `  wrk ${(w.wrkCpuSec / w.durationSec).toFixed(2)} cores` +
              `  other ${other.toFixed(2)} cores${errText}`,
          );
          if (srv.proc.exited()) throw new Error(`exited during the run\n${await logTail(srv)}`);
        });
      }
    }
    for (const name of dropped) {
      const sr = out.get(name)!;
      sr.runs = [];
      sr.serverCores = [];
      sr.otherCores = [];
    }
  } finally {
    for (const [name, s] of samplers) out.get(name)!.peakRssKiB = s.stop();
    await Promise.all([...running.values()].map((s) => stopServer(s)));
  }
  return { row, servers: o.servers.map((s) => out.get(s)!) };
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString("en-US").padStart(9);
}

if (import.meta.main) {
  await main();
}
