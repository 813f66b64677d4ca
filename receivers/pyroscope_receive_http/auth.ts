/**
 * Inbound authentication (beyond Alloy): HTTP Basic users and Bearer tokens. Comparisons run
 * in time independent of where the strings differ, so a token cannot be guessed byte by byte.
 *
 * @module
 */

/** Accepted credentials, as configured. */
export interface AuthSettings {
  readonly basic_auth: readonly { readonly username: string; readonly password: string }[];
  readonly bearer_tokens: readonly string[];
}

const encoder = new TextEncoder();

function sameBytes(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ (y[i % Math.max(y.length, 1)] ?? 0);
  return diff === 0;
}

/** Checks `Authorization` headers against configured users and tokens. */
export class Authenticator {
  readonly #settings: AuthSettings;
  /** The `WWW-Authenticate` value sent with a 401. */
  readonly challenge: string;

  constructor(settings: AuthSettings) {
    this.#settings = settings;
    const schemes: string[] = [];
    if (settings.basic_auth.length > 0) schemes.push('Basic realm="profcol", charset="UTF-8"');
    if (settings.bearer_tokens.length > 0) schemes.push('Bearer realm="profcol"');
    this.challenge = schemes.join(", ");
  }

  /** Whether any credential is configured (otherwise every request passes). */
  get enabled(): boolean {
    return this.#settings.basic_auth.length > 0 || this.#settings.bearer_tokens.length > 0;
  }

  /** `undefined` when the request may pass, else why not (never echoing the credential). */
  check(authorization: string | null): string | undefined {
    if (!this.enabled) return undefined;
    if (authorization === null) return "missing Authorization header";
    const space = authorization.indexOf(" ");
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space < 0 ? "" : authorization.slice(space + 1).trim();
    if (scheme === "bearer" && this.#settings.bearer_tokens.length > 0) {
      let ok = false;
      for (const token of this.#settings.bearer_tokens) ok = sameBytes(value, token) || ok;
      return ok ? undefined : "invalid bearer token";
    }
    if (scheme === "basic" && this.#settings.basic_auth.length > 0) {
      let decoded: string;
      try {
        decoded = new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
      } catch {
        return "malformed basic credentials";
      }
      const colon = decoded.indexOf(":");
      if (colon < 0) return "malformed basic credentials";
      const user = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      let ok = false;
      for (const entry of this.#settings.basic_auth) {
        ok = (sameBytes(user, entry.username) && sameBytes(password, entry.password)) || ok;
      }
      return ok ? undefined : "invalid username or password";
    }
    return `unsupported Authorization scheme ${JSON.stringify(scheme)}`;
  }
}
