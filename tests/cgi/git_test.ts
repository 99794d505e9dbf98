/**
 * Git's own CGI program, git-http-backend, served by tuxd the way git-http-backend(1) sets it
 * up (one program for a prefix, GIT_PROJECT_ROOT and GIT_HTTP_EXPORT_ALL from --cgi-env):
 * `git clone` and `git push` through tuxd, including a push large enough that git sends it
 * chunked.
 */
import assert from "node:assert/strict";
import { startTuxd } from "../_util/server.ts";
import { openTempDir, PROGRAM_UID } from "./_util.ts";

const BACKEND = "/usr/lib/git-core/git-http-backend";

Deno.test("git clone and git push through git-http-backend under tuxd", async (t) => {
  const base = await openTempDir("tuxd-cgi-git-");
  const repos = `${base}/repos`;
  const bare = `${repos}/project.git`;
  const home = `${base}/home`;
  await Deno.mkdir(repos);
  await Deno.mkdir(home);
  // The client side: no user or system configuration, no prompts.
  const env = {
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "Tux",
    GIT_AUTHOR_EMAIL: "tux@example.test",
    GIT_COMMITTER_NAME: "Tux",
    GIT_COMMITTER_EMAIL: "tux@example.test",
  };
  let trace = "";
  const git = async (cwd: string, ...args: string[]) => {
    const traced = args[0] === "push";
    const out = await new Deno.Command("git", {
      // The bare repository belongs to the CGI user: this reader trusts it explicitly.
      args: ["-c", "safe.directory=*", "-c", "init.defaultBranch=main", ...args],
      cwd,
      // Pushes log their HTTP heads, to see how the body was sent.
      env: traced ? { ...env, GIT_TRACE_CURL: "1", GIT_TRACE_CURL_NO_DATA: "1" } : env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    const err = new TextDecoder().decode(out.stderr);
    if (!out.success) throw new Error(`git ${args.join(" ")} failed:\n${err}`);
    if (traced) trace = err;
    return text;
  };

  // A bare repository with one commit; pushes over HTTP are allowed (receive-pack is
  // otherwise only for authenticated users), and it belongs to the user programs run as.
  await git(base, "init", "--bare", bare);
  await git(bare, "config", "http.receivepack", "true");
  const seed = `${base}/seed`;
  await git(base, "init", seed);
  await Deno.writeTextFile(`${seed}/README`, "hello from the seed\n");
  await git(seed, "add", "README");
  await git(seed, "commit", "-m", "seed");
  await git(seed, "push", bare, "main");
  if (Deno.uid() === 0) {
    await new Deno.Command("chown", { args: ["-R", `${PROGRAM_UID}:${PROGRAM_UID}`, repos] })
      .output();
  }

  const srv = await startTuxd({
    args: [
      "--cgi",
      `/git/=${BACKEND}`,
      "--cgi-env",
      `/git/=GIT_PROJECT_ROOT=${repos}`,
      "--cgi-env",
      "/git/=GIT_HTTP_EXPORT_ALL=1",
    ],
  });
  const remote = `${srv.url}git/project.git`;
  const work = `${base}/work`;
  try {
    await t.step("git clone over smart HTTP", async () => {
      await git(base, "clone", remote, work);
      assert.equal(await Deno.readTextFile(`${work}/README`), "hello from the seed\n");
      assert.equal(await git(work, "log", "--format=%s"), "seed");
    });

    await t.step("git push of a small commit", async () => {
      await Deno.writeTextFile(`${work}/NEWS`, "pushed through tuxd\n");
      await git(work, "add", "NEWS");
      await git(work, "commit", "-m", "small push");
      await git(work, "push", "origin", "main");
      assert.match(trace, /Content-Length: \d+/i, "a small pack goes with a length");
      assert.equal(await git(bare, "log", "-1", "--format=%s", "main"), "small push");
      assert.equal(await git(bare, "show", "main:NEWS"), "pushed through tuxd");
    });

    await t.step("git push of 3 MB (sent with Transfer-Encoding: chunked)", async () => {
      // Random bytes do not compress: the pack is larger than http.postBuffer (1 MiB), so
      // git streams it chunked, and git-http-backend reads it to its end.
      const big = new Uint8Array(3 * 1024 * 1024);
      for (let o = 0; o < big.length; o += 65536) {
        crypto.getRandomValues(big.subarray(o, o + 65536));
      }
      await Deno.writeFile(`${work}/big.bin`, big);
      await git(work, "add", "big.bin");
      await git(work, "commit", "-m", "big push");
      await git(work, "push", "origin", "main");
      assert.match(trace, /POST \/git\/project\.git\/git-receive-pack/);
      assert.match(trace, /Transfer-Encoding: chunked/i, "the pack went chunked");
      assert.equal(await git(bare, "log", "-1", "--format=%s", "main"), "big push");
      assert.equal(
        await git(bare, "rev-parse", "main:big.bin"),
        await git(work, "rev-parse", "HEAD:big.bin"),
      );
      assert.equal(await git(bare, "fsck", "--no-progress"), "");
    });

    await t.step("a fresh clone has everything", async () => {
      const again = `${base}/again`;
      await git(base, "clone", remote, again);
      assert.equal(await git(again, "log", "--format=%s"), "big push\nsmall push\nseed");
      assert.deepEqual(
        await Deno.readFile(`${again}/big.bin`),
        await Deno.readFile(`${work}/big.bin`),
      );
    });

    await t.step("what the backend refuses stays refused", async () => {
      const res = await fetch(
        new URL("/git/missing.git/info/refs?service=git-upload-pack", srv.url),
      );
      await res.body?.cancel();
      assert.equal(res.status, 404);
    });
  } finally {
    await srv.stop();
    await Deno.remove(base, { recursive: true });
  }
});
