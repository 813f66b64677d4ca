/**
 * `convert --from=alloy`: the examples of Alloy's reference docs (`testdata/seeds/*.alloy`,
 * extracted from `../shared/seeds/*.txt`) and realistic configs (`testdata/*.alloy`) convert
 * to the YAML next to them (`*.yaml`, written by `UPDATE_GOLDEN=1`), which passes the real
 * config validation; and the mapping rules one by one.
 */

import {
  assert,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "../../tests/support/assert.ts";
import { builtinFactories } from "../../components.ts";
import { Registry } from "../../core/registry.ts";
import { ConfigError, loadAndValidate, type ValidatedConfig } from "../../core/config/mod.ts";
import { parse as parseYaml } from "yaml";
import { runCli } from "../mod.ts";
import { convertAlloy, type ConvertResult } from "./convert.ts";
import { AlloySyntaxError } from "./parser.ts";

const TESTDATA = new URL("./testdata/", import.meta.url);
const update = Deno.env.get("UPDATE_GOLDEN") === "1";

function convert(text: string, name = "a.alloy"): ConvertResult {
  return convertAlloy([{ name, text }], builtinFactories);
}

/** Validates converted YAML with the built-in components; `env` answers `${env:…}`. */
export function validateConverted(
  yaml: string,
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): ValidatedConfig {
  return loadAndValidate(["converted.yaml"], new Registry(builtinFactories), {
    readFile: (path) => {
      if (path === "converted.yaml") return yaml;
      if (path in files) return files[path]!;
      throw new Deno.errors.NotFound(path);
    },
    env: (name) => env[name],
  });
}

/** Converts testdata files (relative names, so goldens do not depend on the checkout). */
function convertFiles(...names: string[]): ConvertResult {
  return convertAlloy(
    names.map((name) => ({
      name,
      text: Deno.readTextFileSync(new URL(name, TESTDATA)),
    })),
    builtinFactories,
  );
}

function golden(name: string, actual: string): void {
  const url = new URL(name, TESTDATA);
  if (update) Deno.writeTextFileSync(url, actual);
  assertEquals(actual, Deno.readTextFileSync(url), `golden ${name} (UPDATE_GOLDEN=1 rewrites it)`);
}

const SEEDS: { file: string; warnings: string[]; pipelines: number; components: number }[] = [
  { file: "seeds/pyroscope_write_example_agent.alloy", warnings: [], pipelines: 1, components: 2 },
  { file: "seeds/pyroscope_write_example.alloy", warnings: [], pipelines: 1, components: 2 },
  {
    file: "seeds/pyroscope_receive_http_example.alloy",
    warnings: [],
    pipelines: 1,
    components: 3,
  },
  {
    file: "seeds/pyroscope_scrape_example.alloy",
    warnings: [
      'seeds/pyroscope_scrape_example.alloy:7: pyroscope.scrape "local".forward_to: ' +
      "pyroscope.write.local.receiver is not a pyroscope.write, pyroscope.relabel or " +
      "pyroscope.enrich receiver of this config; not converted",
    ],
    pipelines: 0,
    components: 1,
  },
  {
    file: "seeds/pyroscope_scrape_usage.alloy",
    warnings: [
      'seeds/pyroscope_scrape_usage.alloy:3: pyroscope.scrape "LABEL".targets: TARGET_LIST ' +
      "cannot be converted (profcol discovers targets from static lists, discovery.file, " +
      "discovery.http, discovery.kubernetes and discovery.relabel); no targets from it",
      'seeds/pyroscope_scrape_usage.alloy:4: pyroscope.scrape "LABEL".forward_to must be a ' +
      "list of receivers",
    ],
    pipelines: 0,
    components: 1,
  },
  {
    file: "seeds/pyroscope_receive_http_usage.alloy",
    warnings: [
      'seeds/pyroscope_receive_http_usage.alloy:5: pyroscope.receive_http "LABEL".http.' +
      "listen_port: the reference PORT cannot be converted; left out",
      'seeds/pyroscope_receive_http_usage.alloy:7: pyroscope.receive_http "LABEL".forward_to ' +
      "must be a list of receivers",
    ],
    pipelines: 0,
    components: 1,
  },
];

for (const seed of SEEDS) {
  Deno.test(`convert: Alloy's docs example ${seed.file} converts and validates`, () => {
    const result = convertFiles(seed.file);
    golden(seed.file.replace(/\.alloy$/, ".yaml"), result.yaml);
    assertEquals(result.warnings, seed.warnings);
    if (seed.pipelines === 0) {
      // A fragment of a config: profcol needs a pipeline, and `convert` says so.
      assertThrows(
        () => validateConverted(result.yaml),
        ConfigError,
        "service::pipelines: At least one pipeline is required under service::pipelines",
      );
      return;
    }
    const config = validateConverted(result.yaml);
    assertEquals(config.pipelines.length, seed.pipelines);
    assertEquals(
      config.receivers.size + config.processors.size + config.exporters.size,
      seed.components,
    );
  });
}

Deno.test("convert: the pyroscope.write usage template is not a config (a syntax error with its position)", () => {
  assertThrows(
    () => convertFiles("seeds/pyroscope_write_usage.alloy"),
    AlloySyntaxError,
    'seeds/pyroscope_write_usage.alloy:6:5: expected an attribute or a block name, got "."',
  );
});

Deno.test("convert: the docs' scrape example merged with a second file that defines its receiver", () => {
  const result = convertFiles("seeds/pyroscope_scrape_example.alloy", "local_write.alloy");
  assertEquals(result.warnings, []);
  assertEquals(result.config.service, {
    pipelines: {
      profiles: { receivers: ["pyroscope.scrape/local"], exporters: ["pyroscope.write/local"] },
    },
  });
  const config = validateConverted(result.yaml);
  const scrape = config.receivers.get("pyroscope.scrape/local")!.config as {
    profiling_config: Record<string, unknown>;
  };
  // The docs list what is scraped: allocs, goroutine, profile and fgprof (block and mutex off).
  assertEquals(scrape.profiling_config["profile.fgprof"], { enabled: true });
  assertEquals(scrape.profiling_config["profile.block"], { enabled: false });
  assertEquals(scrape.profiling_config["profile.mutex"], { enabled: false });
});

const REALISTIC = ["local_scrape", "sdk_gateway", "kubernetes_annotations", "multi_endpoint"];
for (const name of REALISTIC) {
  Deno.test(`convert: ${name}.alloy converts to ${name}.yaml, which validates`, () => {
    const result = convertFiles(`${name}.alloy`);
    golden(`${name}.yaml`, result.yaml);
    assertEquals(result.warnings, []);
    validateConverted(result.yaml, {
      PYROSCOPE_URL: "http://127.0.0.1:4040",
      SECONDARY_URL: "http://127.0.0.1:4041",
      PYROSCOPE_PASSWORD: "secret",
      KUBE_API: "http://127.0.0.1:6443",
      GATEWAY_PORT: "4040",
    });
  });
}

Deno.test("convert: discovery.kubernetes and nested discovery.relabel fold into the scrape, innermost rules first", () => {
  const result = convert(`
discovery.kubernetes "pods" {
  role = "pod"
  namespaces { names = ["shop"] }
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("NODE")
  }
  attach_metadata { node = true }
}
discovery.relabel "first" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
}
discovery.relabel "second" {
  targets = discovery.relabel.first.output
  rule {
    action = "labelmap"
    regex  = "__meta_kubernetes_pod_label_(.+)"
  }
  rule {
    source_labels = ["namespace"]
    regex         = "kube-.*"
    action        = "drop"
  }
}
pyroscope.scrape "k8s" {
  targets    = discovery.relabel.second.output
  forward_to = [pyroscope.write.out.receiver]
}
pyroscope.write "out" {
  endpoint { url = "http://pyroscope:4040" }
}
`);
  assertEquals(result.warnings, []);
  assertEquals((result.config.receivers as Record<string, unknown>)["pyroscope.scrape/k8s"], {
    kubernetes_sd_configs: [{
      role: "pod",
      namespaces: { names: ["shop"] },
      selectors: [{ role: "pod", field: "spec.nodeName=${env:NODE}" }],
      attach_metadata: { node: true },
    }],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
      { action: "labelmap", regex: "__meta_kubernetes_pod_label_(.+)" },
      { source_labels: ["namespace"], regex: "kube-.*", action: "drop" },
    ],
  });
  assertStringIncludes(result.yaml, `field: "spec.nodeName=\${env:NODE}"`);
  validateConverted(result.yaml, { NODE: "node-a" });
});

