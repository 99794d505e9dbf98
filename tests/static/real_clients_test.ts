/**
 * Real clients using ranges against tuxd: curl's -r forms, wget resuming an interrupted
 * download, and headless Chromium seeking in a WebM video (media requests are range requests).
 */
import assert from "node:assert/strict";
import { curlGet } from "../_util/server.ts";
import { launchChromium } from "../_util/chromium.ts";
import { pseudoRandom } from "../server/_helpers.ts";
import { boundedTest, run, sameBytes, sha256, withSite } from "./_util.ts";

const FILE = pseudoRandom(300_000, 5);

boundedTest("curl -r fetches byte-exact ranges from tuxd", 60_000, async () => {
  const files = { "file.bin": FILE, "small.bin": FILE.subarray(0, 50_000) };
  // 64K cache limit: small.bin is served from memory, file.bin streamed from disk.
  await withSite(files, ["--cache-file-max", "64K"], async ({ srv, site }) => {
    for (const [name, data] of [["file.bin", FILE], ["small.bin", files["small.bin"]]] as const) {
      const n = data.length;
      const url = new URL(`/${name}`, srv.url).href;
      const table: [string, number, number][] = [
        ["0-99", 0, 99],
        ["-100", n - 100, n - 1],
        ["100-", 100, n - 1],
        [`${n - 1}-`, n - 1, n - 1],
        ["12345-23456", 12345, 23456],
      ];
      for (const [r, a, b] of table) {
        const res = await curlGet(url, site.dir, ["-r", r]);
        assert.equal(res.code, 0, `curl -r ${r}: ${res.stderr}`);
        assert.equal(res.head?.status, 206, `curl -r ${r}`);
        assert.equal(res.head?.headers.get("content-range"), `bytes ${a}-${b}/${n}`);
        assert.ok(sameBytes(res.body, data.subarray(a, b + 1)), `${name} curl -r ${r}: bytes`);
      }
      // Two ranges: curl saves the multipart body as is.
      const multi = await curlGet(url, site.dir, ["-r", "0-9,-10"]);
      assert.equal(multi.head?.status, 206);
      assert.match(multi.head?.headers.get("content-type") ?? "", /^multipart\/byteranges/);
      assert.equal(multi.body.length, Number(multi.head?.headers.get("content-length")));
    }
  });
});

boundedTest("wget -c resumes an interrupted 5 MiB download from tuxd", 90_000, async () => {
  const big = pseudoRandom(5 * 1024 * 1024 + 123, 9);
  await withSite({ "big.bin": big }, [], async ({ srv, site }) => {
    const out = `${site.dir}/download.bin`;
    const done = Math.floor(1.5 * 1024 * 1024);
    await Deno.writeFile(out, big.subarray(0, done)); // what an interrupted download left
    const url = new URL("/big.bin", srv.url).href;
    const res = await run(
      "wget",
      ["-c", "-S", "--tries=1", "--timeout=20", "--no-proxy", "-O", out, url],
      60_000,
    );
    assert.equal(
      res.code,
      0,
      `wget failed (${res.timedOut ? "timed out" : res.code}):\n${res.stderr}`,
    );
    // wget -S prints the response head: it must have resumed with 206 from the right offset.
    assert.match(res.stderr, /HTTP\/1\.1 206 Partial Content/, res.stderr);
    assert.match(
      res.stderr,
      new RegExp(`Content-Range: bytes ${done}-${big.length - 1}/${big.length}`),
    );
    assert.match(res.stderr, new RegExp(`Content-Length: ${big.length - done}\\b`));
    const got = await Deno.readFile(out);
    assert.equal(got.length, big.length);
    assert.equal(await sha256(got), await sha256(big), "sha-256 of the resumed download");
  });
});

boundedTest(
  "Chromium seeks in a WebM video served by tuxd using range requests",
  120_000,
  async () => {
    const page = `<!doctype html><meta charset="utf-8"><title>video</title>
<video id="v" src="clip.webm" preload="auto" muted width="320" height="240"></video>\n`;
    await withSite({ "video.html": page }, ["--cache-file-max", "64K"], async ({ srv, root }) => {
      const ff = await run("ffmpeg", [
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc=duration=10:size=320x240:rate=25",
        "-c:v",
        "libvpx",
        "-b:v",
        "200k",
        "-g",
        "25",
        `${root}/clip.webm`,
      ], 60_000);
      assert.equal(ff.code, 0, `ffmpeg (${ff.timedOut ? "timed out" : ff.code}): ${ff.stderr}`);
      const clip = await Deno.readFile(`${root}/clip.webm`);
      assert.ok(clip.length > 64 * 1024, `clip is ${clip.length} bytes (streamed, not cached)`);
      assert.deepEqual([...clip.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3], "EBML header");

      const browser = await launchChromium({
        args: ["--autoplay-policy=no-user-gesture-required"],
      });
      try {
        const p = await browser.loadPage(new URL("/video.html", srv.url).href, {
          timeoutMs: 30_000,
        });
        try {
          const result = await p.evaluate<
            {
              ok: boolean;
              error?: string;
              currentTime: number;
              readyState: number;
              duration: number;
            }
          >(
            `(async () => {
            const v = document.getElementById("v");
            const wait = (ev, ms) => new Promise((resolve, reject) => {
              const t = setTimeout(() => reject(new Error("no " + ev + " within " + ms + " ms")), ms);
              v.addEventListener(ev, () => { clearTimeout(t); resolve(); }, { once: true });
            });
            try {
              if (v.readyState < 1) await wait("loadedmetadata", 15000);
              const seeked = wait("seeked", 15000);
              v.currentTime = 7;
              await seeked;
              if (v.readyState < 2) await wait("canplay", 15000);
              return { ok: true, currentTime: v.currentTime, readyState: v.readyState,
                duration: v.duration };
            } catch (e) {
              return { ok: false, error: String(e) + " (media error: " + (v.error && v.error.message) +
                ")", currentTime: v.currentTime, readyState: v.readyState, duration: v.duration };
            }
          })()`,
            45_000,
          );
          assert.ok(result.ok, `seeking failed: ${JSON.stringify(result)}`);
          assert.ok(Math.abs(result.currentTime - 7) < 0.5, `currentTime ${result.currentTime}`);
          assert.ok(result.readyState >= 2, `readyState ${result.readyState}`);
          assert.ok(Math.abs(result.duration - 10) < 0.5, `duration ${result.duration}`);

          const clipResponses = p.responses.filter((r) => r.url.endsWith("/clip.webm"));
          const statuses = clipResponses.map((r) => r.status);
          assert.ok(statuses.includes(206), `clip responses: ${JSON.stringify(statuses)}`);
          for (const r of clipResponses) {
            assert.ok([200, 206].includes(r.status), `clip status ${r.status}`);
            const h = Object.fromEntries(
              Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]),
            );
            assert.equal(h["content-type"], "video/webm");
            if (r.status === 206) {
              assert.match(
                h["content-range"] ?? "",
                new RegExp(`^bytes \\d+-\\d+/${clip.length}$`),
              );
            }
          }
          assert.deepEqual(p.failures.filter((f) => !/canceled|ERR_ABORTED/.test(f)), []);
        } finally {
          await p.close();
        }
      } finally {
        await browser.close();
      }
    });
  },
);
