/**
 * Differential test against Node's HTTP/1.1 parser (llhttp, through node:http): every raw
 * request of tests/fixtures/differential.json goes to both servers, followed by a sentinel
 * request, and each server's verdict is classified:
 *
 * - accepted: the request was answered with a status that means it was parsed (2xx, 3xx, 404,
 *   405, 417, …) and the connection stayed in sync (the sentinel was answered too), or the
 *   response said `Connection: close`;
 * - rejected: 400, 408, 413, 414, 431, 501, 505, or the connection closed without a response,
 *   or the framing was abandoned after the response (the sentinel not answered);
 * - incomplete: no response and no close within the wait (the server waits for more bytes).
 *
 * The verdicts must agree, except for the fixture's `disagreements`, each of which must still
 * happen exactly as listed (so the list stays honest).
 */
import assert from "node:assert/strict";
import { REPO_ROOT, startTuxd } from "../_util/server.ts";
import { bytes, Client, splitResponses, str, tempSite } from "./_helpers.ts";

interface Entry {
  id: string;
  raw: string;
  note?: string;
}

interface Disagreement {
  id: string;
  node: Verdict;
  tuxd: Verdict;
  reason: string;
}

type Verdict = "accepted" | "rejected" | "incomplete";

const FIXTURE = `${REPO_ROOT}/tests/fixtures/differential.json`;
const SENTINEL = "GET /sentinel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
const REJECT = new Set([400, 408, 413, 414, 431, 501, 505]);
const WAIT_MS = 1500;

