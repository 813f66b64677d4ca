import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { inlineRunner, WorkerPool } from "./pool.ts";

const TASKS = new URL("./testdata/tasks.ts", import.meta.url).href;

Deno.test("pool: tasks with one affinity share a thread (and its state); results transfer", async () => {
  const pool = new WorkerPool(2);
  try {
    const count = (affinity: number) => pool.run<number>(TASKS, "count", null, { affinity });
    assertEquals([await count(0), await count(0), await count(1), await count(2)], [1, 2, 1, 3]);
    const body = await pool.run<Uint8Array>(TASKS, "bytes", { size: 1 << 20 }, { affinity: 1 });
    assertEquals([body.byteLength, body[0], body[body.length - 1]], [1 << 20, 7, 7]);
    await assertRejects(
      () => pool.run(TASKS, "fail", null, { affinity: 0 }),
      Error,
      "task failed (test)",
    );
    await assertRejects(
      () => pool.run(TASKS, "nope", null, { affinity: 0 }),
      Error,
      'has no task "nope"',
    );
  } finally {
    pool.close();
  }
});

Deno.test("pool: aborting the caller's signal aborts the task on its thread", async () => {
  const pool = new WorkerPool(1);
  try {
    const abort = new AbortController();
    const waiting = pool.run<string>(TASKS, "wait", null, { affinity: 0, signal: abort.signal });
    setTimeout(() => abort.abort(), 20);
    assertEquals(await waiting, "aborted");
  } finally {
    pool.close();
  }
});

Deno.test("pool: backlog is how long the oldest queued task has waited for its thread", async () => {
  const pool = new WorkerPool(2);
  try {
    await pool.run(TASKS, "count", null, { affinity: 0 }); // thread started
    const busy = pool.run(TASKS, "busy", { ms: 400 }, { affinity: 0 });
    const queued = pool.run(TASKS, "count", null, { affinity: 0 });
    await new Promise((r) => setTimeout(r, 250));
    assert(pool.backlogMs(0) >= 150, `backlog ${pool.backlogMs(0)}ms`);
    assertEquals(pool.backlogMs(1), 0); // never started: nothing waits there
    await busy;
    await queued;
    assertEquals(pool.backlogMs(0), 0);
  } finally {
    pool.close();
  }
});

Deno.test("pool: a thread that dies fails its tasks naming it, and is replaced", async () => {
  const pool = new WorkerPool(1);
  try {
    await assertRejects(
      () => pool.run(TASKS, "crash", null, { affinity: 0 }),
      Error,
      "worker thread 0 failed",
    );
    assertEquals(await pool.run<number>(TASKS, "count", null, { affinity: 0 }), 1);
  } finally {
    pool.close();
  }
});

Deno.test("pool: closing fails the tasks in flight; the inline runner runs on this thread", async () => {
  const pool = new WorkerPool(1);
  const waiting = pool.run(TASKS, "wait", null, { affinity: 0 });
  await new Promise((r) => setTimeout(r, 50));
  pool.close();
  await assertRejects(() => waiting, Error, "Worker pool closed");
  assertEquals(inlineRunner.threads, 0);
  const first = await inlineRunner.run<number>(TASKS, "count", null, { affinity: 5 });
  assertEquals(await inlineRunner.run<number>(TASKS, "count", null, { affinity: 9 }), first + 1);
});
