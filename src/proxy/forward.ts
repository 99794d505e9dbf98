// The request head tuxd sends to the backend: the client's request as received, minus the
// hop-by-hop fields, with exactly one body framing and the forwarding fields added. Pure: the
// handler gathers the inputs, this decides every byte, and the unit tests check it directly.

import { hopByHop } from "./hop.ts";

/** The body framing tuxd uses towards the backend (RFC 9112 §6): exactly one, or none. */
export type RequestFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" };

export interface ForwardInput {
  /** The method as received (case-sensitive, RFC 9110 §9.1). */
  method: string;
  /** The origin-form target to send: path and query as received, after the URL prefix. */
  target: string;
  /** The client's minor version: Via's received-protocol (RFC 9110 §7.6.3). */
  minor: number;
  /** The field lines as received: [name as sent, value]. */
  fields: readonly (readonly [string, string])[];
  /** The authority of an absolute-form target, which replaces Host (RFC 9112 §3.2.2). */
  authority: string | null;
  framing: RequestFraming;
  /** The Upgrade value to pass on, for an upgrade request only (RFC 9110 §7.8). */
  upgrade: string | null;
  /** The client's address (Forwarded for=, X-Forwarded-For). */
  client: { hostname: string };
  /** tuxd's listening address (Forwarded by=, and Host when an HTTP/1.0 client sent none). */
  server: { hostname: string; port: number };
  /** Keep and append to client-sent Forwarded / X-Forwarded-* instead of replacing them. */
  trustForwarded: boolean;
}

/** Fields tuxd rebuilds itself, so the received ones never pass. */
const REBUILT = new Set(["content-length", "host"]);
const FORWARDING = new Set([
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
]);

/** The request head (latin1 text, CRLF line ends) to write to the backend. */
export function forwardHead(f: ForwardInput): string {
  // Host is never dropped, even when a Connection line names it: an HTTP/1.1 request without
  // Host is invalid (RFC 9112 §3.2), and the backend must see the client's authority.
  const drop = hopByHop(f.fields, ["host"]);
  const lines: string[] = [`${f.method} ${f.target} HTTP/1.1`];
  let host = f.authority;
  const xff: string[] = [];
  let xfProto: string | null = null;
  let xfHost: string | null = null;
  for (const [name, value] of f.fields) {
    const lower = name.toLowerCase();
    if (lower === "host") {
      host ??= value;
      continue;
    }
    if (drop.has(lower) || REBUILT.has(lower)) continue;
    // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored; sent on
    // as HTTP/1.1 it would become one.
    if (lower === "expect" && f.minor === 0) continue;
    if (FORWARDING.has(lower)) {
      if (!f.trustForwarded) continue; // replaced: a client can claim any address
      if (lower === "x-forwarded-for") {
        xff.push(value);
        continue;
      }
      if (lower === "x-forwarded-proto") {
        xfProto ??= value;
        continue;
      }
      if (lower === "x-forwarded-host") {
        xfHost ??= value;
        continue;
      }
    }
    lines.push(`${name}: ${value}`);
  }
  const serverAuthority = `${bracket(f.server.hostname)}:${f.server.port}`;
  host ??= serverAuthority; // HTTP/1.0 without Host: the address it reached tuxd on
  lines.splice(1, 0, `Host: ${host}`);

  if (f.framing.kind === "length") lines.push(`Content-Length: ${f.framing.length}`);
  else if (f.framing.kind === "chunked") lines.push("Transfer-Encoding: chunked");
  if (f.upgrade !== null) lines.push(`Upgrade: ${f.upgrade}`, "Connection: upgrade");

  // RFC 7239 §4: one forwarded-element per hop; a trusted earlier hop's elements stay first.
  const element = [
    `for=${forwardedValue(bracket(f.client.hostname))}`,
    `host=${forwardedValue(host)}`,
    "proto=http",
    `by=${forwardedValue(bracket(f.server.hostname))}`,
  ];
  lines.push(`Forwarded: ${element.join(";")}`);
  xff.push(f.client.hostname);
  lines.push(`X-Forwarded-For: ${xff.join(", ")}`);
  lines.push(`X-Forwarded-Proto: ${xfProto ?? "http"}`);
  lines.push(`X-Forwarded-Host: ${xfHost ?? host}`);
  // RFC 9110 §7.6.3: the protocol tuxd received the request with, then its pseudonym; a Via
  // the client sent stays as its own line before this one.
  lines.push(`Via: 1.${f.minor > 0 ? 1 : 0} tuxd`);
  return lines.join("\r\n") + "\r\n\r\n";
}

/** An IPv6 address as URI authorities (RFC 3986 §3.2.2) and RFC 7239 §6 nodes write it. */
function bracket(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/** A token as it is, anything else as a quoted-string (RFC 7239 §4, RFC 9110 §5.6.4). */
function forwardedValue(v: string): string {
  if (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(v)) return v;
  return `"${v.replace(/["\\]/g, "\\$&")}"`;
}
