/**
 * Cheap checks on profile bytes without decoding them: gzip magic, the protobuf wire type of
 * the first byte, and the HTML/JSON heuristics Alloy applies to scraped bodies (docs/spec/pyroscope-wire.md §8.5).
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

/** How much of a body {@linkcode describeBody} quotes. */
const QUOTED_CHARS = 80;
/** How far into a body {@linkcode describeBody} looks for an HTML `<title>`. */
const TITLE_SEARCH_BYTES = 4096;

/** `text` on one line, cut to {@linkcode QUOTED_CHARS}, in quotes; `…` when there is more. */
function quoted(text: string, more = false): string {
  const chars = [...text.replace(/\s+/g, " ").trim()];
  const cut = chars.length > QUOTED_CHARS;
  return JSON.stringify(chars.slice(0, QUOTED_CHARS).join("") + (cut || more ? "…" : ""));
}

/**
 * What a body that is not a profile looks like, for an error message: `an HTML page:
 * "<title>Login</title>…"`, `JSON: "{"error": …"`, `text: "…"`, or `12 bytes of binary`.
 * The quote is the body's own text: callers redact it before showing it.
 */
export function describeBody(bytes: Uint8Array): string {
  if (bytes.length === 0) return "an empty body";
  const head = new TextDecoder("utf-8", { fatal: false })
    .decode(bytes.subarray(0, TITLE_SEARCH_BYTES));
  const start = head.trimStart();
  const problem = sniffProfile(bytes);
  if (problem?.includes("HTML") || /^<(!doctype|html|head|body|title)\b/i.test(start)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(head);
    const shown = title ? `<title>${title[1]!.replace(/\s+/g, " ").trim()}</title>` : start;
    return `an HTML page: ${quoted(shown, title !== null)}`;
  }
  if (problem?.includes("JSON") || /^[{[]/.test(start)) return `JSON: ${quoted(start)}`;
  if (isGzip(bytes)) return `${bytes.length} bytes of gzip`;
  // Printable text (tabs and line breaks allowed) is quoted; anything else is binary.
  const printable = /^[\t\n\r\x20-\x7e\u00a0-\uffff]*$/.test(head) && !head.includes("\ufffd");
  return printable ? `text: ${quoted(start)}` : `${bytes.length} bytes of binary`;
}
