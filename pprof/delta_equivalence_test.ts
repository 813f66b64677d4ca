/**
 * The streaming delta (`wire_delta.ts` behind `DeltaComputer`) must give the same profiles as
 * the object-building delta it replaced (`tests/support/delta_oracle.ts`): equal decoded
 * output, sample for sample and string for string, on real Go profiles and on randomized
 * ones (random stacks, duplicates, labels in any order, address-less locations, counters that
 * go backwards, value-type changes, sparse ids, vanished and new stacks, fields in any order),
 * and that corrupted input is always a clean error.
 */
import { assertEquals } from "../tests/support/assert.ts";
import { OracleDeltaComputer } from "../tests/support/delta_oracle.ts";
import { DeltaComputer, type DeltaKind } from "./delta.ts";
import { decodeProfile, emptyProfile, encodeProfile, type Label, type Profile } from "./profile.ts";
import { gunzipIfNeeded } from "./gzip.ts";

function decoded(bytes: Uint8Array | null): Profile | null {
  return bytes === null ? null : decodeProfile(gunzipIfNeeded(bytes, 1 << 28));
}

/** Feeds `inputs` to both computers; every output must decode to the same profile. */
function same(kind: DeltaKind, inputs: Uint8Array[], what: string): number {
  const fresh = new DeltaComputer(kind);
  const oracle = new OracleDeltaComputer(kind);
  let deltas = 0;
  inputs.forEach((input, i) => {
    const now = 1_000_000 * (i + 1);
    const want = decoded(oracle.compute(input, now));
    const got = decoded(fresh.compute(input, now));
    assertEquals(got, want, `${what}: profile ${i}`);
    if (got) deltas++;
  });
  return deltas;
}

const fixture = (dir: string, name: string) =>
  Deno.readFileSync(new URL(`${dir}/${name}`, import.meta.url));

Deno.test("equivalence: real Go profiles (bench and pprof testdata)", () => {
  const bench = ["allocs_1.pb.gz", "allocs_2.pb.gz"].map((n) => fixture("../bench/testdata", n));
  assertEquals(same("memory", [...bench, bench[1]!, bench[0]!, bench[1]!], "bench allocs"), 4);
  const local = (n: string) => fixture("./testdata", n);
  const allocs = ["allocs_1.pb.gz", "allocs_2.pb.gz", "allocs.pb.gz", "heap.pb.gz"].map(local);
  assertEquals(same("memory", allocs, "pprof allocs"), 3);
  assertEquals(same("mutex", [local("mutex.pb.gz"), local("mutex.pb.gz")], "mutex"), 1);
  assertEquals(same("block", [local("block.pb.gz"), local("block.pb.gz")], "block"), 1);
});

/** mulberry32: a small seeded generator, so a failure names its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]) => xs[int(xs.length)]! };
}

const TYPES: Record<DeltaKind, string[][]> = {
  memory: [
    ["alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"],
    ["alloc_objects/count", "alloc_space/bytes"],
    ["inuse_space/bytes"],
  ],
  block: [["contentions/count", "delay/nanoseconds"], ["samples/count"]],
  mutex: [["contentions/count", "delay/nanoseconds"], ["contentions/count"]],
};

interface Stack {
  frames: number[]; // indices into the frame pool
  labels: [string, string | number][];
}

/** One random cumulative profile over a pool of frames, stacks and their running counters. */
function generate(
  r: ReturnType<typeof rng>,
  frames: { address: number; fn: string; line: number }[],
  stacks: Stack[],
  counters: number[][],
  types: string[],
  time: number,
): Uint8Array {
  const p = emptyProfile();
  const strings = new Map<string, number>([["", 0]]);
  const str = (s: string) => {
    let i = strings.get(s);
    if (i === undefined) {
      i = p.stringTable.push(s) - 1;
      strings.set(s, i);
    }
    return i;
  };
  // Unused strings too, to be blanked.
  for (let i = r.int(4); i > 0; i--) str(`unused_${r.int(1000)}`);
  for (const t of types) {
    const [type, unit] = t.split("/");
    p.sampleType.push({ type: str(type!), unit: str(unit!) });
  }
  p.periodType = r.next() < 0.8 ? { type: str("space"), unit: str("bytes") } : undefined;
  p.period = r.int(3) * 512;
  if (r.next() < 0.3) p.comment.push(str("a comment"));
  p.mapping.push({
    id: 1,
    memoryStart: 0x400000,
    memoryLimit: 0x800000,
    fileOffset: 0,
    filename: str("/bin/app"),
    buildId: str("abc"),
    hasFunctions: true,
    hasFilenames: true,
    hasLineNumbers: true,
    hasInlineFrames: r.next() < 0.5,
  });
  // Location and function ids are renumbered every scrape (sparse sometimes), as Go does.
  const sparse = r.next() < 0.2;
  const order = frames.map((_, i) => i).sort(() => r.next() - 0.5);
  const locId = new Map<number, number>();
  const fnId = new Map<string, number>();
  order.forEach((f, k) => {
    const id = sparse ? 1_000_000 + k * 7919 : k + 1;
    locId.set(f, id);
    const frame = frames[f]!;
    let fid = fnId.get(frame.fn);
    if (fid === undefined) {
      fid = fnId.size + 1;
      fnId.set(frame.fn, fid);
      p.function.push({
        id: fid,
        name: str(frame.fn),
        systemName: str(frame.fn),
        filename: str(`${frame.fn}.go`),
        startLine: 1,
      });
    }
    p.location.push({
      id,
      mappingId: frame.address ? 1 : 0,
      address: frame.address,
      line: [{ functionId: fid, line: frame.line, column: 0 }],
      isFolded: false,
    });
  });
  stacks.forEach((stack, si) => {
    // Some stacks are absent from a scrape; some appear as several duplicate samples.
    if (r.next() < 0.1) return;
    const copies = r.next() < 0.15 ? 2 + r.int(2) : 1;
    for (let c = 0; c < copies; c++) {
      const labels: Label[] = stack.labels.map(([k, v]) =>
        typeof v === "number"
          ? { key: str(k), str: 0, num: v, numUnit: str("bytes") }
          : { key: str(k), str: str(v), num: 0, numUnit: 0 }
      );
      if (r.next() < 0.5) labels.reverse();
      const value = types.map((_, j) => {
        const base = counters[si]![j]!;
        return copies > 1 ? Math.floor(base / copies) + (c === 0 ? base % copies : 0) : base;
      });
      p.sample.push({ locationId: stack.frames.map((f) => locId.get(f)!), value, label: labels });
    }
  });
  p.timeNanos = r.next() < 0.9 ? time : 0;
  p.durationNanos = r.int(2) * 1000;
  return r.next() < 0.5 ? reorder(encodeProfile(p), r) : encodeProfile(p);
}

