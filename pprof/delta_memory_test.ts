import { assert, assertEquals } from "../tests/support/assert.ts";
import { DeltaComputer, type DeltaKind } from "./delta.ts";
import { DeltaMemory } from "./delta_memory.ts";
import { gunzipIfNeeded } from "./gzip.ts";

const here = (path: string) => Deno.readFileSync(new URL(path, import.meta.url));
const fixture = (name: string) => here(`./testdata/${name}`);
const benchFixture = (name: string) => here(`../bench/testdata/${name}`);
const decompressedSize = (body: Uint8Array) => gunzipIfNeeded(body, 1 << 28).byteLength;

/** A budget of its own, so tests do not share the process-wide one. */
function budget(limit: number, spillParent?: string) {
  const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
  const infos: string[] = [];
  const memory = new DeltaMemory(limit, { spillParent });
  memory.configure(limit, {
    warn: (msg, fields) => warnings.push({ msg, fields }),
    info: (msg) => infos.push(msg),
  });
  return { memory, warnings, infos };
}

Deno.test("state is at most half of the decompressed profile it remembers (real Go profiles)", () => {
  const cases: [DeltaKind, Uint8Array[]][] = [
    ["memory", [fixture("allocs.pb.gz")]],
    ["memory", [fixture("heap.pb.gz")]],
    ["memory", [fixture("allocs_1.pb.gz"), fixture("allocs_2.pb.gz")]],
    ["memory", [benchFixture("allocs_1.pb.gz"), benchFixture("allocs_2.pb.gz")]],
    // Heap profiles of the bench fleet (bench/fleet, an earlier 8,000-path version: ~450 KB,
    // 14,000 samples of shallow stacks).
    ["memory", [fixture("fleet_heap_1.pb.gz"), fixture("fleet_heap_2.pb.gz")]],
    ["block", [fixture("block.pb.gz")]],
    ["mutex", [fixture("mutex.pb.gz")]],
  ];
  const { memory } = budget(1 << 30);
  for (const [kind, bodies] of cases) {
    const d = new DeltaComputer(kind, { memory });
    for (const body of bodies) {
      d.compute(body);
      const size = decompressedSize(body);
      assert(
        d.stateBytes() <= size / 2,
        `${kind}: state ${d.stateBytes()} of a ${size}-byte profile`,
      );
    }
    d.reset();
  }
  assertEquals(memory.used, 0);
});

