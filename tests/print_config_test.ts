/** `print-config` shows every default in written form, and what it prints validates again. */

import { parse } from "yaml";
import { assertEquals } from "./support/assert.ts";
import { runProfcol, tempConfig } from "./support/process.ts";

const WRITE = `exporters:
  pyroscope.write:
    endpoint: [{ url: "http://pyroscope.example:4040" }]
receivers:
  pyroscope.scrape/local:
    targets: [{ __address__: "127.0.0.1:6060" }]
`;

Deno.test("print-config: every default in written form; the output validates again", async () => {
  const extra = tempConfig(WRITE);
  const printed = await runProfcol(["print-config", "config.example.yaml", extra], {
    entry: "main.ts",
  });
  assertEquals(printed.code, 0, printed.stderr);
  const config = parse(printed.stdout);
  const scrape = config.receivers["pyroscope.scrape/local"];
  assertEquals(
    [scrape.scrape_interval, scrape.scrape_timeout, scrape.body_size_limit, scrape.scheme],
    ["15s", "10s", "64MiB", "http"],
  );
  const http = config.receivers["pyroscope.receive_http/local"];
  assertEquals(
    [http.http.server_idle_timeout, http.max_request_body_size, http.max_requests_in_flight],
    ["2m", "16MiB", 64],
  );
  assertEquals(config.exporters.file.max_age, "24h");
  assertEquals(config.exporters.file.queue_bytes, "64MiB");
  const write = config.exporters["pyroscope.write"];
  assertEquals(write.endpoint[0].remote_timeout, "10s");
  assertEquals(write.endpoint[0].max_backoff_period, "5m");
  assertEquals(write.queue.max_bytes, "64MiB");
  assertEquals(config.processors.drop_internal_labels.keep, ["__name__", "__delta__"]);

  const again = await runProfcol(["validate", tempConfig(printed.stdout)], { entry: "main.ts" });
  assertEquals(again.code, 0, again.stderr);
});
