// Command-line flags → Config. Pure: no file system access, so the launcher can use it before
// it has permission to read anything, and tests can use it directly.

export interface Config {
  /** Document root, as given (resolved and checked by the server). Default `examples/site`. */
  root: string;
  /** Address to listen on. Default `127.0.0.1`. */
  host: string;
  /** Port to listen on; 0 picks a free one. Default 8080. */
  port: number;
  /** Files up to this size are kept in the object cache. Default 1 MiB. */
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
  /** Seconds a response write may stay pending before the client is dropped (nginx's send_timeout). 60. */
  sendTimeout: number;
  /** Bytes per second a request body must average after the first head-timeout. 1 KiB. */
  minBodyRate: number;
  /** Server isolates sharing the port (SO_REUSEPORT), each with its own cache; 0 = one per core. */
  workers: number;
  /** Directory listings for directories without index.html (HTML, or JSON on request). */
  listing: boolean;
  /** Custom error pages: status → path under the root (`--error-page 404=/404.html`). */
  errorPages: Map<number, string>;
  /** Cache-Control by glob on the request path, first match wins (`*.js=public, …`). */
  cacheControl: [glob: string, value: string][];
  /** Send CORS fields (`Access-Control-Allow-Origin: *`) and answer preflights. */
  cors: boolean;
  /** Virtual hosts: files from ROOT/<host>/, falling back to ROOT/default/. */
  vhosts: boolean;
  /** CGI mappings: URL prefix → directory of programs. */
  cgi: [prefix: string, dir: string][];
  /** Extra Deno permissions for TypeScript CGI scripts under a prefix (`net=api.local:443`). */
  cgiAllow: [prefix: string, permission: string][];
  /** Fixed environment variables for CGI programs under a prefix (`NAME=VALUE`). */
  cgiEnv: [prefix: string, assignment: string][];
  /** Seconds a CGI program may run before it is killed (504). Default 30. */
  cgiTimeout: number;
  /** CGI programs running at once; more get 503 with Retry-After. Default 16. */
  cgiMax: number;
  /** Largest CGI response head (502 past it). Default 8 KiB, at most 12 KiB. */
  cgiMaxHead: number;
  /** uid[:gid] for native CGI programs when tuxd runs as root. Default 65534:65534. */
  cgiUser: string;
  /** Pass the Authorization field to CGI programs as HTTP_AUTHORIZATION. */
  cgiPassAuth: boolean;
  /** Backend to hand requests on to (`http://host:port[/prefix]`), or null. */
  backend: string | null;
  /** Paths under these prefixes always go to the backend. */
  backendPrefixes: string[];
  /** Seconds to wait for the backend's response head (504). Default 30. */
  backendTimeout: number;
  /** Keep client-sent Forwarded/X-Forwarded-* and append to them, instead of replacing. */
  trustForwarded: boolean;
  /** Print a help text and exit. */
  help: boolean;
}

/** The CGI directory of the bundled example, mapped at /cgi-bin/ when no ROOT is given. */
export const EXAMPLE_CGI = "examples/cgi-bin";

export const DEFAULTS: Readonly<Config> = {
  root: "examples/site",
  host: "127.0.0.1",
  port: 8080,
  cacheFileMax: 1024 * 1024,
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
  sendTimeout: 60,
  minBodyRate: 1024,
  workers: 1,
  listing: false,
  errorPages: new Map(),
  cacheControl: [],
  cors: false,
  vhosts: false,
  cgi: [],
  cgiAllow: [],
  cgiEnv: [],
  cgiTimeout: 30,
  cgiMax: 16,
  cgiMaxHead: 8 * 1024,
  cgiUser: "65534:65534",
  cgiPassAuth: false,
  backend: null,
  backendPrefixes: [],
  backendTimeout: 30,
  trustForwarded: false,
  help: false,
};

/** A command-line mistake: main prints `tuxd: MESSAGE` and exits with status 2. */
export class UsageError extends Error {}

type Kind =
  | "size"
  | "count"
  | "seconds"
  | "port"
  | "host"
  | "bool"
  | "url"
  | "user"
  | "prefix"
  | "pair"
  | "status-page"
  | "glob-value"
  | "workers";

interface Flag {
  key: keyof Config;
  kind: Kind;
  /** The value's name in --help; empty for switches. */
  arg: string;
  help: string;
  /** May be given more than once; each adds to a list. */
  repeat?: boolean;
}

function flag(key: keyof Config, kind: Kind, arg: string, help: string, repeat = false): Flag {
  return { key, kind, arg, help, repeat };
}

