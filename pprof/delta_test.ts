import { assert, assertEquals, assertThrows } from "../tests/support/assert.ts";
import { DeltaComputer } from "./delta.ts";
import { decodeProfile, emptyProfile, encodeProfile, type Profile } from "./profile.ts";
import { stringAt } from "../tests/support/pprof_strings.ts";
import { gunzipIfNeeded, gzip } from "./gzip.ts";
import { isGzip } from "./sniff.ts";

interface Spec {
  stack: number[];
  values: number[];
  labels?: [string, string | number][];
}

const MEMORY_TYPES = [
  "alloc_objects/count",
  "alloc_space/bytes",
  "inuse_objects/count",
  "inuse_space/bytes",
];

/**
 * Builds a profile; location ids are assigned in `idOffset`-shifted order so two profiles of
 * the same stacks have different ids, as real Go profiles do between scrapes.
 */
function build(
  specs: Spec[],
  options: { types?: string[]; time?: number; idOffset?: number } = {},
) {
  const p = emptyProfile();
  const str = (s: string) => {
    const i = p.stringTable.indexOf(s);
    return i >= 0 ? i : p.stringTable.push(s) - 1;
  };
  for (const t of options.types ?? MEMORY_TYPES) {
    const [type, unit] = t.split("/");
    p.sampleType.push({ type: str(type!), unit: str(unit!) });
  }
  const ids = new Map<number, number>();
  const offset = options.idOffset ?? 0;
  for (const spec of specs) {
    const locationId = spec.stack.map((address) => {
      let id = ids.get(address);
      if (id === undefined) {
        id = ids.size + 1 + offset;
        ids.set(address, id);
        const fid = p.function.length + 1;
        p.function.push({
          id: fid,
          name: str(`fn_${address}`),
          systemName: 0,
          filename: str("x.go"),
          startLine: 0,
        });
        p.location.push({
          id,
          mappingId: 0,
          address,
          line: [{ functionId: fid, line: 1, column: 0 }],
          isFolded: false,
        });
      }
      return id;
    });
    const label = (spec.labels ?? []).map(([k, v]) =>
      typeof v === "number"
        ? { key: str(k), str: 0, num: v, numUnit: str("bytes") }
        : { key: str(k), str: str(v), num: 0, numUnit: 0 }
    );
    p.sample.push({ locationId, value: spec.values, label });
  }
  p.timeNanos = options.time ?? 1_000_000_000;
  return encodeProfile(p);
}

/** Decoded delta output as `stack addresses | labels → values`, sorted for comparison. */
function view(bytes: Uint8Array | null): string[] {
  assert(bytes !== null, "expected a delta, got null");
  assert(isGzip(bytes), "delta output is always gzipped");
  const p = decodeProfile(gunzipIfNeeded(bytes, 1 << 26));
  return p.sample.map((s) => {
    const stack = s.locationId.map((id) => p.location.find((l) => l.id === id)!.address).join(",");
    const labels = s.label.map((l) =>
      `${stringAt(p, l.key, "k")}=${l.str ? stringAt(p, l.str, "s") : l.num}`
    ).join(",");
    return `${stack}|${labels} ${s.value.join(" ")}`;
  }).sort();
}

function decoded(bytes: Uint8Array | null): Profile {
  return decodeProfile(gunzipIfNeeded(bytes!, 1 << 26));
}

Deno.test("first profile primes and returns null; the second is the difference", () => {
  const d = new DeltaComputer("memory");
  assertEquals(d.compute(build([{ stack: [1, 2], values: [10, 1000, 5, 500] }])), null);
  assert(d.stateBytes() > 0);
  const out = d.compute(build([{ stack: [1, 2], values: [15, 1600, 7, 700] }], { idOffset: 5 }));
  // alloc_* are deltas, inuse_* pass through.
  assertEquals(view(out), ["1,2| 5 600 7 700"]);
});

Deno.test("zero-delta samples are left out, but not when an inuse value remains", () => {
  const d = new DeltaComputer("memory");
  d.compute(build([
    { stack: [1], values: [1, 10, 0, 0] },
    { stack: [2], values: [2, 20, 1, 10] },
    { stack: [3], values: [3, 30, 0, 0] },
  ]));
  const out = d.compute(build([
    { stack: [1], values: [1, 10, 0, 0] },
    { stack: [2], values: [2, 20, 1, 10] },
    { stack: [3], values: [4, 40, 0, 0] },
  ]));
  assertEquals(view(out), ["2| 0 0 1 10", "3| 1 10 0 0"]);
});

Deno.test("new stacks count from zero and vanished stacks are forgotten", () => {
  const d = new DeltaComputer("memory");
  d.compute(build([{ stack: [1], values: [1, 10, 0, 0] }]));
  assertEquals(view(d.compute(build([{ stack: [9, 1], values: [4, 40, 0, 0] }]))), [
    "9,1| 4 40 0 0",
  ]);
});