/**
 * Interleaves the top-level fields in a random field-number order (each field's own entries
 * keep their order): a valid encoding of the same profile, as other producers may write it.
 */
function reorder(bytes: Uint8Array, r: ReturnType<typeof rng>): Uint8Array {
  const byField = new Map<number, Uint8Array[]>();
  let pos = 0;
  const varint = () => {
    let v = 0, mul = 1, b: number;
    do {
      b = bytes[pos++]!;
      v += (b & 0x7f) * mul;
      mul *= 128;
    } while (b >= 0x80);
    return v;
  };
  while (pos < bytes.length) {
    const start = pos;
    const tag = varint();
    if ((tag & 7) === 2) {
      const n = varint();
      pos += n;
    } else varint();
    const field = tag >>> 3;
    if (!byField.has(field)) byField.set(field, []);
    byField.get(field)!.push(bytes.subarray(start, pos));
  }
  const fields = [...byField.keys()].sort(() => r.next() - 0.5);
  const parts = fields.flatMap((f) => byField.get(f)!);
  const out = new Uint8Array(bytes.length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

Deno.test("equivalence: randomized profiles, 300 seeds", () => {
  let deltas = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const kind = r.pick(["memory", "block", "mutex"] as const);
    const frames = Array.from({ length: 4 + r.int(40) }, (_, i) => ({
      // Address-less frames are identified by function name and line; names repeat.
      address: r.next() < 0.25 ? 0 : 0x400000 + i * 16 + (r.next() < 0.05 ? 2 ** 40 : 0),
      fn: `fn_${r.int(12)}`,
      line: 1 + r.int(5),
    }));
    const stacks: Stack[] = Array.from({ length: 1 + r.int(60) }, () => ({
      frames: Array.from({ length: 1 + r.int(8) }, () => r.int(frames.length)),
      labels: r.next() < 0.4
        ? [["thread", `t${r.int(3)}`], ["bytes", r.int(4) * 1024], ["pool", "p"]].filter(() =>
          r.next() < 0.7
        ) as [string, string | number][]
        : [],
    }));
    let types = r.pick(TYPES[kind]);
    const counters = stacks.map(() => types.map(() => r.int(5) * 100));
    const inputs: Uint8Array[] = [];
    for (let scrape = 0; scrape < 5; scrape++) {
      if (r.next() < 0.1) types = r.pick(TYPES[kind]); // value types change: primes again
      for (const row of counters) {
        while (row.length < types.length) row.push(0);
        for (let j = 0; j < row.length; j++) {
          const roll = r.next();
          // Mostly growing counters; sometimes unchanged, sometimes backwards (restart).
          if (roll < 0.6) row[j]! += r.int(1000);
          else if (roll < 0.7) row[j] = r.int(50);
        }
      }
      inputs.push(generate(r, frames, stacks, counters, types, 1e9 * (scrape + 1)));
    }
    deltas += same(kind, inputs, `seed ${seed} (${kind})`);
  }
  // Most runs delta on most scrapes: the comparison is not vacuous.
  if (deltas < 600) throw new Error(`only ${deltas} deltas compared`);
});

Deno.test("corrupted input: every flipped, cut or spliced profile is a clean error or a delta", () => {
  const r = rng(7);
  const base = decodeProfile(
    gunzipIfNeeded(fixture("../bench/testdata", "allocs_1.pb.gz"), 1 << 28),
  );
  base.sample = base.sample.slice(0, 40);
  const bytes = encodeProfile(base);
  let errors = 0;
  for (let i = 0; i < 3000; i++) {
    const mutated = bytes.slice(0, r.next() < 0.2 ? r.int(bytes.length) : bytes.length);
    for (let k = 1 + r.int(4); k > 0 && mutated.length > 0; k--) {
      mutated[r.int(mutated.length)] = r.int(256);
    }
    const d = new DeltaComputer("memory");
    try {
      d.compute(bytes);
      d.compute(mutated);
    } catch (error) {
      // Errors only, each with a message; the computer is poisoned and recovers.
      if (!(error instanceof Error) || !error.message) throw error;
      errors++;
      assertEquals(d.compute(bytes), null);
    }
  }
  if (errors < 100) throw new Error(`only ${errors} of 3000 corruptions were refused`);
});
