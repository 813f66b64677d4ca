/**
 * A secret read from a file (`bearer_token_file`, `password_file`, `credentials_file`,
 * `client_secret_file`, TLS files), read again when the file changes. The file's mtime and
 * size are checked at most once per `recheckMs`, so a request costs no file I/O while a
 * rotated secret takes effect within a second.
 *
 * @example
 * ```ts
 * import { FileSecret } from "./file_secret.ts";
 * const path = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(path, "token-1\n");
 * const secret = new FileSecret("bearer_token_file", path, 0);
 * secret.value(); // "token-1"
 * ```
 * @module
 */

import { registerSecret } from "../redact.ts";

/** See the module doc. */
export class FileSecret {
  readonly #field: string;
  readonly #path: string;
  readonly #recheckMs: number;
  readonly #trim: boolean;
  #value = "";
  #stamp = "";
  #checkedAt = -Infinity;
  /** Bumped whenever the content changed; lets callers rebuild what depends on it. */
  version = 0;

  constructor(field: string, path: string, recheckMs = 1000, trim = true) {
    this.#field = field;
    this.#path = path;
    this.#recheckMs = recheckMs;
    this.#trim = trim;
  }

  /** The current content. Throws an Error naming the field and path when it cannot be read. */
  value(now = performance.now()): string {
    if (now - this.#checkedAt < this.#recheckMs) return this.#value;
    this.#checkedAt = now;
    let stamp: string;
    try {
      const info = Deno.statSync(this.#path);
      stamp = `${info.mtime?.getTime()}:${info.size}:${info.ino}`;
    } catch (error) {
      throw new Error(`${this.#field}: cannot read ${this.#path}: ${(error as Error).message}`);
    }
    if (stamp !== this.#stamp) {
      let text: string;
      try {
        text = Deno.readTextFileSync(this.#path);
      } catch (error) {
        throw new Error(`${this.#field}: cannot read ${this.#path}: ${(error as Error).message}`);
      }
      this.#value = this.#trim ? text.trim() : text;
      registerSecret(this.#value); // never shown, wherever it might be echoed
      this.#stamp = stamp;
      this.version++;
    }
    return this.#value;
  }
}
