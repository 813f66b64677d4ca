/**
 * Valid test profiles that a strict sink accepts (current time, one sample type, one sample).
 *
 * @module
 */

import { gzip } from "../../pprof/gzip.ts";
import { emptyProfile, encodeProfile } from "../../pprof/profile.ts";

/**
 * A small, valid, gzipped pprof whose bytes are unique to `n`; `size` adds about that many
 * bytes of incompressible padding (a random hex string in the string table).
 */
export function profileBytes(n: number, size = 0): Uint8Array {
  const p = emptyProfile();
  const random = crypto.getRandomValues(new Uint8Array(Math.ceil(size / 2)));
  const padding = Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("");
  p.stringTable.push("samples", "count", `fn_${n}`, "main.go", padding);
  p.sampleType.push({ type: 1, unit: 2 });
  p.periodType = { type: 1, unit: 2 };
  p.period = 1;
  p.function.push({ id: 1, name: 3, systemName: 5, filename: 4, startLine: 1 });
  p.location.push({
    id: 1,
    mappingId: 0,
    address: 0,
    line: [{ functionId: 1, line: 1, column: 0 }],
    isFolded: false,
  });
  p.sample.push({ locationId: [1], value: [n + 1], label: [] });
  p.timeNanos = Date.now() * 1_000_000;
  p.durationNanos = 10_000_000_000;
  return gzip(encodeProfile(p));
}
