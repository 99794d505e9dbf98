/**
 * Real-world static bundle: swagger-ui-dist from npm (HTML, JS, CSS, PNG, source maps, ...),
 * served by tuxd, fetched with fetch() and curl, and loaded in headless Chromium.
 *
 * Needs: npm (registry reachable), curl, /usr/bin/chromium. Nothing is skipped: a missing tool
 * fails the test with a message saying what to install.
 */
import assert from "node:assert/strict";
import {
  checkFileHeaders,
  curlGet,
  diffBytes,
  expectedTypes,
  listFiles,
  normType,
  startTuxd,
  urlPath,
} from "../_util/server.ts";
import { launchChromium } from "../_util/chromium.ts";

const SWAGGER_UI_VERSION = "5.35.0";

async function npmInstall(prefix: string): Promise<string> {
  const args = [
    "install",
    "--prefix",
    prefix,
    `swagger-ui-dist@${SWAGGER_UI_VERSION}`,
    "--no-audit",
    "--no-fund",
    "--ignore-scripts", // swagger-ui-dist depends on @scarf/scarf, whose postinstall phones home
  ];
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("npm", {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(240_000),
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error("npm not found on PATH");
    throw e;
  }
  const dec = new TextDecoder();
  assert.equal(
    out.code,
    0,
    `npm ${args.join(" ")} failed (${out.signal ?? out.code}):\n${dec.decode(out.stdout)}\n${
      dec.decode(out.stderr)
    }`,
  );
  const dir = `${prefix}/node_modules/swagger-ui-dist`;
  const pkg = JSON.parse(await Deno.readTextFile(`${dir}/package.json`));
  assert.equal(pkg.version, SWAGGER_UI_VERSION);
  return dir;
}

Deno.test("swagger-ui-dist served by tuxd: bytes, types, validators; Chromium loads it", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "tuxd-swagger-" });
  try {
    const dir = await npmInstall(tmp);
    const files = await listFiles(dir);
    // The bundle is what we think it is: several of each interesting kind.
    for (const ext of [".html", ".js", ".css", ".png", ".map", ".json", ".md"]) {
      assert.ok(files.some((f) => f.endsWith(ext)), `bundle has no ${ext} file: ${files}`);
    }
    const curlDir = `${tmp}/curl`;
    await Deno.mkdir(curlDir);

    const srv = await startTuxd({ root: dir });
    const client = Deno.createHttpClient({});
    try {
      await t.step(`fetch and curl each of the ${files.length} files`, async () => {
        const problems: string[] = [];
        const unlisted: string[] = [];
        for (const rel of files) {
          const path = `${dir}/${rel}`;
          const disk = await Deno.readFile(path);
          const st = await Deno.stat(path);
          const info = { path: rel, size: st.size, mtime: st.mtime };
          const url = new URL(urlPath(rel), srv.url).href;

          // fetch(): default headers (it may offer gzip/br; then Content-Length is not the size).
          const res = await fetch(url, { client });
          const body = new Uint8Array(await res.arrayBuffer());
          const encoding = res.headers.get("content-encoding");
          const encoded = !!encoding && encoding.toLowerCase() !== "identity";
          if (res.status !== 200) problems.push(`fetch ${rel}: status ${res.status}`);
          const d1 = diffBytes(body, disk);
          if (d1) problems.push(`fetch ${rel}: body ${d1}`);
          problems.push(
            ...checkFileHeaders(`fetch ${rel}`, (n) => res.headers.get(n), info, { encoded }),
          );

          // curl: no Accept-Encoding, so the body on the wire is the file itself.
          const c = await curlGet(url, curlDir);
          if (c.code !== 0) {
            problems.push(`curl ${rel}: exit ${c.code}: ${c.stderr.trim()}`);
            continue;
          }
          if (!c.head) {
            problems.push(`curl ${rel}: no headers`);
            continue;
          }
          if (c.head.status !== 200) problems.push(`curl ${rel}: status ${c.head.status}`);
          const d2 = diffBytes(c.body, disk);
          if (d2) problems.push(`curl ${rel}: body ${d2}`);
          problems.push(...checkFileHeaders(`curl ${rel}`, (n) => c.head!.headers.get(n), info));
          const e1 = res.headers.get("etag"), e2 = c.head.headers.get("etag");
          if (!encoded && e1 !== e2) problems.push(`${rel}: ETag differs: fetch ${e1}, curl ${e2}`);
          const t1 = res.headers.get("content-type"), t2 = c.head.headers.get("content-type");
          if (normType(t1 ?? "") !== normType(t2 ?? "")) {
            problems.push(`${rel}: Content-Type differs: fetch ${t1}, curl ${t2}`);
          }
          if (!expectedTypes(rel)) unlisted.push(`${rel} -> ${t2}`);
        }
        if (unlisted.length) {
          console.log(`types tuxd chose (not in the table):\n  ${unlisted.join("\n  ")}`);
        }
        assert.deepEqual(problems, [], `\n${problems.join("\n")}`);
      });

      await t.step("all files at once (8 concurrent fetches)", async () => {
        const queue = [...files];
        const problems: string[] = [];
        const worker = async () => {
          for (let rel = queue.shift(); rel !== undefined; rel = queue.shift()) {
            const res = await fetch(new URL(urlPath(rel), srv.url), { client });
            const body = new Uint8Array(await res.arrayBuffer());
            const d = diffBytes(body, await Deno.readFile(`${dir}/${rel}`));
            if (res.status !== 200 || d) problems.push(`${rel}: ${res.status} ${d ?? ""}`);
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        assert.deepEqual(problems, []);
      });

      await t.step("headless Chromium loads index.html with every subresource 200", async () => {
        const browser = await launchChromium();
        try {
          const page = await browser.loadPage(new URL("/index.html", srv.url).href);
          const origin = new URL(srv.url).origin;
          const ours = page.responses.filter((r) => r.url.startsWith(origin + "/"));
          const summary = page.responses.map((r) =>
            `${r.status} ${r.resourceType} ${r.mimeType} ${r.url}`
          )
            .join("\n  ");
          const others = page.failures.filter((f) => !f.startsWith(origin + "/"));
          if (others.length) {
            console.log(`off-origin failures (expected, no network):\n  ${others.join("\n  ")}`);
          }
          assert.deepEqual(
            page.failures.filter((f) => f.startsWith(origin + "/")),
            [],
            `requests to tuxd failed; responses:\n  ${summary}`,
          );
          assert.deepEqual(page.redirects, [], "no redirects expected");
          const bad = ours.filter((r) => r.status !== 200);
          assert.deepEqual(bad, [], `non-200 responses; all:\n  ${summary}`);
          const kinds = (pred: (r: typeof ours[number]) => boolean) =>
            ours.filter(pred).map((r) => r.url);
          const doc = kinds((r) => r.resourceType === "Document");
          assert.deepEqual(doc, [new URL("/index.html", srv.url).href]);
          assert.ok(
            kinds((r) => r.resourceType === "Script" && r.mimeType === "text/javascript").length >=
              3,
            `want >= 3 scripts:\n  ${summary}`,
          );
          assert.ok(
            kinds((r) => r.resourceType === "Stylesheet" && r.mimeType === "text/css").length >= 2,
            `want >= 2 stylesheets:\n  ${summary}`,
          );
          assert.ok(
            kinds((r) => r.mimeType === "image/png" && r.url.endsWith(".png")).length >= 1,
            `want a PNG:\n  ${summary}`,
          );
          // The JS really ran: Swagger UI rendered its layout into #swagger-ui.
          const rendered = await page.evaluate<boolean>(
            `!!document.querySelector("#swagger-ui .swagger-ui") && typeof window.ui === "object"`,
          );
          assert.ok(rendered, `Swagger UI did not render; page errors: ${page.errors.join("; ")}`);
        } finally {
          await browser.close();
        }
      });
    } finally {
      client.close();
      await srv.stop();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
