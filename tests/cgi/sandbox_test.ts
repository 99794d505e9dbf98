/**
 * TypeScript CGI scripts run in Deno's sandbox: examples/cgi-bin/sandbox.ts, served with the
 * flags of `deno task start`, may read its own directory but not /etc/passwd, may not open
 * a network connection, and says so; --cgi-allow grants a prefix more.
 */
import assert from "node:assert/strict";
import { REPO_ROOT, startTuxd } from "../_util/server.ts";
import { openTempDir, writeScripts } from "./_util.ts";

interface Attempt {
  ok: boolean;
  value?: unknown;
  error?: string;
}

interface Report {
  script: string;
  gateway: string;
  ownDirectory: Attempt;
  etcPasswd: Attempt;
  network: Attempt;
  environment: Attempt;
}

Deno.test("CGI sandbox: examples/cgi-bin/sandbox.ts under deno task start's flags", async (t) => {
  const srv = await startTuxd({
    args: [
      "--cgi",
      "/cgi-bin/=examples/cgi-bin",
      // The same script under a prefix granted network access to loopback.
      "--cgi",
      "/net-bin/=examples/cgi-bin",
      "--cgi-allow",
      "/net-bin/=net=127.0.0.1",
    ],
  });
  const report = async (path: string): Promise<Report> => {
    const res = await fetch(new URL(path, srv.url));
    assert.equal(res.status, 200, srv.stderr());
    assert.equal(res.headers.get("content-type"), "application/json");
    return await res.json();
  };
  try {
    await t.step("its own directory: readable", async () => {
      const r = await report("/cgi-bin/sandbox.ts");
      assert.equal(r.gateway, "CGI/1.1");
      assert.equal(r.script, "/cgi-bin/sandbox.ts");
      assert.deepEqual(r.ownDirectory, {
        ok: true,
        value: [...Deno.readDirSync(`${REPO_ROOT}/examples/cgi-bin`)].map((e) => e.name).sort(),
      });
    });

    await t.step("/etc/passwd, the network, other variables: refused by Deno", async () => {
      const r = await report("/cgi-bin/sandbox.ts");
      assert.deepEqual(r.etcPasswd, { ok: false, error: "NotCapable" });
      assert.deepEqual(r.network, { ok: false, error: "NotCapable" });
      // Only the variables it was given, by name: not the whole environment.
      assert.deepEqual(r.environment, { ok: false, error: "NotCapable" });
    });

    await t.step("--cgi-allow net=127.0.0.1 lets the same script connect", async () => {
      const r = await report("/net-bin/sandbox.ts");
      assert.deepEqual(r.network, { ok: true, value: `connected to 127.0.0.1:${srv.port}` });
      assert.deepEqual(r.etcPasswd, { ok: false, error: "NotCapable" }, "and nothing more");
    });
  } finally {
    await srv.stop();
  }
});

Deno.test("CGI sandbox: no writes, no reads beyond the directory unless granted", async () => {
  const base = await openTempDir("tuxd-cgi-sandbox-");
  const cgi = `${base}/cgi`;
  const data = `${base}/data`;
  await Deno.mkdir(cgi);
  await Deno.mkdir(data);
  await Deno.writeTextFile(`${data}/shared.txt`, "shared data\n");
  await writeScripts(cgi, {
    "probe.js": `
const tryIt = (f) => { try { return String(f()); } catch (e) { return e.name; } };
const out = {
  write: tryIt(() => { Deno.writeTextFileSync("written.txt", "x"); return "written"; }),
  data: tryIt(() => Deno.readTextFileSync(${JSON.stringify(`${data}/shared.txt`)}).trim()),
  run: await (async () => { try { await new Deno.Command("/usr/bin/id").output(); return "ran"; }
    catch (e) { return e.name; } })(),
  query: Deno.env.get("QUERY_STRING"),
};
console.log("Content-Type: application/json\\n\\n" + JSON.stringify(out));
`,
  });
  const srv = await startTuxd({
    args: [
      "--cgi",
      `/plain/=${cgi}`,
      "--cgi",
      `/granted/=${cgi}`,
      "--cgi-allow",
      `/granted/=read=${data}`,
    ],
  });
  try {
    const plain = await (await fetch(new URL("/plain/probe.js?q=1", srv.url))).json();
    assert.deepEqual(plain, {
      write: "NotCapable",
      data: "NotCapable",
      run: "NotCapable",
      query: "q=1",
    });
    const granted = await (await fetch(new URL("/granted/probe.js", srv.url))).json();
    assert.equal(granted.data, "shared data");
    assert.equal(granted.write, "NotCapable");
    assert.ok(!(await Deno.stat(`${cgi}/written.txt`).then(() => true, () => false)));
  } finally {
    await srv.stop();
    await Deno.remove(base, { recursive: true });
  }
});
