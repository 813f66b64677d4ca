/**
 * Cheap checks on profile bytes without decoding them: gzip magic, the protobuf wire type of
 * the first byte, and the HTML/JSON heuristics Alloy applies to scraped bodies (spec §8.5).
 *
 * @example
 * ```ts
 * import { isGzip, sniffProfile } from "./sniff.ts";
 * isGzip(new Uint8Array([0x1f, 0x8b, 8])); // true
 * sniffProfile(new TextEncoder().encode("<html><body>oops</body></html>")); // "looks like HTML, not a profile"
 * sniffProfile(new Uint8Array([0x0a, 0x04, 0x08, 0x01, 0x10, 0x02])); // undefined (plausible pprof)
 * ```
 * @module
 */

/** Whether `bytes` starts with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0b ||
    byte === 0x0c;
}

/**
 * Returns why `bytes` cannot be a pprof profile (gzipped or raw protobuf), or `undefined`
 * when it plausibly is one. Mirrors Alloy's scrape-time checks, in the same order:
 * HTML, JSON, too short, gzip magic, then the first byte's protobuf wire type (0–5).
 */
export function sniffProfile(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return "empty body";
  if (bytes.length >= 10) {
    let i = 0;
    while (i < bytes.length && isSpace(bytes[i]!)) i++;
    if (bytes[i] === 0x3c /* < */) {
      const next = bytes[i + 1];
      if (next === 0x21 /* ! */) {
        const after = bytes[i + 2];
        if (after === 0x44 || after === 0x64) return "looks like HTML, not a profile";
      } else if (
        next === 0x68 || next === 0x48 || next === 0x62 || next === 0x42 || next === 0x74 ||
        next === 0x54
      ) {
        return "looks like HTML, not a profile";
      }
    }
    if (bytes.length > 20) {
      const limit = Math.min(bytes.length, 64);
      for (let j = 0; j < limit; j++) {
        const byte = bytes[j]!;
        if (isSpace(byte)) continue;
        if (byte === 0x7b || byte === 0x5b) return "looks like JSON, not a profile";
        break;
      }
    }
  }
  if (bytes.length <= 2) return "too short to be a profile";
  if (isGzip(bytes)) return undefined;
  const wireType = bytes[0]! & 7;
  if (wireType > 5) return "neither gzip nor protobuf";
  return undefined;
}
