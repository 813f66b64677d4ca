// Returns undefined instead of an item or null.
import { defineProcessor, z } from "../../../mod.ts";

export default defineProcessor({
  type: "bad_return",
  configSchema: z.strictObject({}),
  create: () => (() => undefined) as never,
});
