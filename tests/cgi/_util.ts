/**
 * Helpers for the CGI tests: directories of scripts that an unprivileged user can run (tuxd
 * runs native programs as --cgi-user when the tests run as root), and a look at processes
 * through /proc.
 */

/** The uid native CGI programs run as under the tests: 65534 as root, else our own. */
export const PROGRAM_UID: number = Deno.uid() === 0 ? 65534 : Deno.uid()!;

/** A temporary directory every user may enter (makeTempDir's is 0700). */
export async function openTempDir(prefix: string): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  await Deno.chmod(dir, 0o755);
  return dir;
}

/** A directory anybody may write to, for marker files written by programs run as nobody. */
export async function sharedDir(parent: string, name: string): Promise<string> {
  const dir = `${parent}/${name}`;
  await Deno.mkdir(dir);
  await Deno.chmod(dir, 0o1777);
  return dir;
}

/** Writes executable scripts (mode 0755) into `dir`; names ending in .ts/.js get 0644. */
export async function writeScripts(dir: string, scripts: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(scripts)) {
    const path = `${dir}/${name}`;
    await Deno.writeTextFile(path, text);
    await Deno.chmod(path, /\.(ts|js)$/.test(name) ? 0o644 : 0o755);
  }
}

/** Whether a process has ended (gone, or a zombie nobody reaped yet). */
export function processGone(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Polls `cond` every 50 ms until it holds; false after `ms`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  ms: number,
): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return await cond();
}

/** Reads the pids a script wrote into `file` (one per line), once it has written them. */
export async function readPids(file: string, count: number, ms = 5000): Promise<number[]> {
  let pids: number[] = [];
  const ok = await waitFor(async () => {
    try {
      pids = (await Deno.readTextFile(file)).split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return false;
    }
    return pids.length >= count;
  }, ms);
  if (!ok) throw new Error(`${file}: no ${count} pids within ${ms} ms`);
  return pids;
}

export { procStatusBytes as procMemory, serverPid } from "../_util/proc.ts";

/** One request on a fresh connection, read until the server closes it or `ms` pass. */
export async function exchange(
  port: number,
  request: string,
  ms = 5000,
): Promise<{ bytes: Uint8Array; closed: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const parts: Uint8Array[] = [];
  let closed = false;
  const timer = setTimeout(() => conn.close(), ms);
  try {
    await conn.write(new TextEncoder().encode(request));
    const buf = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) {
        closed = true;
        break;
      }
      parts.push(buf.slice(0, n));
    }
  } catch {
    // closed by the timer
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { bytes: out, closed };
}

export const latin1 = (b: Uint8Array): string => new TextDecoder("latin1").decode(b);

/**
 * examples/cgi-bin, or a copy of it anybody can reach: native programs run as an
 * unprivileged user when the tests run as root, and a checkout under a private directory
 * (/root/…) is out of that user's reach.
 */
export async function exampleCgiDir(
  repoRoot: string,
): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = `${repoRoot}/examples/cgi-bin`;
  const none = { dir, cleanup: () => Promise.resolve() };
  if (PROGRAM_UID === Deno.uid()) return none;
  const probe = await new Deno.Command("/bin/sh", {
    args: ["-c", 'test -r "$1" && test -x "$1"', "sh", `${dir}/form.pl`],
    uid: PROGRAM_UID,
    gid: PROGRAM_UID,
    clearEnv: true,
  }).output();
  if (probe.success) return none;
  const base = await openTempDir("tuxd-cgi-examples-");
  for await (const e of Deno.readDir(dir)) {
    await Deno.copyFile(`${dir}/${e.name}`, `${base}/${e.name}`);
    await Deno.chmod(`${base}/${e.name}`, (await Deno.stat(`${dir}/${e.name}`)).mode! & 0o777);
  }
  return { dir: base, cleanup: () => Deno.remove(base, { recursive: true }) };
}
