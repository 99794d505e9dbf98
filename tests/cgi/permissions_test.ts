// The Deno permissions CGI needs: the server's (exactly the programs present at launch) and
// each .ts/.js script's (its directory, its variables, its --cgi-allow grants).
import assert from "node:assert/strict";
import { cgiPermissionFlags, scriptFlags } from "../../src/cgi/permissions.ts";
import { parseArgs, UsageError } from "../../src/config.ts";
import { REPO_ROOT } from "../_util/server.ts";
import { openTempDir, writeScripts } from "./_util.ts";

async function fixture(): Promise<{ root: string; dir: string }> {
  const root = await openTempDir("tuxd-cgi-perm-");
  const dir = `${root}/cgi`;
  await Deno.mkdir(dir);
  await writeScripts(dir, { "a.sh": "#!/bin/sh\n", "b.ts": "", "nph-c.pl": "#!/usr/bin/perl\n" });
  await writeScripts(root, { "outside.sh": "#!/bin/sh\n" });
  await writeScripts(dir, { ".hidden.sh": "#!/bin/sh\n" });
  await Deno.writeTextFile(`${dir}/notes.txt`, "data");
  await Deno.symlink(`${root}/outside.sh`, `${dir}/escape.sh`);
  return { root, dir };
}

Deno.test("cgiPermissionFlags: read the directory, run exactly its programs", async () => {
  const { root, dir } = await fixture();
  try {
    // No --cgi and a ROOT: nothing to run (without a ROOT the bundled example CGI is mapped).
    assert.deepEqual(cgiPermissionFlags(parseArgs([root])), []);
    assert.deepEqual(cgiPermissionFlags(parseArgs(["--cgi", `/cgi-bin/=${dir}`])), [
      `--allow-read=${dir}`,
      // Not notes.txt (not executable), .hidden.sh (hidden) or escape.sh (outside).
      `--allow-run=${dir}/a.sh,${dir}/nph-c.pl,deno,kill`,
      "--allow-sys=uid",
    ]);
    // The path as configured is granted too: the server opens it by that name.
    const relative = cgiPermissionFlags(parseArgs(["--cgi", `/c/=${dir}/../cgi`]));
    assert.equal(relative[0], `--allow-read=${dir}/../cgi,${dir}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cgiPermissionFlags: a single program, and no deno without scripts", () => {
  const git = "/usr/lib/git-core/git-http-backend";
  assert.deepEqual(cgiPermissionFlags(parseArgs(["--cgi", `/git/=${git}`])), [
    `--allow-read=${git}`,
    `--allow-run=${git},kill`,
    "--allow-sys=uid",
  ]);
});

Deno.test("cgiPermissionFlags: configuration mistakes are usage errors", async () => {
  const { root, dir } = await fixture();
  try {
    const bad = (args: string[], re: RegExp) =>
      assert.throws(
        () => cgiPermissionFlags(parseArgs(args)),
        (e) => e instanceof UsageError && re.test(e.message),
      );
    bad(["--cgi", `/c/=${root}/missing`], /cannot use .*no such file/);
    bad(["--cgi", `/c/=${dir}/notes.txt`], /not executable/);
    bad(["--cgi", `/c/=${dir}`, "--cgi-allow", "/c/=everything"], /expected one of/);
    bad(["--cgi", `/c/=${dir}`, "--cgi-env", "/d/=A=1"], /no --cgi mapping/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cgiPermissionFlags: a launcher that may not read the directory scans it in a child", async () => {
  const { root, dir } = await fixture();
  try {
    // The launcher's own permissions (`deno task start`): read the project, run deno.
    const probe = `${root}/probe.ts`;
    await Deno.writeTextFile(
      probe,
      `import { cgiPermissionFlags } from ${JSON.stringify(`${REPO_ROOT}/src/cgi/permissions.ts`)};
import { parseArgs } from ${JSON.stringify(`${REPO_ROOT}/src/config.ts`)};
console.log(JSON.stringify({
  canRead: Deno.permissions.querySync({ name: "read", path: ${JSON.stringify(dir)} }).state,
  flags: cgiPermissionFlags(parseArgs(["--cgi", "/c/=${dir}"])),
}));
`,
    );
    const out = await new Deno.Command("deno", {
      args: [
        "run",
        "--no-prompt",
        "--no-config",
        `--allow-read=${REPO_ROOT}`,
        "--allow-run=deno",
        probe,
      ],
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, err);
    const got = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(got.canRead, "prompt", "the probe must not be able to read the directory");
    assert.deepEqual(got.flags, [
      `--allow-read=${dir}`,
      `--allow-run=${dir}/a.sh,${dir}/nph-c.pl,deno,kill`,
      "--allow-sys=uid",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("scriptFlags: its directory, its variables, and merged --cgi-allow grants", () => {
  assert.deepEqual(scriptFlags("/srv/cgi", ["A", "B"], []), [
    "--no-prompt",
    "--no-config",
    "--no-lock",
    "--no-remote",
    "--no-npm",
    "--allow-read=/srv/cgi",
    "--allow-env=A,B",
  ]);
  assert.deepEqual(
    scriptFlags("/srv/cgi", ["A"], [
      "read=/data",
      "net=a.test:443",
      "net=b.test",
      "sys",
      "import=jsr.io",
    ]),
    [
      "--no-prompt",
      "--no-config",
      "--no-lock",
      "--allow-read=/srv/cgi,/data",
      "--allow-env=A",
      "--allow-net=a.test:443,b.test",
      "--allow-sys",
      "--allow-import=jsr.io",
    ],
  );
  // A bare name grants the permission whole, whatever else was listed.
  assert.deepEqual(scriptFlags("/d", [], ["net=a.test", "net"]).slice(-1), ["--allow-net"]);
});