Deno.test("convert: discovery.file, discovery.http and static targets through discovery.relabel", () => {
  const result = convert(`
discovery.file "f" {
  files = ["/etc/targets/*.json"]
}
discovery.http "h" {
  url              = "http://sd.example/targets"
  refresh_interval = "30s"
  bearer_token     = sys.env("SD_TOKEN")
}
discovery.relabel "static" {
  targets = [{"__address__" = "127.0.0.1:6060"}]
  rule {
    target_label = "env"
    replacement  = "dev"
  }
}
pyroscope.scrape "files" {
  targets    = discovery.file.f.targets
  forward_to = [pyroscope.write.out.receiver]
}
pyroscope.scrape "http" {
  targets    = discovery.http.h.targets
  forward_to = [pyroscope.write.out.receiver]
}
pyroscope.scrape "static" {
  targets    = discovery.relabel.static.output
  forward_to = [pyroscope.write.out.receiver]
}
pyroscope.write "out" {
  endpoint { url = "http://pyroscope:4040" }
}
`);
  const receivers = result.config.receivers as Record<string, unknown>;
  assertEquals(receivers["pyroscope.scrape/files"], {
    file_sd_configs: [{ files: ["/etc/targets/*.json"] }],
  });
  assertEquals(receivers["pyroscope.scrape/http"], {
    http_sd_configs: [{
      url: "http://sd.example/targets",
      refresh_interval: "30s",
      bearer_token: "${env:SD_TOKEN}",
    }],
  });
  assertEquals(receivers["pyroscope.scrape/static"], {
    targets: [{ __address__: "127.0.0.1:6060" }],
    relabel_configs: [{ target_label: "env", replacement: "dev" }],
  });
  assertEquals(result.config.service, {
    pipelines: {
      profiles: {
        receivers: ["pyroscope.scrape/files", "pyroscope.scrape/http", "pyroscope.scrape/static"],
        exporters: ["pyroscope.write/out"],
      },
    },
  });
  validateConverted(result.yaml, { SD_TOKEN: "t" });
});

