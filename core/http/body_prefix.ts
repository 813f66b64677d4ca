/**
 * The first bytes of a response body, for error messages: reads at most `maxBytes` and cancels
 * the rest, so a huge or endless error page costs nothing.
 *
 * @example
 * ```ts
 * import { bodyPrefix } from "./body_prefix.ts";
 * const bytes = await bodyPrefix(new Response("x".repeat(10_000)), 16);
 * bytes.byteLength; // 16
 * ```
 * @module
 */

import { concatBytes } from "../bytes.ts";

/** Up to `maxBytes` of `response`'s body; the rest is cancelled. */
export async function bodyPrefix(response: Response, maxBytes: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return concatBytes(chunks, Math.min(total, maxBytes));
}
