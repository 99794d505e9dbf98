// The tuxd processes seen through /proc, for tests that measure memory or look for children.

/** Children of process `pid` (every thread's children file). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/children`).trim();
    if (text) out.push(...text.split(/\s+/).map(Number));
  }
  return out;
}

/**
 * The tuxd server process: startTuxd's pid is the launcher (`src/launch.ts`), whose only child
 * is the server (`src/main.ts`).
 */
export function serverPid(launcherPid: number): number {
  const kids = childPids(launcherPid);
  if (kids.length !== 1) throw new Error(`launcher ${launcherPid} has children ${kids}`);
  const cmd = Deno.readTextFileSync(`/proc/${kids[0]}/cmdline`);
  if (!cmd.includes("main.ts")) throw new Error(`child ${kids[0]} is not the server: ${cmd}`);
  return kids[0];
}

/** A `kB` field of /proc/PID/status, in bytes. */
export function procStatusBytes(pid: number, field: "VmHWM" | "VmRSS"): number {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text);
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Whether process `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}
