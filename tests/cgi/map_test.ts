// Mapping request paths to CGI programs: prefixes, SCRIPT_NAME/PATH_INFO (RFC 3875 §3.2,
// §4.1.5, §4.1.13), and containment of the program in its directory.
import assert from "node:assert/strict";
import { parseArgs, UsageError } from "../../src/config.ts";
import {
  buildMappings,
  type CgiMapping,
  matchPath,
  programKind,
  resolveProgram,
} from "../../src/cgi/map.ts";
import { normalizePath } from "../../src/static/path.ts";
import { openTempDir, writeScripts } from "./_util.ts";

const dirMap: CgiMapping = {
  label: "/cgi-bin/",
  prefix: "/cgi-bin",
  dir: "/srv/cgi",
  single: false,
  env: [],
  allow: [],
};
const gitMap: CgiMapping = {
  label: "/git/",
  prefix: "/git",
  dir: "/usr/lib/git-core/git-http-backend",
  single: true,
  env: [],
  allow: [],
};
const maps = [dirMap, gitMap];

function match(raw: string) {
  const n = normalizePath(raw);
  if (!n.ok) throw new Error(`${raw}: ${n.reason}`);
  const m = matchPath(maps, n.path, n.slash);
  if (m.kind !== "target") return m.kind;
  const t = m.target;
  return [t.candidate, t.scriptName, t.pathInfo];
}

Deno.test("matchPath: directory mappings split SCRIPT_NAME and PATH_INFO", () => {
  assert.deepEqual(match("/cgi-bin/a.sh"), ["/srv/cgi/a.sh", "/cgi-bin/a.sh", ""]);
  assert.deepEqual(match("/cgi-bin/a.sh/x/y"), ["/srv/cgi/a.sh", "/cgi-bin/a.sh", "/x/y"]);
  assert.deepEqual(match("/cgi-bin/a.sh/x/"), ["/srv/cgi/a.sh", "/cgi-bin/a.sh", "/x/"]);
  assert.deepEqual(match("/cgi-bin/a.sh/"), ["/srv/cgi/a.sh", "/cgi-bin/a.sh", "/"]);
  // PATH_INFO is decoded (§4.1.5); the spellings normalizePath folds run the same program.
  assert.deepEqual(match("/cgi-bin/a.sh/%7Eb%20c"), ["/srv/cgi/a.sh", "/cgi-bin/a.sh", "/~b c"]);
  assert.deepEqual(match("//cgi-bin/./x/../a.sh"), ["/srv/cgi/a.sh", "/cgi-bin/a.sh", ""]);
  assert.equal(match("/cgi-bin/"), "directory");
  assert.equal(match("/cgi-bin"), "directory");
  assert.equal(match("/cgi-binx/a.sh"), "none");
  assert.equal(match("/CGI-BIN/a.sh"), "none");
  assert.equal(match("/cgi-bin/../a.sh"), "none");
  assert.equal(match("/"), "none");
});

Deno.test("matchPath: a single-program mapping gets the whole rest as PATH_INFO", () => {
  const git = "/usr/lib/git-core/git-http-backend";
  assert.deepEqual(match("/git/repo.git/info/refs"), [git, "/git", "/repo.git/info/refs"]);
  assert.deepEqual(match("/git"), [git, "/git", ""]);
  assert.deepEqual(match("/git/"), [git, "/git", "/"]);
});

Deno.test("matchPath: longest prefix first, and a mapping of /", () => {
  const config = parseArgs(["--cgi", "/=/a", "--cgi", "/x/y/=/b", "--cgi", "/x/=/c"]);
  const ms = buildMappings(config, (d) => ({ path: d, isDirectory: true }));
  assert.deepEqual(ms.map((m) => m.prefix), ["/x/y", "/x", ""]);
  const at = (p: string) => {
    const m = matchPath(ms, p, false);
    return m.kind === "target" ? m.target.candidate : m.kind;
  };
  assert.equal(at("/x/y/z"), "/b/z");
  assert.equal(at("/x/z"), "/c/z");
  assert.equal(at("/z"), "/a/z");
  assert.equal(at("/"), "directory");
});

