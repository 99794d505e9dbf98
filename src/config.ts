// Command-line flags → Config. Pure: no file system access, so the launcher can use it before
// it has permission to read anything, and tests can use it directly.

export interface Config {
  /** Document root, as given (resolved and checked by the server). Default `examples/site`. */
  root: string;
  /** Address to listen on. Default `127.0.0.1`. */
  host: string;
  /** Port to listen on; 0 picks a free one. Default 8080. */
  port: number;
  /** Files up to this size are kept in the object cache. Default 256 KiB. */
  cacheFileMax: number;
  /** Total bytes the object cache may hold; least recently used entries go first. 64 MiB. */
  cacheTotalMax: number;
  /** Connections served at once; more are refused with 503 and closed. Default 1024. */
  maxConnections: number;
  /** Longest request line (414). Default 8 KiB. */
  maxLine: number;
  /** Largest request head (431). Default 32 KiB. */
  maxHead: number;
  /** Most header field lines (431). Default 100. */
  maxFields: number;
  /** Largest request body (413). Default 1 GiB. */
  maxBody: number;
  /** Most chunk-extension bytes per chunk (413). Default 1 KiB. */
  maxChunkExt: number;
  /** A body sent to a static file is read and discarded up to this size, else close. 64 KiB. */
  discardBodyMax: number;
  /** Seconds a client has to send a whole request head (408). Default 10. */
  headTimeout: number;
  /** Seconds an idle keep-alive connection is kept. Default 30. */
  idleTimeout: number;
  /** Print a help text and exit. */
  help: boolean;
}

export const DEFAULTS: Readonly<Config> = {
  root: "examples/site",
  host: "127.0.0.1",
  port: 8080,
  cacheFileMax: 256 * 1024,
  cacheTotalMax: 64 * 1024 * 1024,
  maxConnections: 1024,
  maxLine: 8 * 1024,
  maxHead: 32 * 1024,
  maxFields: 100,
  maxBody: 1024 * 1024 * 1024,
  maxChunkExt: 1024,
  discardBodyMax: 64 * 1024,
  headTimeout: 10,
  idleTimeout: 30,
  help: false,
};

/** A command-line mistake: main prints `tuxd: MESSAGE` and exits with status 2. */
export class UsageError extends Error {}

type Kind = "size" | "count" | "seconds" | "port" | "host";

interface Flag {
  key: keyof Config;
  kind: Kind;
  arg: string;
  help: string;
}

const FLAGS: Record<string, Flag> = {
  "--host": { key: "host", kind: "host", arg: "ADDR", help: "address to listen on" },
  "--port": { key: "port", kind: "port", arg: "N", help: "port to listen on; 0 picks a free one" },
  "--cache-file-max": {
    key: "cacheFileMax",
    kind: "size",
    arg: "SIZE",
    help: "largest file kept in the object cache",
  },
  "--cache-total-max": {
    key: "cacheTotalMax",
    kind: "size",
    arg: "SIZE",
    help: "memory the object cache may use (LRU)",
  },
  "--max-connections": {
    key: "maxConnections",
    kind: "count",
    arg: "N",
    help: "connections served at once; more get 503",
  },
  "--max-line": { key: "maxLine", kind: "size", arg: "SIZE", help: "longest request line (414)" },
  "--max-head": { key: "maxHead", kind: "size", arg: "SIZE", help: "largest request head (431)" },
  "--max-fields": {
    key: "maxFields",
    kind: "count",
    arg: "N",
    help: "most header field lines (431)",
  },
  "--max-body": { key: "maxBody", kind: "size", arg: "SIZE", help: "largest request body (413)" },
  "--max-chunk-ext": {
    key: "maxChunkExt",
    kind: "size",
    arg: "SIZE",
    help: "most chunk-extension bytes per chunk",
  },
  "--discard-body-max": {
    key: "discardBodyMax",
    kind: "size",
    arg: "SIZE",
    help: "body to a static file read and dropped up to this, else close",
  },
  "--head-timeout": {
    key: "headTimeout",
    kind: "seconds",
    arg: "SECONDS",
    help: "time to send a whole request head (408)",
  },
  "--idle-timeout": {
    key: "idleTimeout",
    kind: "seconds",
    arg: "SECONDS",
    help: "idle keep-alive connections are closed after this",
  },
};

function defaultText(key: keyof Config): string {
  const v = DEFAULTS[key];
  const kind = Object.values(FLAGS).find((f) => f.key === key)?.kind;
  if (kind === "size" && typeof v === "number") return formatSize(v);
  if (kind === "seconds") return `${v}s`;
  return String(v);
}

function formatSize(n: number): string {
  for (const [unit, size] of [["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return String(n);
}

export function helpText(): string {
  const lines = [
    "Usage: deno task start [ROOT] [flags]",
    "",
    "tuxd serves the files under ROOT (default examples/site) over HTTP/1.1.",
    "",
    "Flags (default in brackets; SIZE takes K, M or G suffixes):",
  ];
  for (const [name, f] of Object.entries(FLAGS)) {
    const left = `  ${name} ${f.arg}`.padEnd(30);
    lines.push(`${left}${f.help} [${defaultText(f.key)}]`);
  }
  lines.push(`  ${"--help".padEnd(28)}print this text`);
  return lines.join("\n");
}

function parseValue(flag: string, kind: Kind, raw: string): string | number {
  if (kind === "host") {
    if (!/^[A-Za-z0-9.:\-\[\]]+$/.test(raw)) throw new UsageError(`${flag}: bad address '${raw}'`);
    return raw.replace(/^\[(.*)\]$/, "$1");
  }
  if (kind === "size") {
    const m = /^(\d{1,15})([KMG]?)i?B?$/i.exec(raw);
    if (!m) throw new UsageError(`${flag}: expected a size like 64K, got '${raw}'`);
    const mult = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[m[2].toUpperCase()]!;
    return Number(m[1]) * mult;
  }
  if (!/^\d{1,9}$/.test(raw)) throw new UsageError(`${flag}: expected a number, got '${raw}'`);
  const n = Number(raw);
  if (kind === "port" && n > 65535) throw new UsageError(`${flag}: port ${n} is above 65535`);
  if ((kind === "count" || kind === "seconds") && n === 0) {
    throw new UsageError(`${flag}: must be at least 1`);
  }
  return n;
}

/** Parses argv (without the program name). Throws UsageError on any mistake. */
export function parseArgs(args: readonly string[]): Config {
  const config: Config = { ...DEFAULTS };
  const set = config as unknown as Record<string, unknown>;
  let rootSeen = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") {
      config.help = true;
      continue;
    }
    if (arg.startsWith("-")) {
      const eq = arg.indexOf("=");
      const name = eq > 0 ? arg.slice(0, eq) : arg;
      const flag = FLAGS[name];
      if (!flag) throw new UsageError(`unknown flag '${name}' (see --help)`);
      let raw: string;
      if (eq > 0) raw = arg.slice(eq + 1);
      else if (i + 1 < args.length) raw = args[++i];
      else throw new UsageError(`${name} needs a value (${flag.arg})`);
      set[flag.key] = parseValue(name, flag.kind, raw);
      continue;
    }
    if (rootSeen) throw new UsageError(`only one ROOT may be given ('${arg}' is extra)`);
    config.root = arg;
    rootSeen = true;
  }
  if (config.maxLine > config.maxHead) {
    throw new UsageError("--max-line must not exceed --max-head");
  }
  if (config.maxHead > 1024 * 1024) throw new UsageError("--max-head must be at most 1M");
  if (config.maxFields > 400) throw new UsageError("--max-fields must be at most 400");
  return config;
}
