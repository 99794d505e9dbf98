/**
 * The example CGI programs of examples/cgi-bin, as `deno task start --cgi
 * /cgi-bin/=examples/cgi-bin` serves them: hello.sh (meta-variables), and form.pl, a Perl
 * HTML form handler taking urlencoded and multipart/form-data POSTs, with Content-Length
 * or chunked bodies.
 */
import assert from "node:assert/strict";
import { REPO_ROOT, startTuxd } from "../_util/server.ts";
import { exampleCgiDir } from "./_util.ts";

interface FormReport {
  method: string;
  type: string;
  /** CONTENT_LENGTH as the program saw it, null when unset. */
  contentLength: string | null;
  length: number;
  fields: { name: string; value: string; filename?: string; size: number }[];
}

Deno.test("examples/cgi-bin: hello.sh and the Perl form handler", async (t) => {
  const examples = await exampleCgiDir(REPO_ROOT);
  const srv = await startTuxd({ args: ["--cgi", `/cgi-bin/=${examples.dir}`] });
  const url = (p: string) => new URL(p, srv.url);
  const post = async (body: BodyInit, headers: Record<string, string> = {}) => {
    const res = await fetch(url("/cgi-bin/form.pl"), {
      method: "POST",
      body,
      headers: { Accept: "application/json", ...headers },
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
    assert.equal(res.status, 200, srv.stderr());
    return await res.json() as FormReport;
  };
  try {
    await t.step("hello.sh answers with its meta-variables", async () => {
      const res = await fetch(url("/cgi-bin/hello.sh/more?x=1"));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
      const body = await res.text();
      assert.match(body, /^Hello from tuxd, running as /);
      assert.match(body, /^SCRIPT_NAME=\/cgi-bin\/hello\.sh$/m);
      assert.match(body, /^PATH_INFO=\/more$/m);
      assert.match(body, /^QUERY_STRING=x=1$/m);
      // The site still works beside it.
      const index = await fetch(url("/"));
      assert.equal(index.status, 200);
      await index.body?.cancel();
    });

    await t.step("GET shows the forms", async () => {
      const res = await fetch(url("/cgi-bin/form.pl"));
      const html = await res.text();
      assert.equal(res.status, 200);
      assert.match(html, /<form method="post" action="\/cgi-bin\/form\.pl">/);
      assert.match(html, /enctype="multipart\/form-data"/);
    });

    await t.step("an urlencoded POST", async () => {
      const form = new URLSearchParams({ name: "Tüx", comment: "a & b = c" });
      const r = await post(form);
      assert.equal(r.type, "application/x-www-form-urlencoded;charset=UTF-8");
      assert.equal(r.length, form.toString().length);
      assert.equal(r.contentLength, String(r.length));
      assert.deepEqual(r.fields.map((f) => [f.name, f.value]), [["name", "Tüx"], [
        "comment",
        "a & b = c",
      ]]);
    });

    await t.step("a multipart/form-data POST with a file", async () => {
      const file = "line one\r\nline two\n".repeat(20_000); // about 400 KB
      const form = new FormData();
      form.append("name", "Tux");
      form.append("upload", new Blob([file], { type: "text/plain" }), "notes.txt");
      const r = await post(form);
      assert.match(r.type, /^multipart\/form-data; boundary=/);
      assert.equal(r.fields.length, 2);
      assert.deepEqual(r.fields[0], { name: "name", value: "Tux", size: 3 });
      assert.equal(r.fields[1].filename, "notes.txt");
      assert.equal(r.fields[1].size, file.length);
      assert.equal(r.fields[1].value, file);
    });

    await t.step("a chunked POST: no CONTENT_LENGTH, the program reads to the end", async () => {
      const parts = ["name=chunked", "&comment=", "streamed+in+pieces"];
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          for (const p of parts) c.enqueue(new TextEncoder().encode(p));
          c.close();
        },
      });
      const r = await post(body, { "Content-Type": "application/x-www-form-urlencoded" });
      assert.equal(r.contentLength, null);
      assert.equal(r.length, parts.join("").length);
      assert.deepEqual(r.fields.map((f) => [f.name, f.value]), [
        ["name", "chunked"],
        ["comment", "streamed in pieces"],
      ]);
    });

    await t.step("the HTML answer escapes what was sent", async () => {
      const res = await fetch(url("/cgi-bin/form.pl"), {
        method: "POST",
        body: new URLSearchParams({ name: "<script>alert(1)</script>" }),
      });
      const html = await res.text();
      assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.ok(!html.includes("<script>"));
    });

    await t.step("another method: 405 with Allow, from the program", async () => {
      const res = await fetch(url("/cgi-bin/form.pl"), { method: "PUT", body: "x" });
      await res.body?.cancel();
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("allow"), "GET, HEAD, POST");
    });
  } finally {
    await srv.stop();
    await examples.cleanup();
  }
});
