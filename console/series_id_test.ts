import { assertEquals } from "../tests/support/assert.ts";
import { LabelSet } from "../core/labels.ts";
import { seriesId } from "./profile_store.ts";

Deno.test("seriesId: a target's redacted labels name the series its profiles were kept under", () => {
  const kept = seriesId(
    "pyroscope.scrape/a",
    LabelSet.from({ __name__: "cpu", __param_token: "t1" }),
  );
  const shown = seriesId("pyroscope.scrape/a", { __name__: "cpu", __param_token: "<secret>" });
  assertEquals(shown, kept);
  assertEquals(seriesId("pyroscope.scrape/a", { __name__: "memory" }) === kept, false);
});