Deno.test("convert: forward_to chains become pipelines; a fan-out to different chains becomes several", () => {
  const result = convert(`
pyroscope.receive_http "sdk" {
  forward_to = [pyroscope.relabel.tag.receiver, pyroscope.write.raw.receiver]
}
pyroscope.scrape "app" {
  targets    = [{"__address__" = "127.0.0.1:6060"}]
  forward_to = [pyroscope.relabel.tag.receiver, pyroscope.write.raw.receiver]
}
pyroscope.relabel "tag" {
  forward_to = [pyroscope.relabel.drop_dev.receiver]
  rule {
    target_label = "via"
    replacement  = "tag"
  }
}
pyroscope.relabel "drop_dev" {
  forward_to = [pyroscope.write.cloud.receiver, pyroscope.write.raw.receiver]
  rule {
    source_labels = ["env"]
    regex         = "dev"
    action        = "drop"
  }
  max_cache_size = 100
}
pyroscope.write "raw" {
  endpoint { url = "http://raw:4040" }
}
pyroscope.write "cloud" {
  endpoint { url = "http://cloud:4040" }
}
`);
  assertEquals(result.warnings, []);
  assertEquals(result.config.service, {
    pipelines: {
      "profiles/sdk": {
        receivers: ["pyroscope.receive_http/sdk", "pyroscope.scrape/app"],
        processors: ["relabel/tag", "relabel/drop_dev"],
        exporters: ["pyroscope.write/cloud", "pyroscope.write/raw"],
      },
      "profiles/sdk_2": {
        receivers: ["pyroscope.receive_http/sdk", "pyroscope.scrape/app"],
        exporters: ["pyroscope.write/raw"],
      },
    },
  });
  assertEquals((result.config.processors as Record<string, unknown>)["relabel/drop_dev"], {
    rule: [{ source_labels: ["env"], regex: "dev", action: "drop" }],
    max_cache_size: 100,
  });
  validateConverted(result.yaml);
});

