/**
 * Interop: client-side delta against a real Go `net/http/pprof` server. Two scrapes of
 * allocs (and mutex) feed a DeltaComputer; `go tool pprof -raw` must read the delta, and
 * its values must match the difference Go itself reports between the two scrapes.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { join } from "node:path";
import { goToolPprofRaw, skipUnlessPeer } from "../support/peers.ts";
import { DeltaComputer, type DeltaKind } from "../../pprof/delta.ts";
import { decodeProfile, type Profile } from "../../pprof/profile.ts";
import { stringAt } from "../support/pprof_strings.ts";
import { gunzipIfNeeded } from "../../pprof/gzip.ts";

const ignore = skipUnlessPeer("go", "needed to build tests/support/go_alloc");

/** Builds and starts the Go peer; returns its base URL and a stop function. */
async function startGoPeer(dir: string) {
  const binary = join(dir, "go_alloc");
  const build = await new Deno.Command("go", {
    args: ["build", "-o", binary, "."],
    cwd: new URL("../support/go_alloc/", import.meta.url).pathname,
    env: { GOFLAGS: "-mod=mod", CGO_ENABLED: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!build.success) throw new Error(`go build failed: ${new TextDecoder().decode(build.stderr)}`);
  const child = new Deno.Command(binary, { stdin: "piped", stdout: "piped", stderr: "null" })
    .spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const port = /listening on (\d+)/.exec(text)?.[1];
  const stop = async () => {
    await child.stdin.close();
    await reader.cancel();
    await child.status;
  };
  if (!port) {
    await stop();
    throw new Error(`Go peer did not report its port: ${text}`);
  }
  return { url: `http://127.0.0.1:${port}`, stop };
}

async function scrape(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  assertEquals(response.status, 200);
  return new Uint8Array(await response.arrayBuffer());
}

/** Per-stack totals keyed by the address list, for an independent check of the delta. */
function totals(p: Profile): Map<string, number[]> {
  const byId = new Map(p.location.map((l) => [l.id, l.address]));
  const out = new Map<string, number[]>();
  for (const s of p.sample) {
    const key = s.locationId.map((id) => byId.get(id)).join(",");
    const prev = out.get(key) ?? s.value.map(() => 0);
    out.set(key, prev.map((v, i) => v + s.value[i]!));
  }
  return out;
}

async function checkKind(kind: DeltaKind, path: string, dir: string, url: string) {
  const delta = new DeltaComputer(kind);
  const first = await scrape(`${url}${path}`);
  assertEquals(delta.compute(first), null, "the first scrape only primes");
  await new Promise((resolve) => setTimeout(resolve, 150));
  const second = await scrape(`${url}${path}`);
  const out = delta.compute(second);
  assert(out, "second scrape yields a delta");
  const file = join(dir, `${kind}.delta.pb.gz`);
  await Deno.writeFile(file, out);

  const raw = await goToolPprofRaw(file);
  const deltaProfile = decodeProfile(gunzipIfNeeded(out, 1 << 28));
  const types = deltaProfile.sampleType.map((t) =>
    `${stringAt(deltaProfile, t.type, "type")}/${stringAt(deltaProfile, t.unit, "unit")}`
  );
  for (const t of types) assert(raw.includes(t), `go tool pprof -raw shows ${t}:\n${raw}`);
  assert(deltaProfile.sample.length > 0, "the peer kept working, so the delta is not empty");

  // Every delta column equals second − first per stack (no restart happened in between).
  const a = totals(decodeProfile(gunzipIfNeeded(first, 1 << 28)));
  const b = totals(decodeProfile(gunzipIfNeeded(second, 1 << 28)));
  const d = totals(deltaProfile);
  const deltaCols = types.flatMap((t, i) =>
    ["alloc_objects/count", "alloc_space/bytes", "contentions/count", "delay/nanoseconds"]
        .includes(t)
      ? [i]
      : []
  );
  for (const [key, values] of d) {
    const after = b.get(key)!;
    const before = a.get(key) ?? after.map(() => 0);
    for (const i of deltaCols) {
      const expected = after[i]! >= before[i]! ? after[i]! - before[i]! : after[i]!;
      assertEquals(values[i], expected, `${kind} ${types[i]} of stack ${key}`);
    }
  }
  assert(
    deltaProfile.durationNanos > 0 && deltaProfile.durationNanos < 60e9,
    `duration_nanos ${deltaProfile.durationNanos}`,
  );
  return raw;
}

Deno.test({
  name: "interop: delta of real Go allocs and mutex profiles reads with go tool pprof",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "profcol-delta-go-" });
    const peer = await startGoPeer(dir);
    try {
      const raw = await checkKind("memory", "/debug/pprof/allocs", dir, peer.url);
      assert(raw.includes("main.allocLoop"), "the allocating function is in the delta");
      await checkKind("mutex", "/debug/pprof/mutex", dir, peer.url);
    } finally {
      await peer.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
