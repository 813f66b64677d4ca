/**
 * Which proxy a request goes through: `proxy_url` unless the host matches `no_proxy`, or, with
 * `proxy_from_environment`, `HTTP_PROXY`/`HTTPS_PROXY` by scheme unless the host matches
 * `NO_PROXY` (upper or lower case, as Go's `httpproxy` reads them).
 *
 * `no_proxy` follows Go's rules: comma-separated entries; `*` matches every host; an IP
 * address or CIDR matches IP hosts; `example.com` matches it and its subdomains;
 * `.example.com` matches subdomains only; an entry may carry `:port`.
 *
 * @example
 * ```ts
 * import { ProxySelector } from "./proxy.ts";
 * const select = new ProxySelector({ proxyUrl: "http://proxy:3128", noProxy: "internal.example,10.0.0.0/8" });
 * select.proxyFor(new URL("http://api.internal.example/x")); // undefined
 * select.proxyFor(new URL("https://pyroscope.grafana.net")); // "http://proxy:3128"
 * ```
 * @module
 */

/** Options of {@linkcode ProxySelector}. */
export interface ProxySelectorOptions {
  readonly proxyUrl?: string;
  readonly noProxy?: string;
  readonly fromEnvironment?: boolean;
  /** Environment lookup; injectable for tests. */
  readonly env?: (name: string) => string | undefined;
}

/** One `no_proxy` entry. */
export interface NoProxyRule {
  match(host: string, port: string): boolean;
}

/** See the module doc. */
export class ProxySelector {
  readonly #http: string | undefined;
  readonly #https: string | undefined;
  readonly #rules: NoProxyRule[];
  /** Go's httpproxy (environment or `no_proxy`) never proxies loopback; `http.ProxyURL` does. */
  readonly #bypassLoopback: boolean;

  constructor(options: ProxySelectorOptions) {
    const env = options.env ?? ((name: string) => Deno.env.get(name));
    const read = (name: string) => env(name) || env(name.toLowerCase()) || undefined;
    if (options.fromEnvironment) {
      this.#http = read("HTTP_PROXY");
      this.#https = read("HTTPS_PROXY");
      this.#rules = parseNoProxy(read("NO_PROXY") ?? "");
      this.#bypassLoopback = true;
    } else {
      this.#http = options.proxyUrl;
      this.#https = options.proxyUrl;
      this.#rules = parseNoProxy(options.noProxy ?? "");
      this.#bypassLoopback = options.noProxy !== undefined;
    }
  }

  /** Every proxy URL this selector may return (a client is prepared for each). */
  get proxies(): string[] {
    return [...new Set([this.#http, this.#https].filter((p): p is string => p !== undefined))];
  }

  /** The proxy for `url`, or `undefined` to connect directly. */
  proxyFor(url: URL): string | undefined {
    const proxy = url.protocol === "https:" ? this.#https : this.#http;
    if (proxy === undefined) return undefined;
    const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    if (this.#bypassLoopback && isLoopback(host)) return undefined;
    return this.#rules.some((rule) => rule.match(host, port)) ? undefined : proxy;
  }
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/** Parses a `no_proxy` list into matchers. */
export function parseNoProxy(list: string): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const raw of list.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") {
      rules.push({ match: () => true });
      continue;
    }
    const cidr = parseCidr(entry);
    if (cidr) {
      rules.push({ match: (host) => cidr(host) });
      continue;
    }
    let host = entry;
    let port = "";
    const portMatch = /^(.*):(\d+)$/.exec(entry);
    if (portMatch && !entry.includes("]") && (portMatch[1]!.match(/:/g) ?? []).length === 0) {
      host = portMatch[1]!;
      port = portMatch[2]!;
    } else if (/^\[(.*)\]:(\d+)$/.test(entry)) {
      const m = /^\[(.*)\]:(\d+)$/.exec(entry)!;
      host = m[1]!;
      port = m[2]!;
    }
    host = host.replace(/^\[|\]$/g, "");
    const portOk = (p: string) => port === "" || port === p;
    if (host.startsWith(".")) {
      const suffix = host;
      rules.push({ match: (h, p) => h.endsWith(suffix) && portOk(p) });
    } else if (host.startsWith("*.")) {
      const suffix = host.slice(1);
      rules.push({ match: (h, p) => h.endsWith(suffix) && portOk(p) });
    } else {
      rules.push({ match: (h, p) => (h === host || h.endsWith(`.${host}`)) && portOk(p) });
    }
  }
  return rules;
}

/** A CIDR or a plain IP as a host matcher; `undefined` when `entry` is neither. */
function parseCidr(entry: string): ((host: string) => boolean) | undefined {
  const [address, bitsText] = entry.split("/");
  const bytes = ipBytes(address!);
  if (!bytes) return undefined;
  const bits = bitsText === undefined ? bytes.length * 8 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > bytes.length * 8) return undefined;
  return (host) => {
    const other = ipBytes(host);
    if (!other || other.length !== bytes.length) return false;
    for (let bit = 0; bit < bits; bit++) {
      const mask = 0x80 >> (bit % 8);
      if ((other[bit >> 3]! & mask) !== (bytes[bit >> 3]! & mask)) return false;
    }
    return true;
  };
}

function ipBytes(text: string): number[] | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    return parts.every((p) => p <= 255) ? parts : undefined;
  }
  if (!text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const group = (part: string) => (part === "" ? [] : part.split(":"));
  const head = group(halves[0]!);
  const tail = halves.length === 2 ? group(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array(missing).fill("0"), ...tail];
  const out: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
    const value = parseInt(g, 16);
    out.push(value >> 8, value & 0xff);
  }
  return out;
}
