/**
 * The one redaction rule for everything a person or a log can see: log lines, every admin page
 * and API, live debugging, `print-config`. A secret is replaced by {@linkcode REDACTED}:
 *
 * - a config or log-field value whose key names a secret ({@linkcode isSecretKey}: `password`,
 *   `bearer_token`, `client_secret`, `*_token`, … but not `*_file`/`*_path`, which name a file);
 * - every header value in a headers map (`headers`, `http_headers`, `proxy_connect_header`)
 *   except the headers listed in {@linkcode SAFE_HEADERS};
 * - every value of a `params` or `endpoint_params` map (scrape query parameters, OAuth2 extras);
 * - in any URL or text: the password of URL user-info (`http://user:<secret>@host`, a lone
 *   user-info is taken for a token), query parameters named like secrets
 *   ({@linkcode isSecretParamName}) or configured in a `params` map, the whole query of an
 *   OAuth2 `token_url`, and `__param_<name>` labels of such parameters;
 * - as a backstop, every secret value the loaded config holds (and each file-held secret
 *   read), wherever it appears, in plain, URL-encoded and base64 forms — so a secret echoed by
 *   an error message is caught too. Values shorter than {@linkcode MIN_LITERAL_LENGTH} are
 *   left to the structural rules above (replacing them as text would garble pages).
 *
 * The registry of configured secrets is process-wide: it only grows (a reload adds, never
 * forgets: an old secret may still sit in a retry's error message).
 *
 * @example
 * ```ts
 * import { redactText } from "./redact.ts";
 * redactText("scrape http://u:pw@127.0.0.1:1/p?token=abc&seconds=14 failed");
 * // "scrape http://u:<secret>@127.0.0.1:1/p?token=<secret>&seconds=14 failed"
 * ```
 * @module
 */

/** The placeholder printed instead of a secret. */
export const REDACTED = "<secret>";

/** Shorter configured secrets are only redacted structurally, never as free text. */
export const MIN_LITERAL_LENGTH = 6;

/** Exact config key names that hold a secret (Alloy's secret arguments and synonyms). */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  "password",
  "passwd",
  "bearer_token",
  "client_secret",
  "client_assertion",
  "credential",
  "credentials",
  "key_pem",
  "token",
  "tokens",
  "access_token",
  "secret",
  "signature",
  "api_key",
  "apikey",
  "private_key",
  "access_key",
  "secret_key",
  "session_token",
  "authorization",
  "cookie",
]);

/** Key suffixes that mark a secret (`proxy_password`, `webhook_secret`, `sdk_token`, …). */
export const SECRET_SUFFIXES: readonly string[] = [
  "_password",
  "_passwd",
  "_secret",
  "_token",
  "_tokens",
  "_key_pem",
  "_api_key",
  "_apikey",
  "_private_key",
  "_signature",
  "_credential",
  "_credentials",
  "_assertion",
];

/** Header names whose values are shown; every other header value is a secret. */
export const SAFE_HEADERS: ReadonlySet<string> = new Set([
  "accept",
  "accept-encoding",
  "content-encoding",
  "content-type",
  "user-agent",
  "x-scope-orgid",
]);

/** Words that make a query parameter (or `__param_` label) a secret, e.g. `X-Amz-Signature`. */
const SECRET_PARAM_WORDS: ReadonlySet<string> = new Set([
  "token",
  "key",
  "apikey",
  "password",
  "passwd",
  "pass",
  "pwd",
  "secret",
  "signature",
  "sig",
  "auth",
  "authorization",
  "credential",
  "credentials",
  "assertion",
  "session",
  "jwt",
  "cookie",
]);

