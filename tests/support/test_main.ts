/**
 * `main.ts` with the test components added, for subprocess tests of `run` (signals, reload)
 * and `validate`. A `test.receiver` can be fed over HTTP: `POST /push?receiver=ID&label=v`
 * on the port given by `PROFCOL_TEST_PUSH_PORT_FILE` (the bound port is written there).
 *
 * @module
 */

import { runCli } from "../../cli/mod.ts";
import { builtinFactories } from "../../components.ts";
import { LabelSet } from "../../core/labels.ts";
import { instances, testFactories, TestReceiver } from "./test_factories.ts";

const portFile = Deno.env.get("PROFCOL_TEST_PUSH_PORT_FILE");
let server: Deno.HttpServer | undefined;
if (portFile) {
  server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => Deno.writeTextFileSync(portFile, String(addr.port)),
  }, async (request) => {
    const url = new URL(request.url);
    const receiver = instances.get(url.searchParams.get("receiver") ?? "");
    if (!(receiver instanceof TestReceiver)) return new Response("no receiver", { status: 404 });
    const labels = LabelSet.from(
      [...url.searchParams].filter(([name]) => name !== "receiver") as [string, string][],
    );
    try {
      await receiver.push({ kind: "push", labels, samples: [{ rawProfile: new Uint8Array(3) }] });
      return new Response("ok");
    } catch (error) {
      return new Response((error as Error).message, { status: 503 });
    }
  });
}

const code = await runCli(Deno.args, { factories: [...builtinFactories, ...testFactories] });
await server?.shutdown();
Deno.exit(code);
