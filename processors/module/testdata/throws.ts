// A module that throws on items labelled boom=yes (the pipeline must count processor_error).
import { defineProcessor, withLabels, z } from "../../../mod.ts";

export const processor = defineProcessor({
  type: "throws_test",
  configSchema: z.strictObject({ tag: z.string().default("seen") }),
  create: (_settings, config) => (item) => {
    if (item.labels.get("boom") === "yes") throw new Error("boom");
    return withLabels(item, item.labels.with("tag", config.tag));
  },
});