const FLAGS: Record<string, Flag> = {
  "--host": flag("host", "host", "ADDR", "address to listen on"),
  "--port": flag("port", "port", "N", "port to listen on; 0 picks a free one"),
  "--cache-file-max": flag("cacheFileMax", "size", "SIZE", "largest file in the object cache"),
  "--cache-total-max": flag("cacheTotalMax", "size", "SIZE", "memory of the object cache (LRU)"),
  "--max-connections": flag("maxConnections", "count", "N", "connections at once; more get 503"),
  "--max-line": flag("maxLine", "size", "SIZE", "longest request line (414)"),
  "--max-head": flag("maxHead", "size", "SIZE", "largest request head (431)"),
  "--max-fields": flag("maxFields", "count", "N", "most header field lines (431)"),
  "--max-body": flag("maxBody", "size", "SIZE", "largest request body (413)"),
  "--max-chunk-ext": flag("maxChunkExt", "size", "SIZE", "most chunk-extension bytes per chunk"),
  "--discard-body-max": flag(
    "discardBodyMax",
    "size",
    "SIZE",
    "unread body dropped up to this, else close",
  ),
  "--head-timeout": flag("headTimeout", "seconds", "SECONDS", "time to send a request head (408)"),
  "--idle-timeout": flag("idleTimeout", "seconds", "SECONDS", "idle keep-alive connection closed"),
  "--send-timeout": flag(
    "sendTimeout",
    "seconds",
    "SECONDS",
    "client leaving a write pending dropped",
  ),
  "--min-body-rate": flag(
    "minBodyRate",
    "size",
    "BYTES",
    "slowest average request body per second (408)",
  ),
  "--workers": flag("workers", "workers", "N|auto", "server isolates sharing the port"),
  "--listing": flag("listing", "bool", "", "list directories without index.html"),
  "--error-page": flag(
    "errorPages",
    "status-page",
    "CODE=PATH",
    "serve PATH (under the root) for error CODE",
    true,
  ),
  "--cache-control": flag(
    "cacheControl",
    "glob-value",
    "GLOB=VALUE",
    "Cache-Control for paths matching GLOB",
    true,
  ),
  "--cors": flag("cors", "bool", "", "allow cross-origin reads (Access-Control-Allow-Origin: *)"),
  "--vhosts": flag("vhosts", "bool", "", "serve ROOT/<host>/, falling back to ROOT/default/"),
  "--cgi": flag("cgi", "pair", "PREFIX=DIR", "run programs in DIR for paths under PREFIX", true),
  "--cgi-allow": flag(
    "cgiAllow",
    "pair",
    "PREFIX=PERM",
    "extra Deno permission for .ts/.js scripts (net=host:443)",
    true,
  ),
  "--cgi-env": flag(
    "cgiEnv",
    "pair",
    "PREFIX=NAME=VALUE",
    "fixed environment variable for programs under PREFIX",
    true,
  ),
  "--cgi-timeout": flag("cgiTimeout", "seconds", "SECONDS", "CGI program killed after (504)"),
  "--cgi-max": flag("cgiMax", "count", "N", "CGI programs at once; more get 503"),
  "--cgi-max-head": flag("cgiMaxHead", "size", "SIZE", "largest CGI response head (502)"),
  "--cgi-user": flag("cgiUser", "user", "UID:GID", "user for native CGI programs (when root)"),
  "--cgi-pass-auth": flag("cgiPassAuth", "bool", "", "pass Authorization to CGI programs"),
  "--backend": flag("backend", "url", "URL", "hand requests tuxd does not serve to URL"),
  "--backend-prefix": flag(
    "backendPrefixes",
    "prefix",
    "PREFIX",
    "paths under PREFIX always go to the backend",
    true,
  ),
  "--backend-timeout": flag("backendTimeout", "seconds", "SECONDS", "wait for backend head (504)"),
  "--trust-forwarded": flag("trustForwarded", "bool", "", "append to client X-Forwarded-*"),
};

function defaultText(f: Flag): string {
  const v = DEFAULTS[f.key];
  if (f.kind === "size" && typeof v === "number") return formatSize(v);
  if (f.kind === "seconds") return `${v}s`;
  if (f.kind === "bool") return v ? "on" : "off";
  if (f.kind === "workers") return v === 0 ? "auto" : String(v);
  if (f.repeat) return "none";
  return v === null ? "none" : String(v);
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
    "tuxd serves the files under ROOT over HTTP/1.1. Without ROOT it serves the bundled",
    "example: examples/site, with the CGI programs of examples/cgi-bin at /cgi-bin/.",
    "",
    "Flags (default in brackets; SIZE takes K, M or G suffixes; flags marked + repeat):",
  ];
  for (const [name, f] of Object.entries(FLAGS)) {
    const left = `  ${name}${f.arg ? " " + f.arg : ""}${f.repeat ? " +" : ""}`.padEnd(34);
    lines.push(`${left}${f.help} [${defaultText(f)}]`);
  }
  lines.push(`  ${"--help".padEnd(32)}print this text`);
  return lines.join("\n");
}

