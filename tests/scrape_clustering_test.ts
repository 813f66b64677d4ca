/**
 * `clustering` against the Kubernetes API stand-in: replicas of `pyroscope.scrape` watch their
 * Service's EndpointSlices and share 24 static targets by rendezvous hashing. After each change
 * — a replica lost, one added, one not ready — every target is scraped by exactly one replica,
 * and only the share of the replica that left or joined moves.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { RecordingConsumer, testSettings } from "../core/testing/conformance.ts";
import { scrapeConfigSchema } from "../receivers/pyroscope_scrape/config.ts";
import { ScrapeReceiver } from "../receivers/pyroscope_scrape/scrape_receiver.ts";
import { ownerOf } from "../receivers/pyroscope_scrape/clustering.ts";
import { type KubeApi, startKubeApi } from "./support/kube_api.ts";

const TARGETS = Array.from({ length: 24 }, (_, i) => `127.0.0.1:${20001 + i}`);
/** Replica "pod IPs": identities in the EndpointSlice only, never connected to. */
const PEER = (i: number) => `127.0.1.${i + 1}`;

function publishPeers(kube: KubeApi, peers: { ip: string; ready: boolean }[]): void {
  kube.apply("endpointslices", {
    metadata: {
      name: "profcol-x7k2p",
      namespace: "profcol",
      labels: { "kubernetes.io/service-name": "profcol" },
    },
    addressType: "IPv4",
    endpoints: peers.map(({ ip, ready }) => ({ addresses: [ip], conditions: { ready } })),
    ports: [{ name: "admin", port: 12345, protocol: "TCP" }],
  });
}

function replica(kube: KubeApi, i: number): ScrapeReceiver {
  return new ScrapeReceiver(
    testSettings(`pyroscope.scrape/r${i}`),
    scrapeConfigSchema.parse({
      targets: TARGETS.map((address) => ({ __address__: address, service_name: "app" })),
      scrape_interval: "1h",
      profiling_config: {
        "profile.memory": { enabled: false },
        "profile.block": { enabled: false },
        "profile.mutex": { enabled: false },
        "profile.process_cpu": { enabled: false },
      },
      clustering: {
        enabled: true,
        service: "profcol",
        namespace: "profcol",
        self_address: PEER(i),
        kubernetes: { api_server: kube.url },
      },
    }),
    new RecordingConsumer(),
    { backoff: { initialMs: 20, maxMs: 50 } },
  );
}

/** Which replica scrapes each target address (a list when more or fewer than one). */
function owners(replicas: Map<number, ScrapeReceiver>): Map<string, number[]> {
  const out = new Map<string, number[]>(TARGETS.map((t) => [t, []]));
  for (const [i, r] of replicas) {
    const addresses = new Set(r.loops.map((l) => l.target.labels.get("__address__")!));
    for (const address of addresses) out.get(address)!.push(i);
  }
  return out;
}

/**
 * Waits until every target has exactly one replica, the one the rendezvous hash over the live
 * replicas `live` names; returns target → replica.
 */
async function settled(replicas: Map<number, ScrapeReceiver>, live: number[], what: string) {
  const expected = new Map(TARGETS.map((t) => {
    const owner = ownerOf(t, live.map(PEER))!;
    return [t, [live.find((i) => PEER(i) === owner)!]];
  }));
  const deadline = Date.now() + 10_000;
  let last = owners(replicas);
  while (JSON.stringify([...last]) !== JSON.stringify([...expected])) {
    if (Date.now() > deadline) {
      throw new Error(`${what}: owners ${JSON.stringify([...last])}`);
    }
    await new Promise((r) => setTimeout(r, 20));
    last = owners(replicas);
  }
  return new Map([...last].map(([t, [i]]) => [t, i!]));
}

Deno.test("clustering: replicas joining and leaving keep every target on exactly one replica, moving only their share", async () => {
  const kube = startKubeApi();
  const replicas = new Map<number, ScrapeReceiver>();
  try {
    publishPeers(kube, [0, 1, 2].map((i) => ({ ip: PEER(i), ready: true })));
    for (const i of [0, 1, 2]) {
      const r = replica(kube, i);
      replicas.set(i, r);
      await r.start();
    }
    const three = await settled(replicas, [0, 1, 2], "three replicas");
    assertEquals(new Set(three.values()), new Set([0, 1, 2]), "every replica has a share");

    // Replica 1 is lost: only its targets move, to the two others.
    await replicas.get(1)!.shutdown();
    replicas.delete(1);
    publishPeers(kube, [0, 2].map((i) => ({ ip: PEER(i), ready: true })));
    const two = await settled(replicas, [0, 2], "replica 1 lost");
    for (const [target, i] of three) if (i !== 1) assertEquals(two.get(target), i, target);

    // Replica 3 joins: only targets that it now owns move, none between 0 and 2.
    const r3 = replica(kube, 3);
    replicas.set(3, r3);
    await r3.start();
    publishPeers(kube, [0, 2, 3].map((i) => ({ ip: PEER(i), ready: true })));
    const joined = await settled(replicas, [0, 2, 3], "replica 3 joined");
    assert([...joined.values()].includes(3), "replica 3 has a share");
    for (const [target, i] of joined) if (i !== 3) assertEquals(two.get(target), i, target);

    // Replica 3 not ready: it scrapes nothing, the others cover its share.
    publishPeers(kube, [
      { ip: PEER(0), ready: true },
      { ip: PEER(2), ready: true },
      { ip: PEER(3), ready: false },
    ]);
    const notReady = await settled(replicas, [0, 2], "replica 3 not ready");
    assertEquals(notReady, two);
    assertEquals(r3.loops.length, 0);
    const status = r3.discoveryStatus().find((d) => d.mechanism === "clustering")!;
    assertEquals([status.health, status.targets], ["up", 2]);
  } finally {
    for (const r of replicas.values()) await r.shutdown();
    await kube.close();
  }
});

Deno.test("clustering: before the replicas are listed (API refusing), a replica scrapes nothing and is degraded", async () => {
  const kube = startKubeApi({ token: "right" });
  const r = replica(kube, 0);
  try {
    await r.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assertEquals(r.loops.length, 0);
    const status = r.discoveryStatus().find((d) => d.mechanism === "clustering")!;
    assertEquals(status.health, "down");
    assert(status.last_error.includes("HTTP 401"), status.last_error);
  } finally {
    await r.shutdown();
    await kube.close();
  }
});
