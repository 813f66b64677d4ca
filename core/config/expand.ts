/**
 * `${env:VAR}` and `${file:PATH}` expansion in config values, before validation.
 *
 * - `${env:VAR}` is the environment variable; a missing one is an error unless a default is
 *   given with `${env:VAR:-default}` (the OpenTelemetry Collector's syntax).
 * - `${file:PATH}` is the file's content with one trailing newline removed (secret files
 *   usually end in one). A relative PATH is relative to the config file's directory, so a
 *   config and its secrets can move together.
 * - `$${...}` is a literal `${...}`.
 * - When a value is exactly one `${env:...}` reference and the variable holds a number or
 *   `true`/`false`, the value takes that type, so `listen_port: ${env:PORT}` works; validation
 *   falls back to the text where a setting wants a string (a numeric password stays text).
 *
 * Keys are never expanded.
 *
 * @module
 */

/** Where expansion reads from. */
export interface ExpandOptions {
  env(name: string): string | undefined;
  readFile(path: string): string;
  /** Directory that relative `${file:...}` paths start from. */
  baseDir: string;
}

const REFERENCE = /\$(\$?)\{([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Expands every string in `value`; reports problems through `report(path, message)`. */
export function expandValue(
  value: unknown,
  path: (string | number)[],
  options: ExpandOptions,
  report: (path: (string | number)[], message: string) => void,
  coerced?: (path: (string | number)[], text: string) => void,
): unknown {
  if (typeof value === "string") {
    const out = expandString(value, path, options, report);
    if (typeof out !== "string") coerced?.(path, out.text);
    return typeof out === "string" ? out : out.value;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) =>
      expandValue(item, [...path, index], options, report, coerced)
    );
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      out[key] = expandValue(child, [...path, key], options, report, coerced);
    }
    return out;
  }
  return value;
}

function expandString(
  text: string,
  path: (string | number)[],
  options: ExpandOptions,
  report: (path: (string | number)[], message: string) => void,
): string | { value: number | boolean; text: string } {
  if (!text.includes("${")) return text;
  let whole = false;
  let onlyEnv = false;
  const result = text.replace(REFERENCE, (match, escape: string, body: string, offset: number) => {
    if (escape) return match.slice(1);
    if (offset === 0 && match.length === text.length) whole = true;
    const colon = body.indexOf(":");
    const scheme = colon < 0 ? "" : body.slice(0, colon);
    const rest = colon < 0 ? body : body.slice(colon + 1);
    if (scheme === "env") {
      onlyEnv = true;
      const dash = rest.indexOf(":-");
      const name = dash < 0 ? rest : rest.slice(0, dash);
      if (!ENV_NAME.test(name)) {
        report(path, `${match}: "${name}" is not a valid environment variable name`);
        return "";
      }
      const found = options.env(name);
      if (found !== undefined) return found;
      if (dash >= 0) return rest.slice(dash + 2);
      report(path, `environment variable ${name} is not set (referenced as ${match})`);
      return "";
    }
    if (scheme === "file") {
      if (rest === "") {
        report(path, `${match}: the file path is empty`);
        return "";
      }
      const file = rest.startsWith("/") ? rest : `${options.baseDir}/${rest}`;
      try {
        return options.readFile(file).replace(/\r?\n$/, "");
      } catch (error) {
        const reason = error instanceof Deno.errors.NotFound
          ? "file not found"
          : (error as Error).message;
        report(path, `cannot read ${file} (referenced as ${match}): ${reason}`);
        return "";
      }
    }
    report(
      path,
      `${match}: unknown reference; use \${env:NAME}, \${file:PATH}, or $\${...} for a literal`,
    );
    return "";
  });
  if (whole && onlyEnv) {
    if (/^-?\d+(\.\d+)?$/.test(result)) return { value: Number(result), text: result };
    if (result === "true" || result === "false") return { value: result === "true", text: result };
  }
  return result;
}
