/**
 * `deploy/kubernetes/`: every manifest parses (multi-document YAML); every config in the
 * ConfigMap passes `main.ts validate`; the RBAC grants exactly get/list/watch on the resources the
 * discovery code watches for those configs (derived from `ROLE_RESOURCES`); the DaemonSet scrapes
 * its own node only, with probes and the benchmark's requests; the scrape rules are the README's.
 */
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { assert, assertEquals } from "./support/assert.ts";
import { runProfcol } from "./support/process.ts";
import { resourcesOf } from "../receivers/pyroscope_scrape/discovery/kubernetes/roles.ts";
import type { KubernetesRole } from "../receivers/pyroscope_scrape/discovery/kubernetes/config.ts";

const DIR = new URL("../deploy/kubernetes/", import.meta.url);
// deno-lint-ignore no-explicit-any
type Doc = any;

function manifests(): { file: string; doc: Doc }[] {
  const out: { file: string; doc: Doc }[] = [];
  for (const entry of [...Deno.readDirSync(DIR)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (!entry.name.endsWith(".yaml")) continue;
    for (const d of parseAllDocuments(Deno.readTextFileSync(new URL(entry.name, DIR)))) {
      assertEquals(d.errors.map((e) => e.message), [], entry.name);
      const doc = d.toJS();
      if (doc) out.push({ file: entry.name, doc });
    }
  }
  return out;
}

const find = (kind: string, name?: string) =>
  manifests().filter((m) => m.doc.kind === kind && (!name || m.doc.metadata.name === name))
    .map((m) => m.doc);

const ENV = { NODE_NAME: "node-a", POD_INDEX: "0", TOTAL_SHARDS: "3" };

Deno.test("deploy: every manifest parses with apiVersion, kind and a name", () => {
  const all = manifests();
  assert(all.length >= 8, `${all.length} documents`);
  for (const { file, doc } of all) {
    assert(doc.apiVersion && doc.kind && doc.metadata?.name, `${file}: ${JSON.stringify(doc)}`);
  }
  assertEquals(
    all.map((m) => m.doc.kind).sort(),
    [
      "ClusterRole",
      "ClusterRoleBinding",
      "ConfigMap",
      "DaemonSet",
      "Deployment",
      "Namespace",
      "Service",
      "ServiceAccount",
      "StatefulSet",
    ],
  );
});

Deno.test("deploy: every ConfigMap config passes main.ts validate; workloads mount the keys they run", async () => {
  const [cm] = find("ConfigMap", "profcol");
  const dir = Deno.makeTempDirSync({ prefix: "profcol-deploy-" });
  try {
    for (const [key, text] of Object.entries(cm.data as Record<string, string>)) {
      const path = `${dir}/${key}`;
      Deno.writeTextFileSync(path, text);
      const result = await runProfcol(["validate", path], { entry: "main.ts", env: ENV });
      assertEquals(result.code, 0, `${key}: ${result.stdout}${result.stderr}`);
    }
    for (const kind of ["DaemonSet", "StatefulSet", "Deployment"]) {
      const spec = find(kind)[0].spec.template.spec;
      const c = spec.containers[0];
      const config = c.args[c.args.indexOf("--config") + 1] as string;
      assert(config.startsWith("/etc/profcol/"), config);
      assert(config.slice("/etc/profcol/".length) in cm.data, `${kind} runs ${config}`);
      assertEquals(spec.volumes, [{ name: "config", configMap: { name: "profcol" } }]);
      assertEquals(c.livenessProbe.httpGet.path, "/-/healthy");
      assertEquals(c.readinessProbe.httpGet.path, "/-/ready");
      assertEquals(c.ports.find((p: Doc) => p.name === "admin").containerPort, 12345);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("deploy: the ClusterRole grants exactly get/list/watch on what the configs' discovery watches", () => {
  const [cm] = find("ConfigMap", "profcol");
  const needed = new Set<string>();
  for (const text of Object.values(cm.data as Record<string, string>)) {
    const config = parseYaml(text) as Doc;
    for (const [id, receiver] of Object.entries(config.receivers ?? {}) as [string, Doc][]) {
      if (!id.startsWith("pyroscope.scrape")) continue;
      for (const sd of receiver.kubernetes_sd_configs ?? []) {
        for (const r of resourcesOf(sd.role as KubernetesRole, sd.attach_metadata ?? {})) {
          needed.add(`${r.group}/${r.name}`);
        }
      }
    }
  }
  assertEquals([...needed], ["/pods"]);
  const [role] = find("ClusterRole", "profcol");
  const granted = new Set<string>();
  for (const rule of role.rules) {
    assertEquals(rule.verbs, ["get", "list", "watch"]);
    for (const g of rule.apiGroups) for (const r of rule.resources) granted.add(`${g}/${r}`);
  }
  assertEquals(granted, needed);
  const [binding] = find("ClusterRoleBinding", "profcol");
  assertEquals(binding.roleRef.name, "profcol");
  assertEquals(binding.subjects, [{
    kind: "ServiceAccount",
    name: "profcol",
    namespace: "profcol",
  }]);
  for (const kind of ["DaemonSet", "StatefulSet"]) {
    assertEquals(find(kind)[0].spec.template.spec.serviceAccountName, "profcol");
  }
});

Deno.test("deploy: the DaemonSet scrapes its own node with the README's annotation rules; the StatefulSet shards by ordinal", () => {
  const [cm] = find("ConfigMap", "profcol");
  const ds = find("DaemonSet")[0].spec.template.spec.containers[0];
  assertEquals(ds.env, [{
    name: "NODE_NAME",
    valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } },
  }]);
  assertEquals(ds.resources.requests, { cpu: "100m", memory: "128Mi" });
  const daemon = parseYaml(cm.data["daemonset.yaml"]).receivers["pyroscope.scrape/pods"];
  assertEquals(daemon.kubernetes_sd_configs, [{
    role: "pod",
    selectors: [{ role: "pod", field: "spec.nodeName=${env:NODE_NAME}" }],
  }]);
  const readme = Deno.readTextFileSync(
    new URL("../receivers/pyroscope_scrape/README.md", import.meta.url),
  );
  const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
    .find((b) => b.includes("pyroscope.scrape/annotated"))!;
  const example = parseYaml(block).receivers["pyroscope.scrape/annotated"];
  assertEquals(daemon.relabel_configs, example.relabel_configs);
  assertEquals(daemon.profiling_config, example.profiling_config);

  const sts = find("StatefulSet")[0];
  const sharded = parseYaml(cm.data["statefulset.yaml"]).receivers["pyroscope.scrape/pods"];
  assertEquals(sharded.sharding, {
    shard_index: "${env:POD_INDEX}",
    total_shards: "${env:TOTAL_SHARDS}",
  });
  const env = sts.spec.template.spec.containers[0].env;
  assertEquals(
    env[0].valueFrom.fieldRef.fieldPath,
    "metadata.labels['apps.kubernetes.io/pod-index']",
  );
  assertEquals(env[1], { name: "TOTAL_SHARDS", value: String(sts.spec.replicas) });
  assertEquals(sharded.relabel_configs, example.relabel_configs);
});

Deno.test("deploy: the Dockerfile is Deno 2.9.5 running main.ts like deno task start, on a ConfigMap path", () => {
  const text = Deno.readTextFileSync(new URL("Dockerfile", DIR));
  assert(text.includes("FROM denoland/deno:2.9.5\n"));
  assert(text.includes('ENTRYPOINT ["deno", "run", "--allow-all", "main.ts"]'));
  assert(text.includes('CMD ["run", "--config", "/etc/profcol/daemonset.yaml"]'));
  const task = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url))).tasks
    .start as string;
  assert(task.startsWith("deno run --allow-all main.ts run --config "), task);
});
