// Records lifecycle calls in a global so the test can see them.
import { defineProcessor, z } from "../../../mod.ts";

const calls: string[] = ((globalThis as Record<string, unknown>).__profcolLifecycleCalls ??= []) as string[];

export default defineProcessor({
  type: "lifecycle_test",
  configSchema: z.strictObject({ name: z.string() }),
  create: (_settings, config) => ({
    start() {
      calls.push(`start ${config.name}`);
      return Promise.resolve();
    },
    shutdown() {
      calls.push(`shutdown ${config.name}`);
      return Promise.resolve();
    },
    process: (item) => Promise.resolve(item),
  }),
});
