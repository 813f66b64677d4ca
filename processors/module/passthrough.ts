/**
 * A processor module that passes every item through unchanged. The `module` processor's
 * default config points at it, so that a bare `module` entry is valid (and harmless); it also
 * serves as the smallest example of a module.
 *
 * @module
 */

import { defineProcessor, z } from "../../mod.ts";

/** Passes items through unchanged. */
export default defineProcessor({
  type: "passthrough",
  description: "Passes every profile through unchanged.",
  configSchema: z.strictObject({}),
  create: () => (item) => item,
});