Deno.test("convert: pyroscope.enrich becomes the enrich processor, its targets its own discovery", () => {
  const result = convert(`
discovery.kubernetes "pods" {
  role = "pod"
  attach_metadata {
    namespace = true
  }
}
discovery.relabel "only_shop" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    regex         = "shop"
    action        = "keep"
  }
}
pyroscope.receive_http "agents" {
  http {
    listen_port = 4040
  }
  forward_to = [pyroscope.enrich.pods.receiver]
}
pyroscope.enrich "pods" {
  targets              = discovery.kubernetes.pods.targets
  target_match_label   = "__meta_kubernetes_pod_ip"
  profiles_match_label = "pod_ip"
  labels_to_copy       = ["__meta_kubernetes_namespace"]
  forward_to           = [pyroscope.enrich.files.receiver]
}
pyroscope.enrich "files" {
  targets            = discovery.relabel.only_shop.output
  target_match_label = "service_name"
  forward_to         = [pyroscope.write.out.receiver]
}
pyroscope.write "out" {
  endpoint { url = "http://pyroscope:4040" }
}
`);
  assertEquals(result.warnings, [
    'a.alloy:30: pyroscope.enrich "files": discovery.relabel rules on its targets are not ' +
    "converted (enrich has no relabel_configs); name the labels to copy in labels_to_copy instead",
  ]);
  assertEquals(result.config.processors, {
    "enrich/pods": {
      kubernetes_sd_configs: [{ role: "pod", attach_metadata: { namespace: true } }],
      target_match_label: "__meta_kubernetes_pod_ip",
      profiles_match_label: "pod_ip",
      labels_to_copy: ["__meta_kubernetes_namespace"],
    },
    "enrich/files": {
      kubernetes_sd_configs: [{ role: "pod", attach_metadata: { namespace: true } }],
      target_match_label: "service_name",
    },
  });
  assertEquals(result.config.service, {
    pipelines: {
      profiles: {
        receivers: ["pyroscope.receive_http/agents"],
        processors: ["enrich/pods", "enrich/files"],
        exporters: ["pyroscope.write/out"],
      },
    },
  });
  validateConverted(result.yaml);
});

Deno.test("convert: secrets stay references; literal ${ is escaped; local.file becomes ${file:}", () => {
  Deno.env.set("PROFCOL_CONVERT_TEST_SECRET", "do-not-inline");
  try {
    const result = convert(`
local.file "token" {
  filename  = "/var/run/secrets/token"
  is_secret = true
}
pyroscope.write "out" {
  endpoint {
    url = "https://profiles.example"
    basic_auth {
      username = "123456"
      password = sys.env("PROFCOL_CONVERT_TEST_SECRET")
    }
  }
  endpoint {
    url          = "https://other.example"
    bearer_token = local.file.token.content
  }
}
pyroscope.receive_http "in" {
  forward_to = [pyroscope.relabel.r.receiver]
}
pyroscope.relabel "r" {
  forward_to = [pyroscope.write.out.receiver]
  rule {
    source_labels = ["a"]
    regex         = "(.*)"
    target_label  = "b"
    replacement   = "\${1}-x"
  }
}
`);
    assertEquals(result.warnings, []);
    assert(!result.yaml.includes("do-not-inline"), "the environment is never read");
    assertStringIncludes(result.yaml, `password: "\${env:PROFCOL_CONVERT_TEST_SECRET}"`);
    assertStringIncludes(result.yaml, `bearer_token: "\${file:/var/run/secrets/token}"`);
    assertStringIncludes(result.yaml, `username: "123456"`);
    assertStringIncludes(result.yaml, `replacement: "$\${1}-x"`);
    const config = validateConverted(
      result.yaml,
      { PROFCOL_CONVERT_TEST_SECRET: "pw" },
      { "/var/run/secrets/token": "token\n" },
    );
    const rule = (config.processors.get("relabel/r")!.raw as { rule: { replacement: string }[] })
      .rule[0]!;
    assertEquals(rule.replacement, "${1}-x");
  } finally {
    Deno.env.delete("PROFCOL_CONVERT_TEST_SECRET");
  }
});

