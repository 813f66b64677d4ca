/**
 * Reads config files: YAML parsed with the line of every key kept for error messages,
 * `${env:VAR}` / `${file:PATH}` expanded in values, then several files deep-merged in order
 * (maps merge key by key, lists and scalars of a later file replace earlier ones — the
 * OpenTelemetry Collector's rule for repeated `--config`).
 *
 * @module
 */

import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { ConfigError, type ConfigIssue, type SourceLocation } from "./errors.ts";
import { type ExpandOptions, expandValue } from "./expand.ts";

/** A plain YAML value after expansion. */
export type ConfigValue = unknown;

/** Config text merged from one or more files, with the source of every path. */
export interface ConfigSource {
  /** The merged, expanded document (a plain object). */
  readonly value: Record<string, unknown>;
  /** The files in merge order. */
  readonly files: readonly string[];
  /** Locates a path; falls back to the nearest ancestor that has a location. */
  locate(path: readonly (string | number)[]): SourceLocation | undefined;
  /** The original text of a value that `${env:...}` expansion turned into a number/boolean. */
  coercedText(path: readonly (string | number)[]): string | undefined;
  /**
   * `${env:...}`/`${file:...}` references that could not be expanded (their text became
   * empty). Validation reports them together with every other problem, so one unset variable
   * does not hide the rest; a config with any of them never runs.
   */
  readonly expansionIssues: readonly ConfigIssue[];
}

/** Key for the position map. `\0` cannot appear in YAML keys we accept. */
function pathKey(path: readonly (string | number)[]): string {
  return path.map(String).join("\0");
}

/** Options of {@linkcode loadConfigFiles} and {@linkcode parseConfigText}. */
export interface LoadOptions extends Partial<ExpandOptions> {
  /** Reads a file (default `Deno.readTextFileSync`); injectable for tests. */
  readFile?: (path: string) => string;
}

/** One parsed file: its value and the location of each path it defines. */
interface ParsedFile {
  value: unknown;
  positions: Map<string, SourceLocation>;
  /** Paths whose `${env:...}` text was turned into a number or boolean, with the text. */
  coerced: Map<string, string>;
  /** References that could not be expanded (see {@linkcode ConfigSource.expansionIssues}). */
  expansionIssues: ConfigIssue[];
}

/**
 * Parses one YAML text. `file` names it in errors and anchors relative `${file:...}` paths.
 * Throws {@linkcode ConfigError} on YAML syntax errors or duplicate keys; references that cannot
 * be expanded (a missing variable or file) are returned in `expansionIssues`.
 */
export function parseConfigText(text: string, file: string, options: LoadOptions = {}): ParsedFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    const unquoted = unquotedReferences(text, file);
    if (unquoted.length > 0) throw new ConfigError(unquoted);
    // One syntax error tends to cascade; the first few are the useful ones.
    const hint = looksLikeAlloy(text, file) ? alloyHint(file) : "";
    throw new ConfigError(
      doc.errors.slice(0, 3).map((error) => ({
        path: [],
        severity: "error",
        message: `YAML syntax error: ${error.message.split("\n")[0]}${hint}`,
        // prettyErrors is off, so the position comes from the offset.
        location: { file, ...lineCounter.linePos(error.pos[0]) },
      })),
    );
  }
  const positions = new Map<string, SourceLocation>();
  const at = (node: Node | null | undefined): SourceLocation | undefined => {
    if (!node?.range) return undefined;
    const pos = lineCounter.linePos(node.range[0]);
    return { file, line: pos.line, col: pos.col };
  };
  const duplicates: ConfigIssue[] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const child = [...path, key];
        const location = at(pair.key as Node);
        if (seen.has(key)) {
          // A silent "last one wins" would hide half of a config.
          duplicates.push({
            path: child,
            severity: "error",
            message: `Duplicate key "${key}"`,
            location,
          });
        }
        seen.add(key);
        if (location) positions.set(pathKey(child), location);
        walk(pair.value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const child = [...path, index];
        const location = at(item as Node);
        if (location) positions.set(pathKey(child), location);
        walk(item, child);
      });
    }
  };
  walk(doc.contents, []);
  if (duplicates.length > 0) throw new ConfigError(duplicates);
  const raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const issues: ConfigIssue[] = [];
  const coerced = new Map<string, string>();
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : ".";
  const value = expandValue(raw, [], {
    env: options.env ?? ((name) => Deno.env.get(name)),
    readFile: options.readFile ?? ((path) => Deno.readTextFileSync(path)),
    baseDir: options.baseDir ?? dir,
  }, (path, message) => {
    issues.push({ path, message, severity: "error", location: positions.get(pathKey(path)) });
  }, (path, text) => coerced.set(pathKey(path), text));
  return { value, positions, coerced, expansionIssues: issues };
}

