/**
 * Glob matching for `file_sd_configs.files` as Prometheus allows it: `*`, `?` and `[...]`
 * (with `!`/`^` negation and ranges) in the last path segment only.
 *
 * @module
 */

/** Splits a path into its directory and last segment. */
export function splitGlob(pattern: string): { dir: string; base: string } {
  const slash = pattern.lastIndexOf("/");
  if (slash < 0) return { dir: ".", base: pattern };
  return { dir: slash === 0 ? "/" : pattern.slice(0, slash), base: pattern.slice(slash + 1) };
}

/** Whether `text` has glob metacharacters. */
export function hasGlobMeta(text: string): boolean {
  return /[*?[]/.test(text);
}

/** Compiles one segment pattern to a RegExp; throws on an unterminated `[`. */
export function globToRegExp(pattern: string): RegExp {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) throw new Error(`unterminated [ in glob ${JSON.stringify(pattern)}`);
      let body = pattern.slice(i + 1, end);
      let negate = false;
      if (body.startsWith("!") || body.startsWith("^")) {
        negate = true;
        body = body.slice(1);
      }
      re += `[${negate ? "^" : ""}${body.replace(/[\\\]]/g, "\\$&")}]`;
      i = end;
    } else if (c === "\\" && i + 1 < pattern.length) {
      re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(re + "$");
}

/** Files matching `pattern` (sorted); a pattern without metacharacters is returned as is. */
export async function expandGlob(pattern: string): Promise<string[]> {
  if (!hasGlobMeta(pattern)) return [pattern];
  const { dir, base } = splitGlob(pattern);
  if (hasGlobMeta(dir)) {
    throw new Error(
      `glob ${JSON.stringify(pattern)}: only the last path segment may contain *, ? or [`,
    );
  }
  const re = globToRegExp(base);
  const out: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isDirectory && re.test(entry.name)) {
        out.push(dir === "/" ? `/${entry.name}` : `${dir}/${entry.name}`);
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return out.sort();
}
