/** Config errors as a newcomer sees them from `main.ts validate`: one exact line per problem. */

import { fileURLToPath } from "node:url";
import { assertEquals } from "./support/assert.ts";
import { runProfcol, tempConfig } from "./support/process.ts";

const MODULE = fileURLToPath(new URL("../examples/add_env_label/mod.ts", import.meta.url));

Deno.test("config errors: a module's own config errors read like a built-in's, with lines", async () => {
  const path = tempConfig(`receivers:
  pyroscope.receive_http: {}
processors:
  module/cluster:
    path: ${MODULE}
    config:
      label: cluster
      env: 5
      overwrite: "yes"
      labels: x
exporters:
  file: { directory: ./data }
service:
  pipelines:
    p: { receivers: [pyroscope.receive_http], processors: [module/cluster], exporters: [file] }
`);
  const result = await runProfcol(["validate", path], { entry: "main.ts" });
  assertEquals(result.code, 2);
  assertEquals(result.stderr.trimEnd().split("\n"), [
    `error: processors::module/cluster::config::env: Expected a string, got the number 5 (${path}:8)`,
    "error: processors::module/cluster::config::overwrite: Expected a boolean (true or false), " +
    `got the string "yes" (${path}:9)`,
    'error: processors::module/cluster::config::labels: Unknown key "labels"; did you mean ' +
    `"label"? (${path}:10)`,
    `${path}: invalid configuration (3 errors)`,
  ]);
});

Deno.test("config errors: Alloy habits get one actionable line each", async () => {
  const path = tempConfig(`receivers:
  pyroscope.write: {}
  pyroscope.receive_http: {}
processors:
  pyroscope.relabel: {}
exporters:
  pyroscope.write: { endpoint: [{ url: \${env:URL} }] }
service:
  pipelines:
    p: { receivers: [pyroscope.receive_http], exporters: [pyroscope.write] }
`);
  const result = await runProfcol(["validate", path], {
    entry: "main.ts",
    env: { URL: "http://x:4040" },
  });
  assertEquals(result.code, 2);
  assertEquals(result.stderr.trimEnd().split("\n"), [
    "error: exporters::pyroscope.write::endpoint::0::url: ${env:URL} inside { } or [ ] must be " +
    `quoted: "\${env:URL}" (${path}:7)`,
    `${path}: invalid configuration (1 error)`,
  ]);
  const fixed = tempConfig(Deno.readTextFileSync(path).replace("${env:URL}", '"${env:URL}"'));
  const again = await runProfcol(["validate", fixed], {
    entry: "main.ts",
    env: { URL: "http://x:4040" },
  });
  assertEquals(again.stderr.trimEnd().split("\n"), [
    `error: receivers::pyroscope.write: "pyroscope.write" is an exporter; move it under exporters (${fixed}:2)`,
    'error: processors::pyroscope.relabel: Unknown processor type "pyroscope.relabel": ' +
    `Alloy's pyroscope.relabel is the "relabel" processor here (${fixed}:5)`,
    `${fixed}: invalid configuration (2 errors)`,
  ]);
});

Deno.test("config errors: Alloy's discovery and relabel names point to what replaces them", async () => {
  const path = tempConfig(`receivers:
  discovery.kubernetes/pods: {}
  pyroscope.receive_http: {}
processors:
  pyroscope.relabel/a: {}
  discovery.relabel: {}
  discovery.file/f: {}
  discovery.http: {}
exporters: { file: {} }
service: { pipelines: { p: { receivers: [pyroscope.receive_http], exporters: [file] } } }
`);
  const result = await runProfcol(["validate", path], { entry: "main.ts" });
  assertEquals(result.code, 2);
  assertEquals(result.stderr.trimEnd().split("\n"), [
    'error: receivers::discovery.kubernetes/pods: Unknown receiver type "discovery.kubernetes": ' +
    "Alloy's discovery.kubernetes is kubernetes_sd_configs inside a pyroscope.scrape receiver " +
    `here (${path}:2)`,
    'error: processors::pyroscope.relabel/a: Unknown processor type "pyroscope.relabel": ' +
    `Alloy's pyroscope.relabel is the "relabel" processor here (${path}:5)`,
    'error: processors::discovery.relabel: Unknown processor type "discovery.relabel": ' +
    `Alloy's discovery.relabel is relabel_configs inside a pyroscope.scrape receiver here (${path}:6)`,
    'error: processors::discovery.file/f: Unknown processor type "discovery.file": ' +
    `Alloy's discovery.file is file_sd_configs inside a pyroscope.scrape receiver here (${path}:7)`,
    'error: processors::discovery.http: Unknown processor type "discovery.http": ' +
    `Alloy's discovery.http is http_sd_configs inside a pyroscope.scrape receiver here (${path}:8)`,
    `${path}: invalid configuration (5 errors)`,
  ]);
});