Deno.test('convert: a remote.kubernetes.secret\'s data["key"] is left out with how to mount it', () => {
  const result = convert(
    `remote.kubernetes.secret "creds" {
  namespace = "monitoring"
  name      = "pyroscope"
}
pyroscope.write "out" {
  endpoint {
    url = "http://127.0.0.1:4040"
    basic_auth {
      username = "tenant"
      password = remote.kubernetes.secret.creds.data["password"]
    }
  }
}
`,
    "secret.alloy",
  );
  assertEquals(result.warnings, [
    'secret.alloy:10: pyroscope.write "out".endpoint.basic_auth.password: ' +
    "remote.kubernetes.secret is not converted (profcol reads no Kubernetes or remote secrets at " +
    'run time); mount the Secret into the pod and use "${file:/path/to/key}", or pass it as an ' +
    'environment variable and use "${env:NAME}"; left out',
    'secret.alloy:1: remote.kubernetes.secret "creds" is not converted: profcol reads no remote ' +
    "or Kubernetes secrets at run time (mount it as a file and refer to it as ${file:PATH})",
  ]);
  assertEquals(
    (result.config.exporters as Record<string, unknown>)["pyroscope.write/out"],
    { endpoint: [{ url: "http://127.0.0.1:4040", basic_auth: { username: "tenant" } }] },
  );
});

Deno.test("convert: receive_http's http > tls moves to tls; tenant pass-through off as in Alloy", () => {
  const result = convert(`
pyroscope.receive_http "gw" {
  http {
    listen_address = "127.0.0.1"
    listen_port    = 4040
    tls {
      cert_file = "/etc/tls.crt"
      key_file  = "/etc/tls.key"
    }
  }
  forward_to = [pyroscope.write.out.receiver]
}
pyroscope.write "out" {
  endpoint { url = "http://pyroscope:4040" }
}
`);
  assertEquals((result.config.receivers as Record<string, unknown>)["pyroscope.receive_http/gw"], {
    http: { listen_address: "127.0.0.1", listen_port: 4040 },
    tls: { cert_file: "/etc/tls.crt", key_file: "/etc/tls.key" },
    tenant: { enabled: false },
  });
  assertStringIncludes(result.yaml, "# Alloy drops X-Scope-OrgID");
});

Deno.test("convert: profile.custom blocks, clustering, logging, repeated blocks", () => {
  const result = convert(`
logging {
  level  = "debug"
  format = "json"
}
pyroscope.scrape "app" {
  targets    = [{"__address__" = "127.0.0.1:6060", "service_name" = "app"}]
  forward_to = [pyroscope.write.out.receiver]
  clustering {
    enabled = true
  }
  profiling_config {
    profile.custom "heap_live" {
      enabled = true
      path    = "/debug/pprof/heap"
    }
    profile.custom "threads" {
      enabled = false
      path    = "/debug/pprof/threadcreate"
    }
  }
}
pyroscope.write "out" {
  endpoint { url = "http://pyroscope:4040" }
}
`);
  assertEquals(result.warnings, [
    'a.alloy:9: pyroscope.scrape "app": clustering finds its peers through the Kubernetes API: ' +
    "set PROFCOL_CLUSTER_SERVICE to the replicas' Service and POD_IP from the downward API " +
    "(the Helm chart's sharded mode does)",
  ]);
  const receivers = result.config.receivers as Record<string, Record<string, unknown>>;
  assertEquals(receivers["pyroscope.scrape/app"]!.profiling_config, {
    "profile.custom": {
      heap_live: { enabled: true, path: "/debug/pprof/heap" },
      threads: { enabled: false, path: "/debug/pprof/threadcreate" },
    },
  });
  assertEquals(receivers["pyroscope.scrape/app"]!.clustering, {
    enabled: true,
    service: "${env:PROFCOL_CLUSTER_SERVICE}",
    self_address: "${env:POD_IP}",
  });
  assertEquals((result.config.service as Record<string, unknown>).telemetry, {
    logs: { level: "debug", format: "json" },
  });
  validateConverted(result.yaml, { PROFCOL_CLUSTER_SERVICE: "profcol", POD_IP: "127.0.1.1" });
});

