/**
 * Byte-chunk helpers shared by `core/` and components.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])]); // Uint8Array [1, 2, 3]
 * ```
 * @module
 */

/**
 * Joins `chunks` into one `Uint8Array`. `total`, when the caller already summed the lengths,
 * saves a pass; a smaller `total` keeps only the first `total` bytes. A single chunk that
 * fills `total` is returned as is, without a copy.
 */
export function concatBytes(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  let size = total ?? 0;
  if (total === undefined) { for (const chunk of chunks) size += chunk.byteLength; }
  if (chunks.length === 1 && chunks[0]!.byteLength === size) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= size) break;
    const part = chunk.byteLength <= size - offset ? chunk : chunk.subarray(0, size - offset);
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * `view` as bytes of its own: a copy when it is a view into a larger buffer (a request body, a
 * read chunk, zlib output), else `view` itself. Whatever is kept beyond a request goes through
 * this, so that a small kept profile does not pin the whole buffer it arrived in.
 *
 * @example
 * ```ts
 * import { ownBytes } from "./bytes.ts";
 * const body = new Uint8Array(1024);
 * ownBytes(body.subarray(0, 8)).buffer.byteLength; // 8
 * ```
 */
export function ownBytes(view: Uint8Array): Uint8Array {
  return view.byteOffset === 0 && view.buffer.byteLength === view.byteLength ? view : view.slice();
}