const NODE_SERVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "3" });
    res.end("ok\\n");
  });
  req.on("error", () => {});
});
server.on("clientError", (err, socket) => {
  if (!socket.writable) return socket.destroy();
  const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
  socket.end("HTTP/1.1 " + status + " x\\r\\nConnection: close\\r\\nContent-Length: 0\\r\\n\\r\\n");
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.on("SIGTERM", () => process.exit(0));
`;

async function startNode(): Promise<{ port: number; stop(): Promise<void> }> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("node", {
      args: ["-e", NODE_SERVER],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error("node not found on PATH (Debian: apt-get install nodejs)");
    }
    throw e;
  }
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  clearTimeout(timer);
  const port = Number(out.trim());
  if (!(port > 0)) throw new Error(`node server did not start: ${JSON.stringify(out)}`);
  return {
    port,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // gone already
      }
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

/** Sends `raw` + the sentinel on a fresh connection and classifies what comes back. */
async function verdict(port: number, raw: string): Promise<{ verdict: Verdict; detail: string }> {
  // A request that asks to close gets no sentinel: bytes after it are an error of their own.
  const closes = /^Connection:[^\r\n]*close/im.test(raw) ||
    (/^[^\r\n]* HTTP\/1\.0\r?\n/.test(raw.replace(/^(\r\n)+/, "")) && !/keep-alive/i.test(raw));
  const c = await Client.open(port);
  try {
    try {
      await c.write(bytes(closes ? raw : raw + SENTINEL));
    } catch {
      // closed early: the answer (if any) is already on its way
    }
    const eof = await c.closedWithin(WAIT_MS);
    const heads = raw.startsWith("HEAD ") ? new Set([0]) : new Set<number>();
    let finals;
    try {
      finals = splitResponses(c.received, heads, eof).responses.filter((r) => r.status >= 200);
    } catch (e) {
      return { verdict: "rejected", detail: `unparsable response: ${(e as Error).message}` };
    }
    const statuses = finals.map((r) => r.status).join(",") || "-";
    const detail = `${statuses}${eof ? " closed" : " open"}`;
    if (finals.length === 0) return { verdict: eof ? "rejected" : "incomplete", detail };
    const [first, second] = finals;
    if (REJECT.has(first.status)) return { verdict: "rejected", detail };
    if (closes || first.headers.get("connection")?.toLowerCase().includes("close")) {
      return { verdict: "accepted", detail };
    }
    if (second && !REJECT.has(second.status)) return { verdict: "accepted", detail };
    return { verdict: "rejected", detail: `${detail} (sentinel not answered)` };
  } finally {
    await c.close();
  }
}

Deno.test("tuxd and node:http agree on a corpus of raw requests, except where listed", async () => {
  const fixture = JSON.parse(await Deno.readTextFile(FIXTURE)) as {
    requests: Entry[];
    disagreements: Disagreement[];
  };
  const entries = fixture.requests;
  assert.ok(entries.length >= 60, `only ${entries.length} requests in the corpus`);
  assert.equal(new Set(entries.map((e) => e.id)).size, entries.length, "duplicate ids");
  const listed = new Map(fixture.disagreements.map((d) => [d.id, d]));
  for (const d of fixture.disagreements) {
    assert.ok(entries.some((e) => e.id === d.id), `disagreement ${d.id} is not in the corpus`);
    assert.match(d.reason, /RFC \d+ §/, `disagreement ${d.id} must cite the RFC section`);
  }

  const s = await tempSite({ "index.html": "index\n" });
  const tuxd = await startTuxd({ root: s.root });
  const node = await startNode();
  try {
    const results = await Promise.all(entries.map(async (e) => {
      const [n, t] = await Promise.all([verdict(node.port, e.raw), verdict(tuxd.port, e.raw)]);
      return { e, n, t };
    }));
    const problems: string[] = [];
    const rows: string[] = [];
    let accepted = 0, rejected = 0;
    for (const { e, n, t } of results) {
      const d = listed.get(e.id);
      const mark = n.verdict === t.verdict ? " " : d ? "~" : "!";
      rows.push(
        `${mark} ${e.id.padEnd(28)} node ${n.verdict.padEnd(10)} ${n.detail.padEnd(22)} ` +
          `tuxd ${t.verdict.padEnd(10)} ${t.detail}`,
      );
      if (t.verdict === "accepted") accepted++;
      if (t.verdict === "rejected") rejected++;
      if (!d && n.verdict !== t.verdict) {
        problems.push(`${e.id}: node ${n.verdict} (${n.detail}), tuxd ${t.verdict} (${t.detail})`);
      }
      if (d && (d.node !== n.verdict || d.tuxd !== t.verdict)) {
        problems.push(
          `${e.id}: listed as node ${d.node} / tuxd ${d.tuxd}, now node ${n.verdict} (${n.detail}) ` +
            `/ tuxd ${t.verdict} (${t.detail}): update tests/fixtures/differential.json`,
        );
      }
    }
    console.log(rows.filter((r) => r[0] !== " ").join("\n"));
    console.log(`  ${entries.length} requests: tuxd accepted ${accepted}, rejected ${rejected}`);
    assert.ok(accepted >= 20 && rejected >= 20, "the corpus has both valid and invalid requests");
    assert.deepEqual(problems, [], "\n" + problems.join("\n"));
    // Both servers are still fine.
    for (const port of [node.port, tuxd.port]) {
      const v = await verdict(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(v.verdict, "accepted", `server on ${port} after the corpus: ${v.detail}`);
    }
  } finally {
    await node.stop();
    await tuxd.stop();
    await s.cleanup();
  }
});

/** For debugging: `deno run -A tests/server/differential_test.ts ID` prints both exchanges. */
if (import.meta.main && Deno.args.length) {
  const fixture = JSON.parse(await Deno.readTextFile(FIXTURE)) as { requests: Entry[] };
  const s = await tempSite({ "index.html": "index\n" });
  const tuxd = await startTuxd({ root: s.root });
  const node = await startNode();
  try {
    for (const e of fixture.requests.filter((e) => Deno.args.includes(e.id))) {
      for (const [name, port] of [["node", node.port], ["tuxd", tuxd.port]] as const) {
        const c = await Client.open(port);
        await c.write(bytes(e.raw + SENTINEL)).catch(() => {});
        await c.closedWithin(WAIT_MS);
        console.log(`--- ${e.id} ${name}\n${str(c.received)}`);
        await c.close();
      }
    }
  } finally {
    await node.stop();
    await tuxd.stop();
    await s.cleanup();
  }
}
