/**
 * Secret redaction by key name, for `print-config`, the admin page and logs. A value is
 * replaced by `<secret>` when its key (case-insensitive) is one of {@linkcode SECRET_KEYS},
 * or ends with one of {@linkcode SECRET_SUFFIXES} — except keys ending in `_file` or `_path`,
 * which name a file holding the secret, not the secret. Under a `headers` map, the values of
 * credential-carrying headers ({@linkcode SECRET_HEADERS}) are redacted too.
 *
 * @module
 */

/** Exact key names (Alloy's secret arguments and common synonyms). */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  "password",
  "bearer_token",
  "client_secret",
  "credentials",
  "key_pem",
  "token",
  "tokens",
  "secret",
  "api_key",
  "apikey",
  "private_key",
  "access_key",
  "secret_key",
  "session_token",
  "authorization",
]);

/** Key suffixes that mark a secret (`proxy_password`, `webhook_secret`, `sdk_token`, …). */
export const SECRET_SUFFIXES: readonly string[] = [
  "_password",
  "_secret",
  "_token",
  "_tokens",
  "_key_pem",
  "_api_key",
  "_private_key",
];

/** Header names whose values are credentials. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "x-api-key",
  "x-auth-token",
]);

/** The placeholder printed instead of a secret. */
export const REDACTED = "<secret>";

/** Whether a config key holds a secret. */
export function isSecretKey(key: string): boolean {
  const lower = key.toLowerCase();
  if (lower.endsWith("_file") || lower.endsWith("_path")) return false;
  return SECRET_KEYS.has(lower) || SECRET_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

/** A deep copy of `value` with every secret replaced by {@linkcode REDACTED}. */
export function redactSecrets(value: unknown, parentKey = ""): unknown {
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, parentKey));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  const inHeaders = parentKey.toLowerCase().endsWith("headers");
  for (const [key, child] of Object.entries(value)) {
    const secret = isSecretKey(key) || (inHeaders && SECRET_HEADERS.has(key.toLowerCase()));
    out[key] = secret && child !== null && child !== undefined && child !== ""
      ? REDACTED
      : redactSecrets(child, key);
  }
  return out;
}
