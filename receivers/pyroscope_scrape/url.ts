/**
 * Scrape URL building as Alloy does it (docs/spec/pyroscope-wire.md §8.3 step 6): Go `url.JoinPath` cleaning, host
 * with explicit port, and a query encoded like Go's `url.Values.Encode` (sorted keys).
 *
 * @example
 * ```ts
 * import { buildScrapeUrl } from "./url.ts";
 * buildScrapeUrl("http", "localhost:9090", "", "/debug/pprof/profile", { seconds: ["14"] });
 * // "http://localhost:9090/debug/pprof/profile?seconds=14"
 * ```
 * @module
 */

/** Go's `path.Clean` for slash-separated paths. */
export function cleanPath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return "/" + joined;
  return joined === "" ? "." : joined;
}

/**
 * `url.JoinPath(prefix, path)` as seen in a URL with a host: always absolute, `.`/`..` and
 * duplicate slashes removed, a trailing slash on the last element kept.
 */
export function joinUrlPath(prefix: string, path: string): string {
  const elems = [prefix, path];
  // Go treats a relative base as "/"-rooted and strips `..` above the root.
  const first = prefix.startsWith("/") ? prefix : "/" + prefix;
  let p = cleanPath([first, ...elems.slice(1)].filter((e) => e !== "").join("/"));
  if (path.endsWith("/") && !p.endsWith("/")) p += "/";
  return p;
}

/** Go `url.QueryEscape`: only `A-Za-z0-9-_.~` stay literal; space becomes `+`. */
export function goQueryEscape(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  ).replace(/%20/g, "+");
}

/** Go `url.Values.Encode`: keys sorted by byte order, values in insertion order. */
export function encodeQuery(params: Readonly<Record<string, readonly string[]>>): string {
  const keys = Object.keys(params).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  for (const key of keys) {
    for (const value of params[key]!) parts.push(`${goQueryEscape(key)}=${goQueryEscape(value)}`);
  }
  return parts.join("&");
}

function escapePath(path: string): string {
  // Go's EscapedPath keeps sub-delims and `:@/`; escape the rest like encodeURI does.
  return encodeURI(path).replace(/[?#]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The full scrape URL. */
export function buildScrapeUrl(
  scheme: string,
  address: string,
  prefix: string,
  path: string,
  params: Readonly<Record<string, readonly string[]>>,
): string {
  const query = encodeQuery(params);
  return `${scheme}://${address}${escapePath(joinUrlPath(prefix, path))}${
    query ? "?" + query : ""
  }`;
}

/**
 * Go `net.SplitHostPort`-like check for whether `address` already carries a port: returns
 * `"port"` when it does, `"addable"` when appending `:port` would make it valid, and
 * `"invalid"` otherwise (e.g. a bare IPv6 address without brackets).
 */
export function addressPort(address: string): "port" | "addable" | "invalid" {
  const split = (s: string): boolean => {
    if (s.startsWith("[")) {
      const end = s.indexOf("]");
      if (end < 0) return false;
      return s[end + 1] === ":" && !s.slice(end + 2).includes(":");
    }
    const colon = s.lastIndexOf(":");
    if (colon < 0) return false;
    return !s.slice(0, colon).includes(":");
  };
  if (split(address)) return "port";
  return split(address + ":1234") ? "addable" : "invalid";
}
