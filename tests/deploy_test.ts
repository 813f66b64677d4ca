/**
 * `deploy/`: the Helm chart and the plain manifests rendered from it.
 *
 * Always (on the committed `deploy/kubernetes/profcol.yaml`): every config in the ConfigMap
 * passes `main.ts validate`; the RBAC grants exactly what the configs' discovery watches; the
 * DaemonSet scrapes its own node with the README's rules; the pods are hardened (non-root,
 * read-only root, capabilities dropped, seccomp, writable volumes only where needed), their
 * termination grace outlasts `shutdown_timeout`, the gateway spools to its volume and has a PDB
 * and anti-affinity, the admin token comes from a mounted Secret, NetworkPolicies cover every
 * pod. The Dockerfile is multi-stage and non-root and the .dockerignore keeps only sources.
 *
 * With helm and go (always under CI): every values file in `deploy/helm/profcol/ci/` renders,
 * each object decodes strictly into its Kubernetes type (`tests/deploy/validate`), the same
 * checks hold for each render, `helm lint --strict` passes, and the plain manifests equal the
 * chart's render.
 */
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { assert, assertEquals } from "./support/assert.ts";
import { runProfcol } from "./support/process.ts";
import { resourcesOf } from "../receivers/pyroscope_scrape/discovery/kubernetes/roles.ts";
import type { KubernetesRole } from "../receivers/pyroscope_scrape/discovery/kubernetes/config.ts";
import {
  CHART,
  findHelm,
  helm,
  MANIFESTS,
  renderChart,
  renderManifests,
} from "../deploy/render_manifests.ts";
import { parseDuration } from "../core/duration.ts";

const ROOT = new URL("../", import.meta.url).pathname;
// deno-lint-ignore no-explicit-any
type Doc = any;

function documents(text: string, where: string): Doc[] {
  const out: Doc[] = [];
  for (const d of parseAllDocuments(text)) {
    assertEquals(d.errors.map((e) => e.message), [], where);
    const doc = d.toJS();
    if (doc) out.push(doc);
  }
  return out;
}

const committed = () => documents(Deno.readTextFileSync(MANIFESTS), MANIFESTS);
const find = (docs: Doc[], kind: string) => docs.filter((d) => d.kind === kind);
const workloads = (docs: Doc[]) =>
  docs.filter((d) => ["DaemonSet", "StatefulSet", "Deployment"].includes(d.kind));

const ENV = { NODE_NAME: "node-a", POD_INDEX: "0", TOTAL_SHARDS: "3", POD_IP: "127.0.1.1" };
/** Whether this tree's config schema knows the admin bearer token file yet. */
const TOKEN_SETTING = Deno.readTextFileSync(`${ROOT}core/config/service_schema.ts`)
  .includes("bearer_token_file");