/** Splits KEY=VALUE at the first '='. */
function pair(flag: string, raw: string, what: string): [string, string] {
  const eq = raw.indexOf("=");
  if (eq <= 0 || eq === raw.length - 1) throw new UsageError(`${flag}: expected ${what}`);
  return [raw.slice(0, eq), raw.slice(eq + 1)];
}

function parseValue(flag: string, kind: Kind, raw: string): unknown {
  switch (kind) {
    case "host":
      if (!/^[A-Za-z0-9.:\-\[\]]+$/.test(raw)) {
        throw new UsageError(`${flag}: bad address '${raw}'`);
      }
      return raw.replace(/^\[(.*)\]$/, "$1");
    case "size": {
      const m = /^(\d{1,15})([KMG]?)i?B?$/i.exec(raw);
      if (!m) throw new UsageError(`${flag}: expected a size like 64K, got '${raw}'`);
      const mult = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[m[2].toUpperCase()]!;
      return Number(m[1]) * mult;
    }
    case "url": {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new UsageError(`${flag}: '${raw}' is not a URL`);
      }
      if (url.protocol !== "http:" || url.search || url.hash || url.username) {
        throw new UsageError(`${flag}: expected http://host:port[/prefix], got '${raw}'`);
      }
      return url.href.replace(/\/$/, "");
    }
    case "user":
      if (!/^\d{1,10}(:\d{1,10})?$/.test(raw)) {
        throw new UsageError(`${flag}: expected UID or UID:GID, got '${raw}'`);
      }
      return raw;
    case "prefix":
      if (!raw.startsWith("/")) throw new UsageError(`${flag}: '${raw}' must start with /`);
      return raw;
    case "pair": {
      const [prefix, value] = pair(flag, raw, "PREFIX=VALUE");
      if (!prefix.startsWith("/")) throw new UsageError(`${flag}: '${prefix}' must start with /`);
      return [prefix, value];
    }
    case "status-page": {
      const [code, path] = pair(flag, raw, "CODE=PATH");
      if (!/^[45]\d\d$/.test(code)) throw new UsageError(`${flag}: '${code}' is not a 4xx/5xx`);
      if (!path.startsWith("/")) throw new UsageError(`${flag}: '${path}' must start with /`);
      return [Number(code), path];
    }
    case "glob-value":
      return pair(flag, raw, "GLOB=VALUE");
    case "bool":
      return true;
    case "workers":
      if (raw === "auto") return 0;
      if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 64) {
        throw new UsageError(`${flag}: expected 1 to 64 or auto, got '${raw}'`);
      }
      return Number(raw);
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
  const config: Config = {
    ...DEFAULTS,
    errorPages: new Map(),
    cacheControl: [],
    cgi: [],
    cgiAllow: [],
    cgiEnv: [],
    backendPrefixes: [],
  };
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
      let raw = "";
      if (flag.kind === "bool") {
        if (eq > 0) throw new UsageError(`${name} takes no value`);
      } else if (eq > 0) raw = arg.slice(eq + 1);
      else if (i + 1 < args.length) raw = args[++i];
      else throw new UsageError(`${name} needs a value (${flag.arg})`);
      const value = parseValue(name, flag.kind, raw);
      const current = set[flag.key];
      if (current instanceof Map) {
        const [k, v] = value as [unknown, unknown];
        current.set(k, v);
      } else if (flag.repeat) (current as unknown[]).push(value);
      else set[flag.key] = value;
      continue;
    }
    if (rootSeen) throw new UsageError(`only one ROOT may be given ('${arg}' is extra)`);
    if (arg === "") throw new UsageError("ROOT is empty");
    config.root = arg;
    rootSeen = true;
  }
  // Without a ROOT, the bundled example is served whole: its site and its CGI programs.
  if (!rootSeen && config.cgi.length === 0) config.cgi.push(["/cgi-bin/", EXAMPLE_CGI]);
  if (config.maxLine > config.maxHead) {
    throw new UsageError("--max-line must not exceed --max-head");
  }
  if (config.maxHead > 1024 * 1024) throw new UsageError("--max-head must be at most 1M");
  if (config.maxFields > 400) throw new UsageError("--max-fields must be at most 400");
  // Heads from CGI programs are rebuilt in the WASM OUT region (16 KiB) with tuxd's fields.
  if (config.cgiMaxHead > 12 * 1024) throw new UsageError("--cgi-max-head must be at most 12K");
  return config;
}
