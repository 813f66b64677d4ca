import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { UnavailableError } from "../admission.ts";
import type { IngestItem, PushItem } from "../items.ts";
import { LabelSet } from "../labels.ts";
import { type Entry, EntryStore } from "./entry_store.ts";
import type { QueuedItem } from "./item_codec.ts";
import { Spool } from "./spool.ts";

const labels = LabelSet.from({ service_name: "svc" });

function push(n: number, rawProfile = new Uint8Array([n])): QueuedItem {
  const item: PushItem = { kind: "push", labels, samples: [{ rawProfile, id: `s${n}` }] };
  return { item, meta: { tenant: "t" } };
}

function store(spool?: Spool, maxMemoryBytes = 1 << 20) {
  const events = { counted: 0, arrived: 0 };
  const s = new EntryStore(spool, maxMemoryBytes, {
    counted: (profiles) => (events.counted += profiles),
    arrived: () => events.arrived++,
  });
  return { store: s, events };
}

const first = (entry: Entry): Uint8Array => {
  const item = entry.queued!.item;
  return item.kind === "push" ? item.samples[0]!.rawProfile : item.body;
};

Deno.test("entry store: a committed profile owns its bytes, not the request buffer", () => {
  const { store: s } = store();
  // A 1 MiB request body with an 8-byte profile inside it, as a decoder's view returns it.
  const body = new Uint8Array(1 << 20).fill(7);
  const view = body.subarray(100, 108);
  const entry = s.entryFor(push(1, view), 8, 1);
  const owned = first(entry);
  assertEquals(owned.buffer.byteLength, 8, "the entry keeps only its own 8 bytes alive");
  assertEquals([...owned], [...view]);
  body.fill(0); // the request buffer is reused or freed: the entry does not change
  assertEquals(owned[0], 7);
  assertEquals(entry.queued!.item.kind === "push" && entry.queued!.item.samples[0]!.id, "s1");
  assertEquals(entry.queued!.meta, { tenant: "t" });

  const ingest: IngestItem = {
    kind: "ingest",
    labels,
    body: body.subarray(0, 16),
    contentType: ["application/octet-stream"],
    query: [["name", "app"]],
  };
  const ingestEntry = s.entryFor({ item: ingest, meta: {} }, 16, 1);
  assertEquals(first(ingestEntry).buffer.byteLength, 16);
  // Bytes that are already their own are not copied again.
  const own = new Uint8Array(4);
  assert(first(s.entryFor(push(2, own), 4, 1)) === own);
});

Deno.test("entry store: FIFO with put-back at the head and requeue at the tail", () => {
  const { store: s, events } = store();
  const entries = [1, 2, 3].map((n) => s.entryFor(push(n), 1, n));
  for (const entry of entries) s.push(entry);
  assertEquals([s.waiting, s.profiles, s.memoryBytes, events.arrived], [3, 6, 3, 3]);
  const batch = [s.shift()!, s.shift()!];
  assertEquals([s.waiting, s.profiles], [1, 6], "in flight stays counted");
  s.putBack(batch);
  assertEquals(s.drain().map((e) => e.profiles), [1, 2, 3]);
  for (const entry of entries) s.unaccount(entry);
  assertEquals([s.profiles, s.memoryBytes, events.counted], [0, 0, 0]);
  for (const entry of entries) s.push(entry);
  s.requeueTail(s.shift()!);
  assertEquals(s.drain().map((e) => e.profiles), [2, 3, 1]);
  for (const entry of entries) assertEquals(s.finish(entry), undefined, "no file to remove");
  assertEquals([s.profiles, s.memoryBytes, events.counted], [0, 0, 0]);
  assert(entries.every((e) => e.done === true && e.queued === undefined));
});

Deno.test("entry store: a spool write that fails removes every file of the request and refuses it as unavailable", async () => {
  const dir = await Deno.makeTempDir();
  let writes = 0;
  let broken = false;
  const spool = await Spool.open(dir, {
    writeFile: async (path, bytes) => {
      if (broken) throw new Error("Input/output error (os error 5)");
      // The third file fills the disk half-way through.
      if (++writes === 3) {
        await Deno.writeFile(path, bytes.subarray(0, 3));
        throw Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
      }
      await Deno.writeFile(path, bytes);
    },
  });
  try {
    const { store: s } = store(spool);
    const items = [1, 2, 3, 4].map((n) => ({ queued: push(n), profiles: 1 }));
    const error = await assertRejects(
      () => s.spoolAll(items, "e1"),
      UnavailableError,
    ) as UnavailableError;
    assertEquals(error.reason, "spool_no_space");
    const left = [];
    for await (const file of Deno.readDir(dir)) if (file.name !== "LOCK") left.push(file.name);
    assertEquals(left, [], "no .pcq and no .tmp file is left");
    assertEquals(spool.bytes, 0);
    // A write error that is not a full disk has its own reason.
    broken = true;
    const other = await assertRejects(
      () => s.spoolAll(items, "e1"),
      UnavailableError,
    ) as UnavailableError;
    assertEquals(other.reason, "spool_write_error");
    broken = false;
    assertEquals((await s.spoolAll(items, "e1")).length, 4, "writes work again");
  } finally {
    await spool.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("entry store: spooled payloads beyond the memory budget stay on disk until loaded", async () => {
  const dir = await Deno.makeTempDir();
  const spool = await Spool.open(dir);
  try {
    const { store: s } = store(spool, 10);
    const items = [1, 2].map((n) => ({ queued: push(n, new Uint8Array(8).fill(n)), profiles: 1 }));
    const refs = await s.spoolAll(items, "e1");
    const a = s.entryFor(items[0]!.queued, 8, 1, refs[0]);
    s.push(a);
    const b = s.entryFor(items[1]!.queued, 8, 1, refs[1]);
    s.push(b);
    assert(a.queued !== undefined && b.queued === undefined, "only the first fits in memory");
    assertEquals(s.memoryBytes, 8);
    await s.load(b);
    assertEquals([...first(b)], [2, 2, 2, 2, 2, 2, 2, 2]);
    await s.finish(a);
    await s.finish(b);
    assertEquals(spool.bytes, 0);
  } finally {
    await spool.close();
    await Deno.remove(dir, { recursive: true });
  }
});