/**
 * `{ url: ${env:URL} }` is not valid YAML: in a flow map or list, `{` starts a map. When a text
 * does not parse, quote each `${...}` that starts a value and parse again; if that works, the
 * references inside `{ }` or `[ ]` are the problem, and each one gets one error saying so.
 */
function unquotedReferences(text: string, file: string): ConfigIssue[] {
  const starts: { scalar: string; line: number }[] = [];
  let quoted = "";
  let last = 0;
  for (const match of text.matchAll(/(^|[:,\[{-])([ \t]*)(\$\{[^}\n]*\}[^,\]}\n]*)/gm)) {
    const scalar = match[3]!.replace(/\s+#.*$/, "").trimEnd();
    if (scalar.includes('"') || scalar.includes("\\")) continue;
    const offset = match.index! + match[1]!.length + match[2]!.length;
    quoted += text.slice(last, offset) + JSON.stringify(scalar);
    last = offset + scalar.length;
    starts.push({ scalar, line: text.slice(0, offset).split("\n").length });
  }
  if (starts.length === 0) return [];
  quoted += text.slice(last);
  const doc = parseDocument(quoted, { uniqueKeys: false });
  if (doc.errors.length > 0) return [];
  const issues: ConfigIssue[] = [];
  let index = 0;
  const walk = (node: unknown, path: (string | number)[], flow: boolean) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value, [...path, key], node.flow === true);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i], node.flow === true));
    } else if (isScalar(node) && flow && typeof node.value === "string") {
      // Scalars come in text order, like `starts`.
      while (index < starts.length && starts[index]!.scalar !== node.value) index++;
      const start = starts[index];
      if (start === undefined) return;
      issues.push({
        path,
        severity: "error",
        message: `${start.scalar} inside { } or [ ] must be quoted: "${start.scalar}"`,
        location: { file, line: start.line },
      });
      index++;
    }
  };
  walk(doc.contents, [], false);
  return issues;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Deep-merges `override` into `base`: maps merge, everything else is replaced. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = deepMerge(base[key], value);
  return out;
}

/** Whether a config file is Grafana Alloy's syntax (River) rather than YAML. */
function looksLikeAlloy(text: string, file: string): boolean {
  return /\.(alloy|river)$/.test(file) || /^\s*[A-Za-z_][\w.]*\s+"[^"]*"\s*\{/m.test(text);
}

function alloyHint(file: string): string {
  return `; this looks like a Grafana Alloy file: convert it with ` +
    `\`profcol convert --from=alloy ${file}\` (see docs/coming-from-alloy.md)`;
}

/** Builds a {@linkcode ConfigSource} from already parsed files (merged in order). */
export function mergeParsed(files: readonly string[], parsed: readonly ParsedFile[]): ConfigSource {
  let value: unknown = {};
  const positions = new Map<string, SourceLocation>();
  const coerced = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  const expansionIssues: ConfigIssue[] = [];
  parsed.forEach((one, index) => {
    const file = files[index]!;
    if (one.value !== null && one.value !== undefined && !isPlainObject(one.value)) {
      issues.push({
        path: [],
        severity: "error",
        message: `${file}: the top level must be a map of sections (receivers, processors, ` +
          `exporters, service), got ${Array.isArray(one.value) ? "a list" : typeof one.value}` +
          (typeof one.value === "string" && looksLikeAlloy(one.value, file) ? alloyHint(file) : ""),
      });
      return;
    }
    value = deepMerge(value, one.value ?? {});
    for (const [key, location] of one.positions) positions.set(key, location);
    for (const [key, text] of one.coerced) coerced.set(key, text);
    expansionIssues.push(...one.expansionIssues);
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    value: value as Record<string, unknown>,
    files,
    expansionIssues,
    locate(path) {
      for (let length = path.length; length > 0; length--) {
        const location = positions.get(pathKey(path.slice(0, length)));
        if (location) return location;
      }
      return undefined;
    },
    coercedText: (path) => coerced.get(pathKey(path)),
  };
}

/**
 * Reads, expands and merges config files in order. Throws {@linkcode ConfigError} naming the
 * file when one cannot be read or parsed.
 */
export function loadConfigFiles(files: readonly string[], options: LoadOptions = {}): ConfigSource {
  if (files.length === 0) {
    throw new ConfigError([{ path: [], severity: "error", message: "no config file given" }]);
  }
  const readFile = options.readFile ?? ((path: string) => Deno.readTextFileSync(path));
  const parsed: ParsedFile[] = [];
  const issues: ConfigIssue[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFile(file);
    } catch (error) {
      const reason = error instanceof Deno.errors.NotFound
        ? "file not found"
        : (error as Error).message;
      issues.push({ path: [], severity: "error", message: `cannot read ${file}: ${reason}` });
      continue;
    }
    try {
      parsed.push(parseConfigText(text, file, options));
    } catch (error) {
      if (error instanceof ConfigError) issues.push(...error.issues);
      else throw error;
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return mergeParsed(files, parsed);
}