Deno.test("convert: unsupported components become comments and warnings with file:line", () => {
  const result = convert(`pyroscope.ebpf "default" {
  targets    = discovery.docker.d.targets
  forward_to = [pyroscope.write.out.receiver]
}
prometheus.scrape "metrics" {
  targets    = []
  forward_to = []
}
discovery.docker "d" {
  host = "unix:///var/run/docker.sock"
}
discovery.kubernetes "unused" {
  role = "pod"
}
pyroscope.write "out" {
  endpoint { url = "http://pyroscope:4040" }
}
`);
  assertEquals(result.warnings, [
    'a.alloy:1: pyroscope.ebpf "default" is not converted: profcol scrapes (pyroscope.scrape) and ' +
    "receives pushes (pyroscope.receive_http)",
    'a.alloy:5: prometheus.scrape "metrics" is not converted: profcol collects profiles only ' +
    "(pyroscope.* components)",
    'a.alloy:9: discovery.docker "d" is not converted: profcol discovers targets from static ' +
    "lists, files, HTTP and Kubernetes only",
    'a.alloy:12: discovery.kubernetes "unused" is not converted: no pyroscope.scrape uses its ' +
    "targets",
  ]);
  assertStringIncludes(
    result.yaml,
    `# Not converted:
# a.alloy:1: pyroscope.ebpf "default" is not converted: profcol scrapes (pyroscope.scrape) and receives pushes (pyroscope.receive_http)
# pyroscope.ebpf "default" {
#   targets    = discovery.docker.d.targets
#   forward_to = [pyroscope.write.out.receiver]
# }
`,
  );
  assertEquals(result.converted, 1);
});

Deno.test("convert: duplicate components and forward_to loops are errors with positions", () => {
  assertThrows(
    () => convert(`pyroscope.write "a" {}\npyroscope.write "a" {}\n`),
    AlloySyntaxError,
    'a.alloy:2:1: pyroscope.write "a" is already defined at a.alloy:1',
  );
  assertThrows(
    () =>
      convert(`pyroscope.scrape "s" {
  targets    = []
  forward_to = [pyroscope.relabel.a.receiver]
}
pyroscope.relabel "a" {
  forward_to = [pyroscope.relabel.b.receiver]
}
pyroscope.relabel "b" {
  forward_to = [pyroscope.relabel.a.receiver]
}
`),
    AlloySyntaxError,
    'a.alloy:5:1: forward_to makes a loop through pyroscope.relabel "a"',
  );
});