/** Every ConfigMap config passes `main.ts validate`. */
async function checkConfigsValidate(docs: Doc[], where: string): Promise<void> {
  const [cm] = find(docs, "ConfigMap");
  const dir = Deno.makeTempDirSync({ prefix: "profcol-deploy-" });
  try {
    for (const [key, text] of Object.entries(cm.data as Record<string, string>)) {
      const config = parseYaml(text);
      // Until service.telemetry.http.bearer_token_file exists here (helper `security`'s branch).
      if (!TOKEN_SETTING) delete config.service.telemetry.http.bearer_token_file;
      Deno.writeTextFileSync(`${dir}/${key}`, JSON.stringify(config));
      const result = await runProfcol(["validate", `${dir}/${key}`], {
        entry: "main.ts",
        env: ENV,
      });
      assertEquals(result.code, 0, `${where} ${key}: ${result.stdout}${result.stderr}`);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The config a workload runs, parsed from the ConfigMap. */
function configOf(docs: Doc[], workload: Doc): Doc {
  const [cm] = find(docs, "ConfigMap");
  const c = workload.spec.template.spec.containers[0];
  const path = c.args[c.args.indexOf("--config") + 1] as string;
  assert(path.startsWith("/etc/profcol/"), path);
  const text = cm.data[path.slice("/etc/profcol/".length)];
  assert(text, `${workload.kind} runs ${path}, which the ConfigMap lacks`);
  return parseYaml(text);
}

/** Hardening, volumes, grace, token, spool, PDB, anti-affinity, NetworkPolicy, probes. */
function checkHardened(docs: Doc[], where: string): void {
  const all = workloads(docs);
  assert(all.length > 0, `${where}: no workloads`);
  const secrets = new Set(find(docs, "Secret").map((s) => s.metadata.name));
  for (const workload of all) {
    const name = `${where} ${workload.kind} ${workload.metadata.name}`;
    const pod = workload.spec.template.spec;
    assertEquals(pod.securityContext.runAsNonRoot, true, name);
    assert(pod.securityContext.runAsUser > 0, name);
    assertEquals(pod.securityContext.seccompProfile, { type: "RuntimeDefault" }, name);
    const config = configOf(docs, workload);
    const shutdown = parseDuration(config.service.shutdown_timeout) / 1000;
    assert(pod.terminationGracePeriodSeconds > shutdown, `${name}: grace ≤ shutdown_timeout`);
    const http = config.service.telemetry.http;
    assertEquals(http.listen_address, "0.0.0.0", name);
    const volumes = new Map<string, Doc>(pod.volumes.map((v: Doc) => [v.name, v]));
    for (const c of pod.containers) {
      // The heap limit is half the memory limit, through the environment (no relaunch).
      assert(c.resources.limits.memory, `${name}: no memory limit`);
      assertEquals(c.env.slice(0, 2), [
        {
          name: "PROFCOL_HEAP_MIB",
          valueFrom: {
            resourceFieldRef: { containerName: c.name, resource: "limits.memory", divisor: "2Mi" },
          },
        },
        { name: "DENO_V8_FLAGS", value: "--max-old-space-size=$(PROFCOL_HEAP_MIB)" },
      ], name);
      assertEquals(c.securityContext.readOnlyRootFilesystem, true, name);
      assertEquals(c.securityContext.allowPrivilegeEscalation, false, name);
      assertEquals(c.securityContext.capabilities.drop, ["ALL"], name);
      assertEquals(c.livenessProbe.httpGet.path, "/-/healthy", name);
      assertEquals(c.readinessProbe.httpGet.path, "/-/ready", name);
      assertEquals(c.ports.find((p: Doc) => p.name === "admin").containerPort, http.listen_port);
      // Writable: /tmp, and the gateway's spool; everything else is read-only.
      const writable = c.volumeMounts.filter((m: Doc) => !m.readOnly).map((m: Doc) => m.mountPath);
      const spool = config.exporters?.["pyroscope.write"]?.queue?.spool?.directory;
      assertEquals(writable, spool ? ["/tmp", spool] : ["/tmp"], name);
      for (const m of c.volumeMounts) {
        const volume = volumes.get(m.name);
        assert(volume, `${name}: mount ${m.name} has no volume`);
        if (m.readOnly) assert(volume.configMap || volume.secret, `${name}: ${m.name}`);
      }
      if (http.bearer_token_file) {
        const mount = c.volumeMounts.find((m: Doc) =>
          http.bearer_token_file.startsWith(m.mountPath + "/")
        );
        assert(mount, `${name}: nothing mounted at ${http.bearer_token_file}`);
        const secret = volumes.get(mount.name).secret.secretName;
        const external = secret === "profcol-admin-token" && !secrets.has(secret);
        assert(secrets.has(secret) || external, `${name}: Secret ${secret} is not rendered`);
        assertEquals(http.bearer_token_file.slice(mount.mountPath.length + 1), "token");
      }
    }
    // A NetworkPolicy selects the pods and allows the admin port.
    const labels = workload.spec.template.metadata.labels;
    const policies = find(docs, "NetworkPolicy").filter((p) => selects(p.spec.podSelector, labels));
    if (find(docs, "NetworkPolicy").length > 0) {
      assertEquals(policies.length, 1, `${name}: NetworkPolicies`);
      assert(
        policies[0].spec.ingress.some((r: Doc) => r.ports.some((p: Doc) => p.port === "admin")),
        name,
      );
    }
  }
  for (const gateway of find(docs, "Deployment")) {
    const pod = gateway.spec.template.spec;
    const config = configOf(docs, gateway);
    const spool = config.exporters["pyroscope.write"].queue?.spool?.directory;
    if (spool) {
      const mount = pod.containers[0].volumeMounts.find((m: Doc) => m.mountPath === spool);
      assert(mount, `${where}: the spool directory is not a volume`);
    }
    const term = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution?.[0]
      ?.podAffinityTerm ??
      pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
    assertEquals(term.topologyKey, "kubernetes.io/hostname");
    assertEquals(term.labelSelector.matchLabels, gateway.spec.selector.matchLabels);
    for (const pdb of find(docs, "PodDisruptionBudget")) {
      assertEquals(pdb.spec.selector.matchLabels, gateway.spec.selector.matchLabels);
    }
  }
}

function selects(selector: Doc, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e: Doc) =>
    e.operator === "In" && e.values.includes(labels[e.key])
  );
  return byLabels && byExpressions;
}

/** The ClusterRole grants exactly get/list/watch on what the configs' discovery watches. */
function checkRbac(docs: Doc[], where: string): void {
  const [cm] = find(docs, "ConfigMap");
  const needed = new Set<string>();
  for (const text of Object.values(cm.data as Record<string, string>)) {
    const config = parseYaml(text) as Doc;
    for (const [id, receiver] of Object.entries(config.receivers ?? {}) as [string, Doc][]) {
      if (!id.startsWith("pyroscope.scrape")) continue;
      const sds = [...receiver.kubernetes_sd_configs ?? []];
      // clustering watches the replicas' EndpointSlices (in its own namespace: a Role).
      if (receiver.clustering?.enabled) sds.push({ role: "endpointslice" });
      for (const sd of sds) {
        for (const r of resourcesOf(sd.role as KubernetesRole, sd.attach_metadata ?? {})) {
          needed.add(`${r.group}/${r.name}`);
        }
      }
    }
  }
  const [role] = find(docs, "ClusterRole");
  const granted = new Set<string>();
  for (const rule of [...role.rules, ...find(docs, "Role").flatMap((r) => r.rules)]) {
    assertEquals(rule.verbs, ["get", "list", "watch"], where);
    for (const g of rule.apiGroups) for (const r of rule.resources) granted.add(`${g}/${r}`);
  }
  assertEquals(granted, needed, where);
  for (const binding of find(docs, "RoleBinding")) {
    assertEquals(binding.roleRef.name, find(docs, "Role")[0].metadata.name, where);
  }
  const [binding] = find(docs, "ClusterRoleBinding");
  assertEquals(binding.roleRef.name, role.metadata.name);
  const [account] = find(docs, "ServiceAccount");
  assertEquals(binding.subjects, [{
    kind: "ServiceAccount",
    name: account.metadata.name,
    namespace: account.metadata.namespace,
  }]);
  for (const w of workloads(docs).filter((w) => w.kind !== "Deployment")) {
    assertEquals(w.spec.template.spec.serviceAccountName, account.metadata.name, where);
  }
}

const readmeExample = () => {
  const readme = Deno.readTextFileSync(`${ROOT}receivers/pyroscope_scrape/README.md`);
  const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
    .find((b) => b.includes("pyroscope.scrape/annotated"))!;
  return parseYaml(block).receivers["pyroscope.scrape/annotated"];
};

Deno.test("deploy: the plain manifests' configs validate, RBAC is exact, pods are hardened", async () => {
  const docs = committed();
  assertEquals(documents(Deno.readTextFileSync(`${ROOT}deploy/kubernetes/namespace.yaml`), "ns"), [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "profcol" } },
  ]);
  for (const doc of docs) assertEquals(doc.metadata.namespace ?? "profcol", "profcol");
  assertEquals(docs.map((d) => d.kind).sort(), [
    "ClusterRole",
    "ClusterRoleBinding",
    "ConfigMap",
    "DaemonSet",
    "Deployment",
    "NetworkPolicy",
    "NetworkPolicy",
    "PodDisruptionBudget",
    "Service",
    "Service",
    "ServiceAccount",
  ]);
  await checkConfigsValidate(docs, "profcol.yaml");
  checkRbac(docs, "profcol.yaml");
  checkHardened(docs, "profcol.yaml");
});

