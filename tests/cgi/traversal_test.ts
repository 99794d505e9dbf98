/**
 * No spelling of a URL runs a program outside the CGI directory or serves a script's source:
 * dot segments (plain, encoded, double-encoded), doubled slashes, encoded slashes, case,
 * NUL, backslashes, symlinks out of the CGI directory and into it from the document root,
 * and directory listings. The CGI directory sits inside the document root here, the case
 * where a static spelling could reach a script's source.
 */
import assert from "node:assert/strict";
import { parseResponses, rawRequest, startTuxd } from "../_util/server.ts";
import { latin1, openTempDir, sharedDir, writeScripts } from "./_util.ts";

/** In every script's source, never in any response body. */
const TOKEN = "SOURCE-TOKEN-7f3a";

Deno.test("CGI: traversal and source-disclosure spellings run and reveal nothing", async (t) => {
  const base = await openTempDir("tuxd-cgi-trav-");
  const site = `${base}/site`;
  const cgi = `${site}/cgi-bin`;
  const outside = `${base}/outside`;
  await Deno.mkdir(site);
  await Deno.mkdir(cgi);
  await Deno.mkdir(outside);
  const marks = await sharedDir(base, "marks");
  const marker = (name: string) =>
    `#!/bin/sh\n# ${TOKEN}\ntouch "$MARKS/${name}"\nprintf 'Content-Type: text/plain\\n\\nran ${name}\\n'\n`;
  await writeScripts(cgi, { "ok.sh": marker("ok") });
  await writeScripts(cgi, { ".hidden.sh": marker("hidden") });
  await writeScripts(outside, { "evil.sh": marker("evil") });
  await writeScripts(site, {
    "rooted.sh": `#!/bin/sh\n# static, not CGI\ntouch "$MARKS/rooted"\n`,
  });
  await Deno.writeTextFile(`${cgi}/config.txt`, `secret=${TOKEN}\n`);
  await Deno.writeTextFile(`${site}/page.html`, "<p>static page</p>\n");
  // A link out of the CGI directory, and one into it from the document root.
  await Deno.symlink(`${outside}/evil.sh`, `${cgi}/escape.sh`);
  await Deno.symlink(cgi, `${site}/alias`);
  await Deno.symlink(`${cgi}/ok.sh`, `${site}/ok-link.sh`);

  const srv = await startTuxd({
    root: site,
    args: ["--cgi", `/cgi-bin/=${cgi}`, "--cgi-env", `/cgi-bin/=MARKS=${marks}`, "--listing"],
  });
  const get = async (target: string) => {
    const raw = await rawRequest(
      srv.port,
      `GET ${target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
    );
    const [r] = parseResponses(raw);
    return { status: r.status, body: latin1(r.body) };
  };
  const ran = async () => {
    const names: string[] = [];
    for await (const e of Deno.readDir(marks)) names.push(e.name);
    return names.sort();
  };
  try {
    await t.step("the legitimate script runs, whatever equivalent spelling names it", async () => {
      for (
        const p of [
          "/cgi-bin/ok.sh",
          "//cgi-bin/ok.sh",
          "/cgi-bin/./ok.sh",
          "/x/../cgi-bin/ok.sh",
          "/cgi-bin/%6Fk.sh",
        ]
      ) {
        const r = await get(p);
        assert.equal(r.status, 200, p);
        assert.equal(r.body, "ran ok\n", p);
      }
    });

    await t.step("spellings that leave the CGI directory run nothing outside it", async () => {
      const cases: [string, number][] = [
        ["/cgi-bin/../../outside/evil.sh", 404],
        ["/cgi-bin/%2e%2e/%2e%2e/outside/evil.sh", 404],
        ["/cgi-bin/%2E%2E/%2e%2E/outside/evil.sh", 404],
        ["/cgi-bin/..%2f..%2foutside/evil.sh", 400],
        ["/cgi-bin/%252e%252e/%252e%252e/outside/evil.sh", 404],
        ["/cgi-bin/%252e%252e%252foutside%252fevil.sh", 404],
        ["/cgi-bin/..%5c..%5coutside/evil.sh", 400],
        ["/cgi-bin/escape.sh", 404],
        ["/cgi-bin/escape.sh/x", 404],
        ["/rooted.sh", 200], // a file of the document root: served as a file, never run
        ["/cgi-bin/../rooted.sh", 200],
        ["http://t/cgi-bin/../../outside/evil.sh", 404],
        ["/cgi-bin/.hidden.sh", 404],
        ["/cgi-bin/%2ehidden.sh", 404],
      ];
      for (const [p, status] of cases) {
        const r = await get(p);
        assert.equal(r.status, status, `${p}: ${r.status} ${r.body}`);
        assert.ok(!r.body.includes("ran "), `${p} ran something`);
      }
      assert.deepEqual(await ran(), ["ok"], "only ok.sh has ever run");
    });

    await t.step("no spelling serves a script's source or the CGI directory's files", async () => {
      const cases = [
        "/cgi-bin/config.txt",
        "/CGI-BIN/ok.sh",
        "/Cgi-Bin/ok.sh",
        "/cgi-bin/OK.SH",
        "/alias/ok.sh",
        "/ALIAS/ok.sh",
        "/alias/config.txt",
        "/ok-link.sh",
        "/cgi-bin/ok.sh%00.txt",
        "/cgi-bin/ok.sh%2500",
        "/cgi-bin/ok.sh;.txt",
        "/cgi-bin/ok.sh%20",
        "/cgi-bin/ok.sh.",
        "/cgi-bin/ok.sh~",
        "/alias/",
        "/alias",
        "/cgi-bin/",
        "/cgi-bin",
        "/cgi-bin//",
        "/cgi-bin/%2e",
      ];
      for (const p of cases) {
        const r = await get(p);
        assert.ok(r.status === 404 || r.status === 400 || r.status === 301, `${p}: ${r.status}`);
        assert.ok(!r.body.includes(TOKEN), `${p} disclosed a source: ${r.body}`);
        assert.ok(!r.body.includes("ok.sh"), `${p} listed the CGI directory: ${r.body}`);
      }
      assert.deepEqual(await ran(), ["ok"], "nothing else ran");
    });

    await t.step(
      "the root's listing does not show the CGI directory or links into it",
      async () => {
        const r = await get("/");
        assert.equal(r.status, 200);
        assert.match(r.body, /page\.html/, "the listing is on");
        for (const name of ["cgi-bin", "alias", "ok-link.sh"]) {
          assert.ok(!r.body.includes(name), `the listing shows ${name}`);
        }
      },
    );
  } finally {
    await srv.stop();
    await Deno.remove(base, { recursive: true });
  }
});