Deno.test("main.ts convert: stdout YAML, stderr warnings, exit 0 / 1 / 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(["convert", ...args], {
        factories: builtinFactories,
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        readStdin: () =>
          Promise.resolve(
            `pyroscope.receive_http "in" {\n  forward_to = [pyroscope.write.out.receiver]\n}\n` +
              `pyroscope.write "out" {\n  endpoint { url = "http://127.0.0.1:4040" }\n}\n`,
          ),
      });
      return { code, out: out.join("\n"), err: err.join("\n") };
    };
    await Deno.writeTextFile(
      `${dir}/ok.alloy`,
      `pyroscope.receive_http "in" {\n  forward_to = [pyroscope.write.out.receiver]\n}\n` +
        `pyroscope.write "out" {\n  endpoint { url = "not a url" }\n}\nloki.write "l" {}\n`,
    );
    await Deno.writeTextFile(`${dir}/bad.alloy`, `pyroscope.write "x" {\n  url = "a" +\n}\n`);
    await Deno.writeTextFile(`${dir}/none.alloy`, `prometheus.scrape "x" {}\n`);

    const ok = await run("--from=alloy", `${dir}/ok.alloy`);
    assertEquals(ok.code, 0);
    assertStringIncludes(ok.out, "pyroscope.receive_http/in:");
    assertEquals(ok.err.split("\n"), [
      `warning: ${dir}/ok.alloy:7: loki.write "l" is not converted: profcol collects profiles ` +
      "only (pyroscope.* components)",
      "warning: the converted config: exporters::pyroscope.write/out::endpoint::0::url: Cannot " +
      `parse 'url': "not a url" is not a URL (<converted>:14)`,
    ]);

    const bad = await run("--from", "alloy", `${dir}/bad.alloy`);
    assertEquals(bad, { code: 2, out: "", err: `${dir}/bad.alloy:3:1: expected a value, got "}"` });

    const none = await run("--from=alloy", `${dir}/none.alloy`);
    assertEquals(none.code, 1);
    assertStringIncludes(none.err, "no component could be converted");

    // A directory stands for its *.alloy files, in name order, merged as one config.
    const split = `${dir}/split`;
    await Deno.mkdir(split);
    await Deno.writeTextFile(
      `${split}/b_write.alloy`,
      `pyroscope.write "out" {\n  endpoint { url = "http://127.0.0.1:4040" }\n}\n`,
    );
    await Deno.writeTextFile(
      `${split}/a_in.alloy`,
      `pyroscope.receive_http "in" {\n  forward_to = [pyroscope.write.out.receiver]\n}\n`,
    );
    await Deno.writeTextFile(`${split}/notes.txt`, "not Alloy");
    const fromDir = await run("--from=alloy", split);
    assertEquals({ code: fromDir.code, err: fromDir.err }, { code: 0, err: "" });
    assertStringIncludes(
      fromDir.out,
      `# Converted from ${split}/a_in.alloy, ${split}/b_write.alloy`,
    );

    // "-" reads standard input.
    const stdin = await run("--from=alloy", "-");
    assertEquals({ code: stdin.code, err: stdin.err }, { code: 0, err: "" });
    assertStringIncludes(stdin.out, "# Converted from <stdin> by profcol convert");

    // Components but no pipeline: the converted config would not run.
    await Deno.writeTextFile(
      `${dir}/nowhere.alloy`,
      `pyroscope.write "out" {\n  endpoint { url = "http://127.0.0.1:4040" }\n}\n`,
    );
    const nowhere = await run("--from=alloy", `${dir}/nowhere.alloy`);
    assertEquals({ code: nowhere.code, err: nowhere.err.split("\n") }, {
      code: 1,
      err: [
        "warning: the converted config: service::pipelines: At least one pipeline is required " +
        "under service::pipelines (<converted>:10)",
        "profcol convert: no pipeline: no pyroscope.scrape or pyroscope.receive_http forwards " +
        "(through forward_to) to a pyroscope.write, so the converted config would not run",
      ],
    });

    const usage = await run(`${dir}/ok.alloy`);
    assertEquals(usage.code, 2);
    assertStringIncludes(usage.err, "--from=alloy is required");
    assertEquals((await run("--from=prometheus", `${dir}/ok.alloy`)).code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("docs/coming-from-alloy.md: every Alloy example converts; every whole YAML config validates", () => {
  const guide = Deno.readTextFileSync(new URL("../../docs/coming-from-alloy.md", import.meta.url));
  const alloy = [...guide.matchAll(/```alloy\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const yaml = [...guide.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert(alloy.length >= 7 && yaml.length >= 7, "the guide has its examples");
  for (const text of alloy) convert(text, "guide.alloy");
  const fanOut = alloy.find((t) =>
    t.includes(`pyroscope.relabel.tag.receiver, pyroscope.write.raw`)
  )!;
  const shown = yaml.find((t) => t.includes("profiles/sdk_2"))!;
  assertEquals(convert(fanOut).config.service, parseYaml(shown).service);
  for (const text of yaml.filter((t) => t.includes("service:") && /^receivers:/m.test(t))) {
    validateConverted(text, { PYROSCOPE_URL: "http://127.0.0.1:4040" });
  }
});
