// A task module for pool_test.ts. Module state is per thread.
import type { TaskHandler } from "../task.ts";

let calls = 0;

function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy on purpose */ }
}

export const tasks: Record<string, TaskHandler> = {
  count: () => ({ value: ++calls }),
  bytes: (payload) => {
    const body = new Uint8Array((payload as { size: number }).size).fill(7);
    return { value: body, transfer: [body.buffer] };
  },
  wait: (_payload, signal) =>
    new Promise((resolve) => {
      signal.addEventListener("abort", () => resolve({ value: "aborted" }), { once: true });
    }),
  busy: (payload) => {
    stall((payload as { ms: number }).ms);
    return { value: null };
  },
  fail: () => {
    throw new Error("task failed (test)");
  },
  crash: () => {
    setTimeout(() => {
      throw new Error("thread crashed (test)");
    });
    return new Promise(() => {});
  },
};