/** Whether a config key (or log field name) holds a secret. */
export function isSecretKey(key: string): boolean {
  const lower = key.toLowerCase();
  if (lower.endsWith("_file") || lower.endsWith("_path")) return false;
  return SECRET_KEYS.has(lower) || SECRET_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

/** Whether a header's value may be shown. */
export function isSafeHeader(name: string): boolean {
  return SAFE_HEADERS.has(name.toLowerCase());
}

/**
 * Whether a URL query parameter is a secret: one of its words (split at `_`, `-`, `.` and
 * camelCase) is a secret word, or it was configured in a `params` map.
 */
export function isSecretParamName(name: string): boolean {
  const lower = name.toLowerCase();
  if (configuredParams.has(lower)) return true;
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase().split(/[^a-z0-9]+/);
  return words.some((word) => SECRET_PARAM_WORDS.has(word));
}

// ---- the registry of configured secrets ----

const configuredParams = new Set<string>();
const literals = new Set<string>();
let literalPattern: RegExp | undefined;
const MAX_LITERALS = 4096;

/** Registers a secret value (and its encoded forms) to be redacted wherever it appears. */
export function registerSecret(value: string): void {
  if (value.length < MIN_LITERAL_LENGTH) return;
  const forms = new Set([value, encodeURIComponent(value), queryEscape(value)]);
  const base64 = encodeBase64(value);
  forms.add(base64).add(base64.replace(/=+$/, "")).add(
    base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
  );
  let added = false;
  for (const form of forms) {
    if (form.length < MIN_LITERAL_LENGTH || literals.has(form)) continue;
    literals.add(form);
    added = true;
  }
  if (!added) return;
  while (literals.size > MAX_LITERALS) literals.delete(literals.values().next().value!);
  const escaped = [...literals].sort((a, b) => b.length - a.length).map((l) =>
    l.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  );
  literalPattern = new RegExp(escaped.join("|"), "g");
}

/** Registers `name` as a configured query parameter: its values are redacted in URLs. */
export function registerSecretParam(name: string): void {
  if (configuredParams.has(name.toLowerCase())) return;
  configuredParams.add(name.toLowerCase());
  keyCache.clear(); // `__param_<name>` and `<name>=` are secrets now
  queryNameCache.clear();
}

/**
 * Registers every secret a config holds (see the module doc): values at secret keys, header
 * values, `params` names, `endpoint_params` values, user-info passwords and secret query
 * values of URLs, the query values of `token_url`.
 */
export function registerConfigSecrets(value: unknown, parentKey = ""): void {
  if (Array.isArray(value)) {
    for (const item of value) registerConfigSecrets(item, parentKey);
    return;
  }
  if (typeof value === "string") {
    registerUrlSecrets(value, parentKey.toLowerCase() === "token_url");
    return;
  }
  if (value === null || typeof value !== "object") return;
  const parent = parentKey.toLowerCase();
  const { username, password } = value as Record<string, unknown>;
  // Basic auth sends base64("user:password"): that form is the secret too.
  if (typeof username === "string" && typeof password === "string" && password !== "") {
    registerSecret(`${username}:${password}`);
  }
  for (const [key, child] of Object.entries(value)) {
    if (parent === "params") registerSecretParam(key);
    const secret = isSecretKey(key) || parent === "params" || parent === "endpoint_params" ||
      (isHeaderMap(parent) && !isSafeHeader(key));
    if (secret) forEachString(child, registerSecretValue);
    else registerConfigSecrets(child, key);
  }
}

function registerSecretValue(value: string): void {
  registerSecret(value);
  // `Bearer <token>`, `Basic <base64 user:pass>`: the credential alone may show up too.
  const match = /^\s*(\w+)\s+(\S+)\s*$/.exec(value);
  if (!match) return;
  registerSecret(match[2]!);
  if (match[1]!.toLowerCase() === "basic") {
    try {
      const decoded = atob(match[2]!);
      registerSecret(decoded.slice(decoded.indexOf(":") + 1));
    } catch {
      // not base64: registered as is
    }
  }
}

function registerUrlSecrets(text: string, wholeQuery: boolean): void {
  const match = URL_PARTS.exec(text.trim());
  if (!match) return;
  const userinfo = match[2];
  if (userinfo) registerSecret(safeDecode(userinfo.slice(userinfo.indexOf(":") + 1)));
  for (const pair of (match[4] ?? "").split("&")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    if (wholeQuery || isSecretParamName(safeDecode(pair.slice(0, eq)))) {
      registerSecret(safeDecode(pair.slice(eq + 1)));
    }
  }
}

/** Forgets every registered secret (tests only). */
export function resetSecretRegistryForTests(): void {
  configuredParams.clear();
  keyCache.clear();
  queryNameCache.clear();
  literals.clear();
  literalPattern = undefined;
}

// ---- text and values ----

const URL_PARTS = /^([a-z][a-z0-9+.-]*:\/\/)(?:([^/?#@\s]*)@)?([^?#\s]*)(?:\?([^#\s]*))?/i;
const USERINFO_WITH_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"'<>]*):[^\s/?#@"'<>]*@/gi;
const USERINFO_ALONE = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@:"'<>]+@/gi;
const QUERY_PAIR = /([?&;])([A-Za-z0-9_.\-[\]%]+)=([^&\s"'<>#\\]*)/g;
const TOKEN_URL_QUERY = /(token_url[^?\s]{0,200}\?)([^\s"'<>#\\]+)/gi;
const PARAM_LABEL =
  /(__param_([A-Za-z0-9_]+)(?:\\?["']|&quot;)?\s*[:=]\s*)(\\?"(?:[^"\\]|\\[^"])*?\\?"|'[^']*'|&quot;.*?&quot;|[^"'\s,}&<\\]*)/g;
const QUOTE = /^(\\?"|'|&quot;)/;

/** `text` with every secret (URL parts, labels, configured values) replaced. */
export function redactText(text: string): string {
  let out = text;
  if (out.includes("://")) {
    out = out.replace(USERINFO_WITH_PASSWORD, `$1:${REDACTED}@`)
      .replace(USERINFO_ALONE, `$1${REDACTED}@`);
  }
  if (out.includes("=")) {
    out = out.replace(
      QUERY_PAIR,
      (whole, sep: string, name: string, value: string) =>
        value !== "" && queryNameIsSecret(name) ? `${sep}${name}=${REDACTED}` : whole,
    );
    if (/token_url/i.test(out)) out = out.replace(TOKEN_URL_QUERY, `$1${REDACTED}`);
  }
  if (out.includes("__param_")) {
    out = out.replace(PARAM_LABEL, (whole, prefix: string, name: string, value: string) => {
      if (!isSecretParamName(name)) return whole;
      const quote = QUOTE.exec(value)?.[1] ?? "";
      const inner = value.slice(quote.length, value.length - quote.length);
      return inner === "" || inner === REDACTED ? whole : prefix + quote + REDACTED + quote;
    });
  }
  if (literalPattern && out.length >= MIN_LITERAL_LENGTH) {
    out = out.replace(literalPattern, REDACTED);
  }
  return out;
}

/**
 * A deep copy of `value` with every secret replaced: the key rules of the module doc, then
 * {@linkcode redactText} on every string. Errors become their redacted message.
 */
export function redactValue(value: unknown, parentKey = ""): unknown {
  if (typeof value === "string") {
    const redacted = redactText(value);
    return parentKey.length === 9 && parentKey.toLowerCase() === "token_url"
      ? redacted.replace(/\?.*$/, (query) => query.length > 1 ? `?${REDACTED}` : query)
      : redacted;
  }
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, parentKey));
  if (value instanceof Error) return redactText(value.message);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    if (ArrayBuffer.isView(value)) return value;
    // A class instance (URL, Date, a label set…) is shown through its JSON or text form.
    const { toJSON, toString } = value as { toJSON?: () => unknown; toString: () => string };
    if (typeof toJSON === "function") return redactValue(toJSON.call(value), parentKey);
    if (toString !== Object.prototype.toString) return redactText(toString.call(value));
    return value;
  }
  const all = parentKeyKind(parentKey);
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    const secret = all === ALL_SECRET || keyIsSecret(key) ||
      (all === HEADERS && !isSafeHeader(key));
    out[key] = secret && child !== null && child !== undefined && child !== ""
      ? REDACTED
      : redactValue(child, key);
  }
  return out;
}

// Key rules are asked once per key name: status pages repeat the same label names many times.
const PLAIN = 0, ALL_SECRET = 1, HEADERS = 2;
const keyCache = new Map<string, boolean>();
const parentCache = new Map<string, number>();
const KEY_CACHE_MAX = 10_000;

/** A secret key, or the `__param_<name>` label of a secret parameter. */
function keyIsSecret(key: string): boolean {
  let secret = keyCache.get(key);
  if (secret === undefined) {
    secret = isSecretKey(key) ||
      (key.startsWith("__param_") && isSecretParamName(key.slice("__param_".length)));
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    keyCache.set(key, secret);
  }
  return secret;
}

const queryNameCache = new Map<string, boolean>();

/** {@linkcode isSecretParamName} of a name as written in a query (encoded). */
function queryNameIsSecret(name: string): boolean {
  let secret = queryNameCache.get(name);
  if (secret === undefined) {
    secret = isSecretParamName(safeDecode(name));
    if (queryNameCache.size >= KEY_CACHE_MAX) queryNameCache.clear();
    queryNameCache.set(name, secret);
  }
  return secret;
}

/** Whether every value under `key` is a secret (`params`), or every unsafe header's. */
function parentKeyKind(key: string): number {
  let kind = parentCache.get(key);
  if (kind === undefined) {
    const lower = key.toLowerCase();
    kind = lower === "params" || lower === "endpoint_params"
      ? ALL_SECRET
      : isHeaderMap(lower)
      ? HEADERS
      : PLAIN;
    if (parentCache.size >= KEY_CACHE_MAX) parentCache.clear();
    parentCache.set(key, kind);
  }
  return kind;
}

/** A label set (or any string map) as shown: `__param_*` of secret parameters redacted. */
export function redactLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return redactValue(labels) as Record<string, string>;
}

function isHeaderMap(key: string): boolean {
  return key.endsWith("headers") || key.endsWith("header");
}

function forEachString(value: unknown, visit: (text: string) => void): void {
  if (typeof value === "string") visit(value);
  else if (Array.isArray(value)) { for (const item of value) forEachString(item, visit); }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}

/** Go's `url.QueryEscape` (space as `+`), the form scrape URLs carry. */
function queryEscape(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  ).replace(/%20/g, "+");
}

function encodeBase64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
