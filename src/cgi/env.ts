// The CGI request meta-variables (RFC 3875 §4.1), built in one pure function from what the
// handler knows about the request and the script, so every variable has exactly one source.

import { HOP_BY_HOP } from "../http/fields.ts";

/** What the meta-variables are made of; the handler fills it, `cgiEnv` only formats. */
export interface CgiRequestInfo {
  /** The method as sent (case-sensitive, §4.1.12). */
  method: string;
  /** The request-target as sent, for REQUEST_URI (latin1). */
  target: string;
  /** The query without "?", still URL-encoded (latin1), or null. */
  query: string | null;
  /** HTTP minor version of the request: 0 or 1. */
  minor: number;
  /** Request field lines in order, [name as sent, value] (latin1). */
  fields: readonly (readonly [string, string])[];
  /** Content-Length of the body; -1 without one, or when it is chunked (length unknown). */
  contentLength: number;
  remoteAddr: string;
  remotePort: number;
  /** Host from the request (absolute-form authority or Host), lower-cased, without port. */
  host: string;
  /** The address tuxd listens on (SERVER_NAME when the request names no host). */
  listenHost: string;
  listenPort: number;
  /** URL path of the script, decoded (§4.1.13). */
  scriptName: string;
  /** The rest of the path after the script, decoded, "" when none (§4.1.5). */
  pathInfo: string;
  /** Real path of the program file. */
  scriptFilename: string;
  /** Real path of the document root. */
  documentRoot: string;
  /** Pass Authorization as HTTP_AUTHORIZATION (and its scheme as AUTH_TYPE). */
  passAuth: boolean;
}

export const SERVER_SOFTWARE = "tuxd";

/**
 * Request fields never passed as HTTP_* variables: Proxy (httpoxy: HTTP_PROXY would be read
 * as a proxy setting by many HTTP libraries), credentials (§9.2), fields that CONTENT_LENGTH
 * and CONTENT_TYPE carry already (§4.1.18), and fields about the client connection only
 * (§4.1.18), which tuxd has acted on itself (it de-chunks the body and answers Expect).
 */
const WITHHELD = new Set([
  "proxy",
  "proxy-authorization",
  "content-length",
  "content-type",
  "expect",
  ...HOP_BY_HOP,
]);

/** Field names that become variable names without surprises: letters, digits, "-". */
const PLAIN_NAME = /^[A-Za-z0-9-]+$/;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A latin1 string of request bytes as an environment value. Deno passes strings to the
 * environment as UTF-8, so bytes that are UTF-8 already are decoded first and arrive
 * unchanged; other bytes (ISO-8859-1 text, §7.2) can only be passed transcoded.
 */
export function envValue(latin1: string): string {
  let ascii = true;
  for (let i = 0; i < latin1.length; i++) {
    if (latin1.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return latin1;
  const bytes = new Uint8Array(latin1.length);
  for (let i = 0; i < latin1.length; i++) bytes[i] = latin1.charCodeAt(i);
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1;
  }
}

/** The auth-scheme token of an Authorization value (§4.1.1), or "". */
function authScheme(value: string): string {
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)/.exec(value);
  return m ? m[1] : "";
}

/**
 * The meta-variables of RFC 3875 §4.1 plus REQUEST_URI, DOCUMENT_ROOT, SCRIPT_FILENAME and
 * REMOTE_PORT that real programs expect. NULL variables are left unset, as §4.1 allows:
 * CONTENT_LENGTH without a body or with a chunked one (the program reads stdin to its end),
 * CONTENT_TYPE without the field, PATH_TRANSLATED without PATH_INFO (§4.1.6), AUTH_TYPE,
 * REMOTE_USER and REMOTE_IDENT because tuxd authenticates nobody.
 */
export function cgiEnv(info: CgiRequestInfo): Record<string, string> {
  const env: Record<string, string> = {
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_SOFTWARE,
    SERVER_NAME: info.host || bracketed(info.listenHost),
    SERVER_PORT: String(info.listenPort),
    // The protocol of this request (§4.1.16); tuxd answers HTTP/1.1 to both.
    SERVER_PROTOCOL: `HTTP/1.${info.minor}`,
    REQUEST_METHOD: info.method,
    REQUEST_URI: envValue(info.target),
    QUERY_STRING: envValue(info.query ?? ""),
    SCRIPT_NAME: info.scriptName,
    SCRIPT_FILENAME: info.scriptFilename,
    PATH_INFO: info.pathInfo,
    DOCUMENT_ROOT: info.documentRoot,
    REMOTE_ADDR: info.remoteAddr,
    // §4.1.9: the address stands in for a name tuxd does not look up.
    REMOTE_HOST: info.remoteAddr,
    REMOTE_PORT: String(info.remotePort),
  };
  if (info.pathInfo !== "") {
    // §4.1.6: PATH_INFO mapped the way the server maps URL paths, under the document root.
    env.PATH_TRANSLATED = info.documentRoot + info.pathInfo;
  }
  if (info.contentLength >= 0) env.CONTENT_LENGTH = String(info.contentLength);
  const http = new Map<string, string[]>();
  for (const [name, value] of info.fields) {
    const lower = name.toLowerCase();
    if (lower === "content-type") {
      env.CONTENT_TYPE ??= envValue(value);
      continue;
    }
    if (lower === "authorization") {
      if (!info.passAuth) continue;
      env.AUTH_TYPE ??= authScheme(value);
    } else if (WITHHELD.has(lower)) continue;
    // "X_Foo" and "X-Foo" would both be HTTP_X_FOO: one could pose as the other.
    if (!PLAIN_NAME.test(name)) continue;
    const key = "HTTP_" + name.toUpperCase().replaceAll("-", "_");
    const list = http.get(key);
    if (list) list.push(value);
    else http.set(key, [value]);
  }
  for (const [key, values] of http) {
    // §4.1.18: repeated fields become one value with the same meaning; Cookie lines are
    // joined with "; " (RFC 6265 §5.4), everything else with ", " (RFC 9110 §5.3).
    env[key] = envValue(values.join(key === "HTTP_COOKIE" ? "; " : ", "));
  }
  return env;
}

function bracketed(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