Deno.test("duplicate samples are added together before and after", () => {
  const d = new DeltaComputer("memory");
  d.compute(build([
    { stack: [1, 2], values: [1, 100, 0, 0] },
    { stack: [1, 2], values: [2, 200, 1, 1] },
  ]));
  const out = d.compute(build([
    { stack: [1, 2], values: [5, 500, 1, 1] },
    { stack: [1, 2], values: [1, 100, 1, 1] },
  ]));
  assertEquals(view(out), ["1,2| 3 300 2 2"]);
});

Deno.test("identity ignores label order, and labels split identities", () => {
  const d = new DeltaComputer("memory");
  d.compute(build([
    { stack: [1], values: [1, 10, 0, 0], labels: [["a", "x"], ["b", 7]] },
    { stack: [1], values: [5, 50, 0, 0], labels: [["a", "y"]] },
  ]));
  const out = d.compute(build([
    { stack: [1], values: [3, 30, 0, 0], labels: [["b", 7], ["a", "x"]] },
    { stack: [1], values: [5, 50, 0, 0], labels: [["a", "y"]] },
    { stack: [1], values: [2, 20, 0, 0], labels: [["a", "x"], ["b", 8]] },
  ]));
  assertEquals(view(out), ["1|a=x,b=8 2 20 0 0", "1|b=7,a=x 2 20 0 0"]);
});

Deno.test("stack order matters: the same addresses in another order are another stack", () => {
  const d = new DeltaComputer("memory");
  d.compute(build([{ stack: [1, 2], values: [1, 10, 0, 0] }]));
  assertEquals(view(d.compute(build([{ stack: [2, 1], values: [1, 10, 0, 0] }]))), [
    "2,1| 1 10 0 0",
  ]);
});

Deno.test("locations without addresses are identified by function name and line", () => {
  const d = new DeltaComputer("memory");
  // Address 0 everywhere: build() names functions after the address, so use distinct
  // stacks through the names only by building with address 0 per location.
  const withoutAddresses = (values: number[], idOffset: number) => {
    const p = decodeProfile(build([{ stack: [1, 2], values }], { idOffset }));
    for (const l of p.location) l.address = 0;
    return encodeProfile(p);
  };
  d.compute(withoutAddresses([1, 10, 0, 0], 0));
  const out = decoded(d.compute(withoutAddresses([3, 30, 0, 0], 40)));
  assertEquals(out.sample.map((s) => s.value), [[2, 20, 0, 0]]);
});

Deno.test("counters that went backwards (target restart) emit the current values", () => {
  const d = new DeltaComputer("memory");
  d.compute(
    build([{ stack: [1], values: [100, 1000, 0, 0] }, { stack: [2], values: [5, 50, 0, 0] }]),
  );
  const out = d.compute(
    build([{ stack: [1], values: [3, 30, 0, 0] }, { stack: [2], values: [6, 60, 0, 0] }]),
  );
  assertEquals(view(out), ["1| 3 30 0 0", "2| 1 10 0 0"]);
});

Deno.test("block and mutex delta contentions and delay", () => {
  for (const kind of ["block", "mutex"] as const) {
    const d = new DeltaComputer(kind);
    const types = ["contentions/count", "delay/nanoseconds"];
    d.compute(build([{ stack: [1], values: [10, 1e6] }], { types }));
    assertEquals(view(d.compute(build([{ stack: [1], values: [12, 3e6] }], { types }))), [
      "1| 2 2000000",
    ]);
  }
});

Deno.test("time_nanos is kept and duration_nanos is the time between the profiles", () => {
  const d = new DeltaComputer("memory");
  d.compute(build([{ stack: [1], values: [1, 1, 0, 0] }], { time: 5e9 }));
  const p = decoded(d.compute(build([{ stack: [1], values: [2, 2, 0, 0] }], { time: 20e9 })));
  assertEquals([p.timeNanos, p.durationNanos], [20e9, 15e9]);
});

Deno.test("a change of value types primes again", () => {
  const d = new DeltaComputer("memory");
  d.compute(build([{ stack: [1], values: [1, 1, 0, 0] }]));
  const types = ["alloc_objects/count", "alloc_space/bytes"];
  assertEquals(d.compute(build([{ stack: [1], values: [2, 2] }], { types })), null);
  assertEquals(view(d.compute(build([{ stack: [1], values: [5, 5] }], { types }))), ["1| 3 3"]);
});

Deno.test("gzipped input works the same, output is always gzipped", () => {
  const d = new DeltaComputer("memory");
  d.compute(gzip(build([{ stack: [1], values: [1, 1, 0, 0] }])));
  assertEquals(view(d.compute(gzip(build([{ stack: [1], values: [4, 4, 0, 0] }])))), [
    "1| 3 3 0 0",
  ]);
});