Deno.test("deploy: the DaemonSet scrapes its own node with the README's annotation rules", () => {
  const docs = committed();
  const [ds] = find(docs, "DaemonSet");
  const container = ds.spec.template.spec.containers[0];
  assertEquals(container.env.slice(2), [{
    name: "NODE_NAME",
    valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } },
  }]);
  assertEquals(container.resources.requests, { cpu: "100m", memory: "128Mi" });
  assert(container.args.includes("--watch-config"));
  const daemon = configOf(docs, ds).receivers["pyroscope.scrape/pods"];
  assertEquals(daemon.kubernetes_sd_configs, [{
    role: "pod",
    selectors: [{ role: "pod", field: "spec.nodeName=${env:NODE_NAME}" }],
  }]);
  const example = readmeExample();
  assertEquals(daemon.relabel_configs, example.relabel_configs);
  assertEquals(daemon.profiling_config, example.profiling_config);
});

/** The dockerignore rules as (pattern, negated) pairs with a regex each. */
function dockerignore(text: string): { regex: RegExp; negated: boolean }[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((l) => {
    const negated = l.startsWith("!");
    const pattern = (negated ? l.slice(1) : l).replace(/^\/+|\/+$/g, "");
    const source = pattern.split("/").map((part) =>
      part === "**" ? "(?:.*)" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")
        .replace(/\?/g, "[^/]")
    ).join("/").replace(/\(\?:\.\*\)\//g, "(?:.*/)?");
    return { regex: new RegExp(`^${source}(?:/.*)?$`), negated };
  });
}

function ignored(rules: { regex: RegExp; negated: boolean }[], path: string): boolean {
  let result = false;
  for (const rule of rules) if (rule.regex.test(path)) result = !rule.negated;
  return result;
}

Deno.test("deploy: the Dockerfile compiles with every worker module and runs non-root on a minimal base; .dockerignore keeps only sources", async () => {
  const text = Deno.readTextFileSync(`${ROOT}deploy/Dockerfile`);
  const from = [...text.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => [m[1], m[2]]);
  assertEquals(from, [["denoland/deno:2.9.5", "build"], [
    "gcr.io/distroless/cc-debian12:nonroot",
    undefined,
  ]]);
  const final = text.slice(text.lastIndexOf("\nFROM "));
  assertEquals([...final.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]), ["65532:65532"]);
  assert(final.includes("COPY --from=build /out/profcol /usr/local/bin/profcol"));
  assert(final.includes('ENTRYPOINT ["/usr/local/bin/profcol"]'));
  const run = text.replace(/\\\n\s*/g, " "); // continuation lines joined
  const compile = /&& deno compile ([^\n&]*)/.exec(run)![1]!;
  for (const flag of ["--allow-all", "--unstable-net", "--output /out/profcol main.ts"]) {
    assert(compile.includes(flag), `deno compile lacks ${flag}`);
  }
  // Worker entry modules are found by name; every `new Worker(new URL(...))` must match it.
  assert(compile.includes("-name '*worker_main.ts'"), compile);
  const workerUrl = /new Worker\(\s*new URL\(\s*"([^"]+)"/g;
  for await (const path of walk(ROOT, ["core", "receivers", "exporters", "processors", "cli"])) {
    for (const [, url] of Deno.readTextFileSync(path).matchAll(workerUrl)) {
      assert(url!.endsWith("worker_main.ts"), `${path}: worker ${url} is not *worker_main.ts`);
    }
  }

  const rules = dockerignore(Deno.readTextFileSync(`${ROOT}.dockerignore`));
  for (const path of [".git/HEAD", "tests/deploy_test.ts", "bench/main.ts", "data/x.pb.gz"]) {
    assert(ignored(rules, path), `${path} is sent to the build`);
  }
  assert(ignored(rules, "core/bytes_test.ts") && ignored(rules, "deploy/helm/profcol/Chart.yaml"));
  // Every module of the binary, and the lock file, reach the build.
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  const modules = (JSON.parse(new TextDecoder().decode(info.stdout)).modules as Doc[])
    .map((m) => m.specifier as string).filter((s) => s.startsWith(`file://${ROOT}`))
    .map((s) => s.slice(`file://${ROOT}`.length));
  assert(modules.length > 100, `${modules.length} modules`);
  for (const path of [...modules, "deno.json", "deno.lock"]) {
    assert(!ignored(rules, path), `${path} is needed by the build but ignored`);
  }
});

