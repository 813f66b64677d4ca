/**
 * Structural validation of pprof bytes without building a profile: gunzip (native zlib, with
 * an output cap, which checks the CRC), then a walk of the protobuf wire format checking every
 * tag, wire type and length of the `Profile` message (docs/spec/pyroscope-wire.md §2.3) — nested messages too for
 * uncompressed input, which no checksum protects — plus the server's cheap rules
 * (`string_table[0] == ""`, at least one `sample_type`). Truncated, bit-flipped or
 * foreign bytes fail here with a message that says where, instead of being queued and refused
 * by the server later.
 *
 * @example
 * ```ts
 * import { validateProfileBytes } from "./validate.ts";
 * validateProfileBytes(new Uint8Array([0x0a, 0x04, 0x08, 0x01, 0x10, 0x02]), 1 << 20); // undefined
 * validateProfileBytes(new Uint8Array([0x0a, 0x09, 0x08]), 1 << 20); // "field 1 (sample_type) at byte 0: length 9 runs past the end"
 * ```
 * @module
 */

import { gunzip, gunzipInTurn, GzipTooLargeError, inOwnTurn } from "./gzip.ts";
import { isGzip } from "./sniff.ts";

/** Field numbers of `Profile` that hold nested messages, with their message kind. */
const PROFILE_MESSAGES: Record<number, string> = {
  1: "value_type",
  2: "sample",
  3: "mapping",
  4: "location",
  5: "function",
  11: "value_type",
};
const PROFILE_NAMES: Record<number, string> = {
  1: "sample_type",
  2: "sample",
  3: "mapping",
  4: "location",
  5: "function",
  6: "string_table",
  7: "drop_frames",
  8: "keep_frames",
  9: "time_nanos",
  10: "duration_nanos",
  11: "period_type",
  12: "period",
  13: "comment",
  14: "default_sample_type",
  15: "doc_url",
};
/** Nested messages inside nested messages (`Sample.label`, `Location.line`). */
const NESTED: Record<string, Record<number, string>> = {
  sample: { 3: "label" },
  location: { 4: "line" },
};

class WireError extends Error {}

/**
 * Returns why `bytes` is not a well-formed pprof profile (gzipped or not), or `undefined`.
 * `maxBytes` caps the decompressed size.
 */
export function validateProfileBytes(bytes: Uint8Array, maxBytes: number): string | undefined {
  if (!isGzip(bytes)) return validateRaw(bytes, maxBytes);
  let raw: Uint8Array;
  try {
    raw = gunzip(bytes, { maxBytes });
  } catch (error) {
    return gunzipProblem(error, maxBytes);
  }
  return walk(raw, false);
}

/**
 * {@linkcode validateProfileBytes} without holding the event loop for long: a profile that
 * inflates past 1 MiB (or raw bytes past 1 MiB) is validated in a turn of its own, one at a
 * time (`inOwnTurn`), so many large or bomb profiles arriving together take turns with timers
 * and I/O. The work before the verdict is bounded by `maxBytes` of output.
 */
export async function validateProfileBytesInTurn(
  bytes: Uint8Array,
  maxBytes: number,
): Promise<string | undefined> {
  if (!isGzip(bytes)) {
    return bytes.byteLength > 1 << 20
      ? await inOwnTurn(() => validateRaw(bytes, maxBytes))
      : validateRaw(bytes, maxBytes);
  }
  let raw: Uint8Array;
  try {
    raw = await gunzipInTurn(bytes, { maxBytes });
  } catch (error) {
    return gunzipProblem(error, maxBytes);
  }
  return walk(raw, false);
}

function validateRaw(bytes: Uint8Array, maxBytes: number): string | undefined {
  if (bytes.byteLength > maxBytes) return `profile is larger than ${maxBytes} bytes`;
  return walk(bytes, true);
}

function gunzipProblem(error: unknown, maxBytes: number): string {
  if (error instanceof GzipTooLargeError) {
    return `decompressed profile is larger than ${maxBytes} bytes`;
  }
  const cause = (error as Error).cause ?? error;
  return `gzip data is corrupt or truncated: ${(cause as Error).message}`;
}

/**
 * Walks the structure. A gzip stream's CRC already proves the bytes are what the client
 * compressed, so its content gets the cheap top-level walk; raw bytes get the full nested walk.
 */
function walk(raw: Uint8Array, nested: boolean): string | undefined {
  try {
    return checkProfile(raw, nested);
  } catch (error) {
    if (error instanceof WireError) return error.message;
    throw error;
  }
}

/** Reads the wire format with one cursor: no per-field allocation on this hot path. */
class Cursor {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  /** Reads a varint (values beyond 2^53 lose precision, which no length or tag has). */
  varint(what: () => string): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new WireError(`truncated varint in ${what()} at byte ${pos}`);
      const byte = buf[pos++]!;
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) {
        this.pos = pos;
        return result;
      }
      shift *= 128;
    }
    throw new WireError(`varint longer than 10 bytes in ${what()} at byte ${pos}`);
  }

  skipScalar(wire: number, end: number, where: () => string): void {
    if (wire === 0) this.varint(where);
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw new WireError(`${where()}: invalid wire type ${wire}`);
    if (this.pos > end) throw new WireError(`${where()}: truncated field`);
  }
}

function checkProfile(buf: Uint8Array, nested: boolean): string | undefined {
  const c = new Cursor(buf);
  let sampleTypes = 0;
  let firstString: number | undefined;
  const end = buf.length;
  while (c.pos < end) {
    const fieldStart = c.pos;
    const tag = c.varint(() => "a field tag");
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    const where = () =>
      `field ${field} (${PROFILE_NAMES[field] ?? `unknown field ${field}`}) at byte ${fieldStart}`;
    if (field === 0) throw new WireError(`field number 0 at byte ${fieldStart}`);
    if (wire === 2) {
      const length = c.varint(where);
      const to = c.pos + length;
      if (to > end) throw new WireError(`${where()}: length ${length} runs past the end`);
      const kind = PROFILE_MESSAGES[field];
      if (kind && nested) checkMessage(c, to, kind, where);
      if (field === 1) sampleTypes++;
      if (field === 6 && firstString === undefined) firstString = length;
      c.pos = to;
    } else {
      if (PROFILE_MESSAGES[field] || field === 6) {
        throw new WireError(`${where()}: wire type ${wire}, expected a length-delimited field`);
      }
      c.skipScalar(wire, end, where);
    }
  }
  if (firstString !== undefined && firstString !== 0) return 'string_table[0] must be ""';
  if (sampleTypes === 0) return "profile has no sample_type (empty profile)";
  return undefined;
}

function checkMessage(c: Cursor, end: number, kind: string, where: () => string): void {
  const nested = NESTED[kind];
  while (c.pos < end) {
    const tag = c.varint(where);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 0) throw new WireError(`${where()}: ${kind} has field number 0`);
    if (wire === 2) {
      const length = c.varint(where);
      const to = c.pos + length;
      if (to > end) {
        throw new WireError(`${where()}: ${kind} field ${field} runs past its message`);
      }
      const inner = nested?.[field];
      if (inner) checkMessage(c, to, inner, where);
      c.pos = to;
    } else {
      c.skipScalar(wire, end, where);
    }
  }
}
