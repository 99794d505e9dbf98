// A CGI script run by Deno (`deno run --no-prompt`) inside its sandbox: tuxd grants it read
// access to this directory and the CGI variables in its environment, plus what --cgi-allow
// grants its prefix, and nothing else. It tries a few things and reports what Deno allowed,
// as JSON (RFC 3875 §6.2.1 document response).

function attempt(what: () => unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: what() };
  } catch (err) {
    return { ok: false, error: (err as Error).name };
  }
}

async function attemptAsync(
  what: () => Promise<unknown>,
): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await what() };
  } catch (err) {
    return { ok: false, error: (err as Error).name };
  }
}

const port = Number(Deno.env.get("SERVER_PORT"));
const report = {
  script: Deno.env.get("SCRIPT_NAME"),
  gateway: Deno.env.get("GATEWAY_INTERFACE"),
  ownDirectory: attempt(() => [...Deno.readDirSync(".")].map((e) => e.name).sort()),
  etcPasswd: attempt(() => Deno.readTextFileSync("/etc/passwd").length),
  network: await attemptAsync(async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return `connected to 127.0.0.1:${port}`;
  }),
  environment: attempt(() => Object.keys(Deno.env.toObject()).length),
};

const body = JSON.stringify(report, null, 2) + "\n";
await Deno.stdout.write(
  new TextEncoder().encode(`Content-Type: application/json\n\n${body}`),
);
