/**
 * The `enrich` processor as registered in `components.ts`, over `pyroscope.scrape`'s real
 * discovery (the kernel contract of `core/discovery.ts`): a `file_sd` file rewritten on disk, and
 * Kubernetes pods from the API stand-in matched by pod IP, their labels copied onto profiles.
 */
import { assertEquals, assertStrictEquals } from "./support/assert.ts";
import { builtinFactories } from "../components.ts";
import type { ProcessorFactory } from "../core/component.ts";
import type { Item, PushItem } from "../core/items.ts";
import { LabelSet } from "../core/labels.ts";
import { testSettings } from "../core/testing/conformance.ts";
import { podObject, startKubeApi } from "./support/kube_api.ts";

const factory = builtinFactories.find((f) => f.type === "enrich") as ProcessorFactory;

const push = (labels: Record<string, string>): PushItem => ({
  kind: "push",
  labels: LabelSet.from(labels),
  samples: [{ rawProfile: new Uint8Array(1) }],
});

async function until(condition: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const labelsOf = async (p: { process(i: Item): unknown }, labels: Record<string, string>) =>
  ((await p.process(push(labels))) as Item).labels.toRecord();

Deno.test("enrich over file_sd: labels of the file's targets, following the file as it changes", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "profcol-enrich-" });
  const file = `${dir}/services.json`;
  const write = (team: string) =>
    Deno.writeTextFileSync(
      file,
      JSON.stringify([{ targets: ["checkout"], labels: { service_name: "checkout", team } }]),
    );
  write("payments");
  const processor = factory.create(
    testSettings("enrich/services"),
    factory.configSchema.parse({
      file_sd_configs: [{ files: [`${dir}/*.json`], refresh_interval: "1s" }],
      target_match_label: "service_name",
    }),
  );
  try {
    await processor.start();
    await until(
      async () => (await labelsOf(processor, { service_name: "checkout" })).team === "payments",
      "the file's target",
    );
    assertEquals(await labelsOf(processor, { service_name: "checkout", env: "dev" }), {
      env: "dev",
      service_name: "checkout",
      team: "payments",
    });
    const other = push({ service_name: "cart" });
    assertStrictEquals(await processor.process(other), other);
    write("platform");
    await until(
      async () => (await labelsOf(processor, { service_name: "checkout" })).team === "platform",
      "the rewritten file",
    );
  } finally {
    await processor.shutdown();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("enrich over kubernetes_sd: a pushed profile's pod_ip gets its pod's namespace, name and namespace label", async () => {
  const kube = startKubeApi();
  kube.apply("namespaces", { metadata: { name: "shop", labels: { team: "payments" } } });
  kube.apply("pods", podObject({ namespace: "shop", name: "api-1", ip: "127.0.0.2" }));
  const processor = factory.create(
    testSettings("enrich/pods"),
    factory.configSchema.parse({
      kubernetes_sd_configs: [{
        role: "pod",
        api_server: kube.url,
        attach_metadata: { namespace: true },
      }],
      target_match_label: "__meta_kubernetes_pod_ip",
      profiles_match_label: "pod_ip",
      labels_to_copy: [
        "__meta_kubernetes_namespace",
        "__meta_kubernetes_pod_name",
        "__meta_kubernetes_namespace_label_team",
      ],
    }),
  );
  try {
    await processor.start();
    const profile = { pod_ip: "127.0.0.2", service_name: "api" };
    await until(
      async () => (await labelsOf(processor, profile)).__meta_kubernetes_pod_name === "api-1",
      "the pod",
    );
    assertEquals(await labelsOf(processor, profile), {
      __meta_kubernetes_namespace: "shop",
      __meta_kubernetes_namespace_label_team: "payments",
      __meta_kubernetes_pod_name: "api-1",
      pod_ip: "127.0.0.2",
      service_name: "api",
    });
    // A pod deleted is no longer matched.
    kube.remove("pods", "shop", "api-1");
    await until(
      async () => (await labelsOf(processor, profile)).__meta_kubernetes_pod_name === undefined,
      "the pod's removal",
    );
  } finally {
    await processor.shutdown();
    await kube.close();
  }
});