Deno.test("an error poisons: it throws, the next profile only primes, then deltas resume", () => {
  const d = new DeltaComputer("memory");
  d.compute(build([{ stack: [1], values: [1, 1, 0, 0] }]));
  assertThrows(() => d.compute(new Uint8Array([0x0a, 0xff])));
  assert(d.error instanceof Error);
  assertEquals(d.stateBytes(), 0);
  assertEquals(d.compute(build([{ stack: [1], values: [5, 5, 0, 0] }])), null);
  assertEquals(d.error, undefined);
  assertEquals(view(d.compute(build([{ stack: [1], values: [7, 7, 0, 0] }]))), ["1| 2 2 0 0"]);
});

Deno.test("a sample pointing at a missing location is an error naming it", () => {
  const p = emptyProfile();
  p.sample.push({ locationId: [42], value: [], label: [] });
  assertThrows(
    () => new DeltaComputer("memory").compute(encodeProfile(p)),
    Error,
    /missing location 42/,
  );
});

Deno.test("reset forgets the previous profile", () => {
  const d = new DeltaComputer("memory");
  d.compute(build([{ stack: [1], values: [1, 1, 0, 0] }]));
  d.reset();
  assertEquals(d.stateBytes(), 0);
  assertEquals(d.compute(build([{ stack: [1], values: [2, 2, 0, 0] }])), null);
});

Deno.test("state is 12 bytes of identity plus packed values per stack with non-zero deltas", () => {
  const d = new DeltaComputer("memory");
  const specs = Array.from({ length: 10_000 }, (_, i) => ({
    stack: [i + 1, i + 2, i + 3, 100_000 + (i % 7)],
    values: [i, i * 8, 0, 0],
  }));
  d.compute(build(specs));
  // Stack 0 allocated nothing: not kept. i and i * 8 are below 2^20: at most 3 bytes each.
  assert(d.stateBytes() <= 9_999 * (12 + 6), `stateBytes ${d.stateBytes()}`);
  assert(d.stateBytes() >= 9_999 * (12 + 2), `stateBytes ${d.stateBytes()}`);
});

Deno.test("unreferenced strings become empty, indices kept; unused locations are dropped", () => {
  const d = new DeltaComputer("memory");
  d.compute(build([{ stack: [1], values: [1, 1, 0, 0] }, { stack: [2], values: [1, 1, 0, 0] }]));
  const bytes = build([{ stack: [1], values: [1, 1, 0, 0] }, { stack: [2], values: [2, 2, 0, 0] }]);
  const input = decodeProfile(bytes);
  const p = decoded(d.compute(bytes));
  assertEquals(p.stringTable.length, input.stringTable.length);
  assertEquals(p.location.map((l) => l.address), [2]);
  assert(!p.stringTable.includes("fn_1"));
  assert(p.stringTable.includes("fn_2"));
});

const fixture = (name: string) => Deno.readFileSync(new URL(`./testdata/${name}`, import.meta.url));

Deno.test("real Go allocs profiles: delta equals the per-stack difference", () => {
  const one = decodeProfile(gunzipIfNeeded(fixture("allocs_1.pb.gz"), 1 << 26));
  const two = decodeProfile(gunzipIfNeeded(fixture("allocs_2.pb.gz"), 1 << 26));
  const d = new DeltaComputer("memory");
  assertEquals(d.compute(fixture("allocs_1.pb.gz")), null);
  const out = decoded(d.compute(fixture("allocs_2.pb.gz")));
  // Independent reference: key by the address list joined as a string.
  const totals = (p: Profile) => {
    const m = new Map<string, number[]>();
    for (const s of p.sample) {
      const key = s.locationId.map((id) => p.location.find((l) => l.id === id)!.address).join(",") +
        "|" + s.label.map((l) => `${l.key}:${l.str}:${l.num}`).sort().join(",");
      const prev = m.get(key) ?? [0, 0, 0, 0];
      m.set(key, prev.map((v, i) => v + s.value[i]!));
    }
    return m;
  };
  const a = totals(one);
  const expected = new Map<string, number[]>();
  for (const [key, values] of totals(two)) {
    const before = a.get(key);
    const diff = values.map((v, i) => (i < 2 && before ? v - before[i]! : v));
    if (diff.some((v) => v !== 0)) expected.set(key, diff);
  }
  const got = totals(out);
  assertEquals(got.size, expected.size);
  // Label string indices differ between profiles only if strings moved; compare values by stack.
  const byStack = (m: Map<string, number[]>) =>
    [...m].map(([k, v]) => `${k.split("|")[0]} ${v.join(" ")}`).sort();
  assertEquals(byStack(got), byStack(expected));
  assert(out.sample.length > 0);
  assertEquals(out.durationNanos, out.timeNanos - one.timeNanos);
});