Deno.test("buildMappings: --cgi-env and --cgi-allow must name a mapping, and be well formed", () => {
  const real = (d: string) => ({ path: d, isDirectory: true });
  const ok = parseArgs([
    "--cgi",
    "/cgi-bin/=/srv/cgi",
    "--cgi-env",
    "/cgi-bin=A=1=2",
    "--cgi-env",
    "/cgi-bin/=EMPTY=",
    "--cgi-allow",
    "/cgi-bin/=net=api.test:443",
    "--cgi-allow",
    "/cgi-bin/=env",
  ]);
  const [m] = buildMappings(ok, real);
  assert.deepEqual(m.env, [["A", "1=2"], ["EMPTY", ""]]);
  assert.deepEqual(m.allow, ["net=api.test:443", "env"]);
  const bad = (args: string[], re: RegExp) =>
    assert.throws(
      () => buildMappings(parseArgs(args), real),
      (e) => e instanceof UsageError && re.test(e.message),
    );
  bad(["--cgi", "/a/=/x", "--cgi-env", "/b/=A=1"], /no --cgi mapping/);
  bad(["--cgi", "/a/=/x", "--cgi-env", "/a/=1A=1"], /NAME=VALUE/);
  bad(["--cgi", "/a/=/x", "--cgi-env", "/a/=NOVALUE"], /NAME=VALUE/);
  bad(["--cgi", "/a/=/x", "--cgi-allow", "/a/=all"], /expected one of/);
  bad(["--cgi", "/a/=/x", "--cgi-allow", "/b/=net"], /no --cgi mapping/);
  bad(["--cgi", "/a/=/x", "--cgi", "/a=/y"], /mapped twice/);
  bad(["--cgi", "/a/../b/=/x"], /plain path/);
});

Deno.test("programKind: .ts/.js run by deno; other files only when executable", () => {
  assert.equal(programKind("a.ts", 0o644), "deno");
  assert.equal(programKind("a.js", 0o600), "deno");
  assert.equal(programKind("a.sh", 0o755), "native");
  assert.equal(programKind("a.sh", 0o744), "native");
  assert.equal(programKind("notes.txt", 0o644), null);
});

Deno.test("resolveProgram: real path inside the directory, regular files only", async () => {
  const root = await openTempDir("tuxd-cgi-map-");
  try {
    const dir = `${root}/cgi`;
    await Deno.mkdir(dir);
    await Deno.mkdir(`${dir}/sub`);
    await writeScripts(dir, { "a.sh": "#!/bin/sh\n", "s.ts": "", "nph-x.sh": "#!/bin/sh\n" });
    await writeScripts(root, { "outside.sh": "#!/bin/sh\n" });
    await Deno.writeTextFile(`${dir}/data.txt`, "not a program");
    await Deno.symlink(`${root}/outside.sh`, `${dir}/escape.sh`);
    await Deno.symlink(`${dir}/a.sh`, `${dir}/alias.sh`);
    const [m] = buildMappings(parseArgs(["--cgi", `/c/=${dir}`]), (d) => ({
      path: Deno.realPathSync(d),
      isDirectory: true,
    }));
    const resolve = async (name: string) => {
      const r = matchPath([m], `/c/${name}`, false);
      if (r.kind !== "target") throw new Error(r.kind);
      return await resolveProgram(r.target);
    };
    assert.deepEqual(await resolve("a.sh"), {
      kind: "native",
      path: `${dir}/a.sh`,
      dir,
      nph: false,
    });
    assert.deepEqual(await resolve("s.ts"), { kind: "deno", path: `${dir}/s.ts`, dir, nph: false });
    assert.equal((await resolve("nph-x.sh"))?.nph, true);
    // A link inside the directory runs its target, which is inside too.
    assert.equal((await resolve("alias.sh"))?.path, `${dir}/a.sh`);
    for (const name of ["escape.sh", "data.txt", "sub", "missing.sh"]) {
      assert.equal(await resolve(name), null, name);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