Deno.test("past the budget, state is spilled to disk, deltas stay the same, warned once", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const [one, two] = [fixture("fleet_heap_1.pb.gz"), fixture("fleet_heap_2.pb.gz")];
    const reference = new DeltaComputer("memory", { memory: budget(1 << 30).memory });
    reference.compute(one, 1);
    const expected = reference.compute(two, 2)!;
    const primed = reference.stateBytes();

    // Room for one target's state: the second one spills.
    const { memory, warnings, infos } = budget(primed + 1024, dir);
    const a = new DeltaComputer("memory", { memory, owner: "pyroscope.scrape/a" });
    const b = new DeltaComputer("memory", { memory, owner: "pyroscope.scrape/b" });
    a.compute(one, 1);
    b.compute(one, 1);
    assertEquals([a.spilled, b.spilled, b.stateBytes()], [false, true, 0]);
    assert(memory.used <= memory.limit);
    const spillDir = [...Deno.readDirSync(dir)][0]!.name;
    const files = () => [...Deno.readDirSync(`${dir}/${spillDir}`)].length;
    assertEquals(files(), 1);

    assertEquals(a.compute(two, 2), expected);
    assertEquals(b.compute(two, 2), expected); // read back from disk
    assertEquals(files(), 1); // the old file removed, the new state spilled again
    assertEquals(memory.limitEvents(), [{
      owner: "pyroscope.scrape/b",
      reason: "spilled",
      count: 2,
    }]);
    assertEquals(warnings.length, 1);
    assertEquals(warnings[0]!.fields!.component_id, "pyroscope.scrape/b");

    // The spill directory removed under us (a temp cleaner): that state is dropped, the next
    // spill makes a new directory.
    Deno.removeSync(`${dir}/${spillDir}`, { recursive: true });
    assertEquals(b.compute(one, 3), null);
    assertEquals(memory.limitEvents().map((e) => e.reason), ["spilled", "dropped"]);
    b.compute(two, 4);
    assertEquals(b.spilled, true);

    b.reset();
    a.reset();
    assertEquals([memory.spilledStates, memory.used], [0, 0]);
    assertEquals(infos, []);
    a.compute(one, 5); // fits, nothing on disk: back within the limit, said once
    assertEquals(infos.length, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("when the state can be neither kept nor spilled it is dropped: the next profile primes", () => {
  const dir = Deno.makeTempDirSync();
  try {
    // A spill directory that cannot be made: every spill fails.
    const { memory, warnings } = budget(0, `${dir}/missing/deeper`);
    const d = new DeltaComputer("memory", { memory, owner: "pyroscope.scrape/x" });
    assertEquals(d.compute(fixture("allocs_1.pb.gz")), null);
    assertEquals([d.stateBytes(), d.spilled], [0, false]);
    assertEquals(d.compute(fixture("allocs_2.pb.gz")), null); // nothing to delta against
    assertEquals(memory.limitEvents(), [{
      owner: "pyroscope.scrape/x",
      reason: "dropped",
      count: 2,
    }]);
    assertEquals(warnings.length, 1);
    assert(typeof warnings[0]!.fields!.err === "string");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("state owns its bytes: interleaved targets and reused input buffers do not alter it", () => {
  const { memory } = budget(1 << 30);
  const pairs = [
    [benchFixture("allocs_1.pb.gz"), benchFixture("allocs_2.pb.gz")],
    [fixture("fleet_heap_1.pb.gz"), fixture("fleet_heap_2.pb.gz")],
  ];
  // Each pair alone.
  const expected = pairs.map(([first, second]) => {
    const d = new DeltaComputer("memory", { memory });
    d.compute(gunzipIfNeeded(first!, 1 << 28), 1);
    const out = d.compute(gunzipIfNeeded(second!, 1 << 28), 2);
    d.reset();
    return out;
  });
  // Interleaved, each input buffer wiped once computed (as a reused read buffer would be).
  const computers = pairs.map(() => new DeltaComputer("memory", { memory }));
  for (let step = 0; step < 2; step++) {
    const outs = computers.map((d, i) => {
      const input = gunzipIfNeeded(pairs[i]![step]!, 1 << 28).slice();
      const out = d.compute(input, step + 1);
      input.fill(0);
      return out;
    });
    if (step === 1) assertEquals(outs, expected);
  }
});

Deno.test("memory reserved by state is given back on reset and on an error", () => {
  const { memory } = budget(1 << 30);
  const d = new DeltaComputer("memory", { memory });
  d.compute(fixture("allocs_1.pb.gz"));
  assertEquals(memory.used, d.stateBytes());
  assert(memory.used > 0);
  try {
    d.compute(new Uint8Array([0x12, 0x05, 0x01])); // a truncated sample
  } catch {
    // Poisons the computer, dropping its state.
  }
  assertEquals(memory.used, 0);
  d.compute(fixture("allocs_1.pb.gz"));
  d.reset();
  assertEquals(memory.used, 0);
});

Deno.test("a state reuses its arrays when the next profile's sizes fit, deltas unchanged", () => {
  const { memory } = budget(1 << 30);
  const [one, two] = [fixture("fleet_heap_1.pb.gz"), fixture("fleet_heap_2.pb.gz")];
  const reference = new DeltaComputer("memory", { memory });
  reference.compute(one, 2);
  const expected = reference.compute(two, 3);
  const d = new DeltaComputer("memory", { memory });
  d.compute(two, 1);
  const size = d.stateBytes();
  // Fewer stacks, within 1/16 of the arrays' size: packed into the previous state's arrays.
  d.compute(one, 2);
  assertEquals(d.stateBytes(), size);
  assertEquals(d.compute(two, 3), expected);
  reference.reset();
  d.reset();
  assertEquals(memory.used, 0);
});

Deno.test("spill directories left by killed processes are removed; live ones are not", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const stale = `${dir}/profcol-delta-999999999-abc`; // no such process
    const live = `${dir}/profcol-delta-1-abc`; // init: alive
    for (const d of [stale, live]) {
      Deno.mkdirSync(d);
      Deno.writeFileSync(`${d}/1.delta`, new Uint8Array(8));
    }
    const { memory } = budget(0, dir);
    const d = new DeltaComputer("memory", { memory });
    d.compute(fixture("allocs.pb.gz"));
    assertEquals(d.spilled, true);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(names.length, 2);
    assert(names.includes("profcol-delta-1-abc"));
    assert(names.some((n) => n.startsWith(`profcol-delta-${Deno.pid}-`)));
    d.reset();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
