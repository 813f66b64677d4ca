/**
 * Entry of a worker thread of the pool (`pool.ts`): runs tasks it is sent, aborts them on
 * `cancel`, and says which tasks have begun (the last one, once per turn of its event loop, so a
 * busy thread sends one message, not one per task), so the main thread knows how long tasks
 * wait for this thread (its backlog). The thread's lag monitor runs for the life of the worker: tasks read
 * how long the thread stalled while they ran (`lag.ts`).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { type FromWorker, runTask, type ToWorker } from "./task.ts";
import { threadLag } from "./lag.ts";

const running = new Map<number, AbortController>();
/** The last task begun, told to the main thread once per turn of this thread's event loop. */
let begun = 0;
let telling = false;
const tellBegun = () => {
  telling = false;
  post({ kind: "started", id: begun });
};
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) =>
  self.postMessage(message, transfer);

threadLag.acquire();

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.kind === "cancel") {
    running.get(message.id)?.abort();
    return;
  }
  const abort = new AbortController();
  running.set(message.id, abort);
  begun = message.id;
  if (!telling) {
    telling = true;
    setTimeout(tellBegun, 0);
  }
  try {
    const result = await runTask(message.module, message.op, message.payload, abort.signal);
    post({ kind: "done", id: message.id, value: result.value }, [...(result.transfer ?? [])]);
  } catch (error) {
    post({
      kind: "failed",
      id: message.id,
      message: error instanceof Error ? error.message : String(error),
    });
  } finally {
    running.delete(message.id);
  }
};