async function* walk(root: string, dirs: string[]): AsyncGenerator<string> {
  for (const dir of dirs) {
    for await (const entry of Deno.readDir(`${root}${dir}`)) {
      const path = `${root}${dir}/${entry.name}`;
      if (entry.isDirectory) yield* walk("", [path]);
      else if (entry.name.endsWith(".ts")) yield path;
    }
  }
}

// ---- with helm and go -------------------------------------------------------------------

const HELM = findHelm();
const GO = ["/usr/local/go/bin", ...(Deno.env.get("PATH") ?? "").split(":")].map((d) => `${d}/go`)
  .find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
const CI = Boolean(Deno.env.get("CI"));
const missing = [!HELM && "helm", !GO && "go"].filter(Boolean).join(" and ");
if (missing && !CI) {
  console.log(
    `SKIPPED: the chart render tests need ${missing} (go install helm.sh/helm/v4/cmd/helm@v4.3.2)`,
  );
}

/** Builds the strict Kubernetes validator (tests/deploy/validate) once. */
let validator: Promise<string> | undefined;
function buildValidator(): Promise<string> {
  return validator ??= (async () => {
    const out = `${Deno.makeTempDirSync({ prefix: "profcol-validate-" })}/validate`;
    const result = await new Deno.Command(GO!, {
      args: ["build", "-o", out, "."],
      cwd: `${ROOT}tests/deploy/validate`,
      env: { GOFLAGS: "-mod=mod" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) throw new Error(new TextDecoder().decode(result.stderr));
    return out;
  })();
}

async function validate(text: string, where: string): Promise<number> {
  const child = new Deno.Command(await buildValidator(), {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const output = await child.output();
  const decoder = new TextDecoder();
  assertEquals(output.code, 0, `${where}:\n${decoder.decode(output.stderr)}`);
  return Number(/^(\d+) objects valid, 0 errors$/m.exec(decoder.decode(output.stdout))![1]);
}

const valuesFiles = () =>
  [...Deno.readDirSync(`${CHART}/ci`)].map((e) => e.name).filter((n) => n.endsWith(".yaml"))
    .sort();

Deno.test({
  name:
    "deploy: helm lint --strict; every ci values file renders and every object is valid Kubernetes, hardened, with exact RBAC",
  ignore: Boolean(missing) && !CI,
  async fn() {
    if (missing) throw new Error(`CI is set but ${missing} is missing`);
    await helm(HELM!, ["lint", "--strict", CHART]);
    const files = valuesFiles();
    assert(files.length >= 5, files.join(", "));
    const kinds = new Set<string>();
    for (const file of files) {
      const text = await renderChart(HELM!, [`${CHART}/ci/${file}`]);
      const docs = documents(text, file);
      assertEquals(await validate(text, file), docs.length);
      for (const d of docs) kinds.add(d.kind);
      await checkConfigsValidate(docs, file);
      checkRbac(docs, file);
      checkHardened(docs, file);
    }
    // Every template is rendered by at least one values file.
    assertEquals([...kinds].sort(), [
      "ClusterRole",
      "ClusterRoleBinding",
      "ConfigMap",
      "DaemonSet",
      "Deployment",
      "NetworkPolicy",
      "PodDisruptionBudget",
      "PodMonitor",
      "Role",
      "RoleBinding",
      "Secret",
      "Service",
      "ServiceAccount",
      "ServiceMonitor",
      "StatefulSet",
    ]);
  },
});

Deno.test({
  name:
    "deploy: the sharded StatefulSet heals with clustering over its Service, or splits by ordinal with hashmod",
  ignore: !HELM && !CI,
  async fn() {
    const docs = documents(
      await renderChart(HELM!, [`${CHART}/ci/sharded-values.yaml`]),
      "sharded",
    );
    const [sts] = find(docs, "StatefulSet");
    assertEquals(find(docs, "DaemonSet"), []);
    const scrape = configOf(docs, sts).receivers["pyroscope.scrape/pods"];
    assertEquals(scrape.clustering, {
      enabled: true,
      service: sts.spec.serviceName,
      self_address: "${env:POD_IP}",
    });
    assertEquals(scrape.sharding, undefined);
    const service = find(docs, "Service").find((s) => s.metadata.name === sts.spec.serviceName);
    assertEquals(service.spec.selector, sts.spec.selector.matchLabels);
    assertEquals(sts.spec.template.spec.containers[0].env.slice(2), [
      { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    ]);
    assertEquals(scrape.relabel_configs, readmeExample().relabel_configs);

    const hashmod = documents(
      await renderChart(HELM!, [`${CHART}/ci/sharded-hashmod-values.yaml`]),
      "hashmod",
    );
    const [fixed] = find(hashmod, "StatefulSet");
    const sharded = configOf(hashmod, fixed).receivers["pyroscope.scrape/pods"];
    assertEquals(sharded.sharding, {
      shard_index: "${env:POD_INDEX}",
      total_shards: "${env:TOTAL_SHARDS}",
    });
    assertEquals(fixed.spec.template.spec.containers[0].env.slice(2), [
      {
        name: "POD_INDEX",
        valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } },
      },
      { name: "TOTAL_SHARDS", value: String(fixed.spec.replicas) },
    ]);
    assertEquals(find(hashmod, "Role"), []);
  },
});

Deno.test({
  name: "deploy: deploy/kubernetes/profcol.yaml is the chart's render (deploy/render_manifests.ts)",
  ignore: !HELM && !CI,
  async fn() {
    assertEquals(Deno.readTextFileSync(MANIFESTS), await renderManifests(HELM!));
  },
});
