/**
 * Component conformance of the docs, for every factory in `components.ts` and its folder
 * (`receivers|processors|exporters/<type with . → _>/`):
 *
 * - the README documents every key of the config schema (walked through objects, arrays of
 *   objects, optionals, defaults, pipes and unions; record-valued keys are documented as the
 *   key itself), in a code span, here or in a README it links to (`../../core/http/README.md`);
 * - each key with a default shows it on a line that documents the key, in the README's notation
 *   (`15s`, `64MiB`, `"/debug/pprof/profile"`, `[]`, …): some code span or table cell of that
 *   line, read as YAML and parsed by the key's schema, equals the parsed default;
 * - `testdata/valid.yaml` validates and `testdata/typo.yaml` fails with an error naming the key;
 * - every ```yaml block of the README validates: a whole config (it has `service`) through the
 *   project's config validation, otherwise each fragment of this component type (under a section,
 *   or the block itself) through the component's schema.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { builtinFactories } from "../components.ts";
import type { Factory } from "../core/component.ts";
import { parseComponentId } from "../core/component.ts";
import {
  ConfigError,
  formatIssue,
  loadAndValidateAsync,
  parseConfigText,
  SECTIONS,
  validateWithSchema,
} from "../core/config/mod.ts";
import { Registry } from "../core/registry.ts";
import { preloadModules } from "../processors/module/mod.ts";
import { assert, assertEquals } from "./support/assert.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const registry = new Registry(builtinFactories);

/** Keys whose default cannot be written in YAML, with what the README says instead. */
const DEFAULT_IN_WORDS: Record<string, Record<string, string>> = {
  // An absolute path inside the installation, resolved at run time.
  module: { path: "the built-in pass-through module" },
};

// deno-lint-ignore no-explicit-any
type Schema = any;

/** One documented setting: its path of object keys (`[]` for list items) and its schema. */
interface Key {
  readonly path: readonly string[];
  readonly schema: Schema;
}

const WRAPPERS = [
  "default",
  "prefault",
  "optional",
  "nullable",
  "readonly",
  "catch",
  "nonoptional",
];

/** The object shapes reachable from `schema` without entering a record. */
function shapesOf(schema: Schema, seen = new Set<unknown>()): Record<string, Schema>[] {
  if (!schema || seen.has(schema)) return [];
  seen.add(schema);
  const def = schema._zod?.def;
  if (!def) return [];
  if (WRAPPERS.includes(def.type)) return shapesOf(def.innerType, seen);
  if (def.type === "pipe") return shapesOf(def.in, seen);
  if (def.type === "lazy") return shapesOf(def.getter(), seen);
  if (def.type === "object") return [def.shape];
  if (def.type === "array") return shapesOf(def.element, seen);
  if (def.type === "union") return def.options.flatMap((o: Schema) => shapesOf(o, seen));
  if (def.type === "intersection") return [...shapesOf(def.left, seen), ...shapesOf(def.right)];
  return [];
}

/** Whether the value of `schema` is a list (of objects, for the path notation). */
function isArray(schema: Schema): boolean {
  const def = schema?._zod?.def;
  if (!def) return false;
  if (WRAPPERS.includes(def.type)) return isArray(def.innerType);
  if (def.type === "pipe") return isArray(def.in);
  return def.type === "array";
}

/** Every key of `schema`, depth first. */
export function schemaKeys(schema: Schema, prefix: readonly string[] = []): Key[] {
  const keys: Key[] = [];
  for (const shape of shapesOf(schema)) {
    for (const [name, child] of Object.entries(shape)) {
      const path = [...prefix, name];
      if (keys.some((k) => k.path.join(".") === path.join("."))) continue;
      keys.push({ path, schema: child });
      keys.push(...schemaKeys(child, isArray(child) ? [...path, "[]"] : path));
    }
  }
  return keys;
}

/** A README line; `yaml` when it is inside a ```yaml block (`key: value # default`). */
interface Line {
  readonly text: string;
  readonly yaml: boolean;
}

function linesOf(markdown: string): Line[] {
  let yaml = false;
  return markdown.split("\n").map((text) => {
    if (text.startsWith("```")) yaml = text === "```yaml";
    return { text, yaml: yaml && !text.startsWith("```") };
  });
}

/** A YAML line's `key: value`, without the comment. */
function yamlEntry(line: string): [string, string] | undefined {
  const match = /^\s*(?:- )?\{?\s*([\w.]+):\s*(.*?)\s*(?:#.*)?$/.exec(line);
  return match ? [match[1]!, match[2]!] : undefined;
}

/** Written for an empty default (`""`, `[]`, `{}`): "no value". */
const EMPTY_WORDS = ["–", "unset", "none"];

/** Code spans and table cells of a line, the places where a README writes a value. */
function valuesOn(line: Line): string[] {
  if (line.yaml) {
    const value = yamlEntry(line.text)?.[1];
    return value ? [value] : [];
  }
  const spans = [...line.text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  const cells = line.text.trim().startsWith("|")
    ? line.text.split("|").map((c) => c.trim()).filter((c) => c !== "")
    : [];
  return [...spans, ...cells];
}

/** Whether a code span of `line` (or the key of a YAML line) names `name`. */
function mentions(line: Line, name: string): boolean {
  if (line.yaml) return yamlEntry(line.text)?.[0] === name;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const word = new RegExp(`(^|[^\\w])${escaped}($|[^\\w])`);
  return [...line.text.matchAll(/`([^`]+)`/g)].some((m) => word.test(m[1]!));
}

/** The lines that document `key`: naming it by its dotted path or by its own name. */
function linesFor(lines: readonly Line[], key: Key): Line[] {
  const names = key.path.filter((p) => p !== "[]");
  const dotted = names.join(".");
  return lines.filter((l) => mentions(l, names.at(-1)!) || mentions(l, dotted));
}

function show(value: unknown): string {
  return Deno.inspect(value, { depth: 10, colors: false, sorted: true });
}

/** The parsed default of `key`: from the parsed default config, else the key's own schema. */
function defaultOf(key: Key, parsedDefault: unknown): { value: unknown } | undefined {
  if (!key.path.includes("[]")) {
    let value: unknown = parsedDefault;
    for (const name of key.path) {
      value = value !== null && typeof value === "object"
        ? (value as Record<string, unknown>)[name]
        : undefined;
    }
    if (value !== undefined) return { value };
  }
  const own = (key.schema as z.ZodType).safeParse(undefined);
  return own.success && own.data !== undefined ? { value: own.data } : undefined;
}

/** Whether some value written on `line` parses (YAML, then the key's schema) to `value`. */
function showsDefault(line: Line, key: Key, value: unknown): boolean {
  const empty = ["", "[]", "{}"].includes(JSON.stringify(value).replace(/^""$/, ""));
  for (const text of valuesOn(line)) {
    if (empty && EMPTY_WORDS.includes(text)) return true;
    let written: unknown;
    try {
      written = parseYaml(text);
    } catch {
      continue;
    }
    if (written === null || written === undefined) continue;
    // `{ shard_index, total_shards, source_labels: [__address__] }` shows the last one's default.
    const name = key.path.at(-1)!;
    const candidates = written !== null && typeof written === "object" && name in written
      ? [written, (written as Record<string, unknown>)[name]]
      : [written];
    for (const candidate of candidates) {
      const parsed = (key.schema as z.ZodType).safeParse(candidate);
      if (parsed.success && show(parsed.data) === show(value)) return true;
    }
  }
  return false;
}

function folderOf(factory: Factory): string {
  return join(root, `${factory.kind}s`, factory.type.replaceAll(".", "_"));
}

/** The README and the READMEs it links to by relative path. */
function docsOf(folder: string): { readme: string; all: string } {
  const readme = Deno.readTextFileSync(join(folder, "README.md"));
  let all = readme;
  for (const [, link] of readme.matchAll(/\]\((\.[^)#\s]*README\.md)/g)) {
    all += "\n" + Deno.readTextFileSync(join(folder, link!));
  }
  return { readme, all };
}

/** Validates a component fragment; returns the formatted problems. */
async function fragmentProblems(
  factory: Factory,
  value: unknown,
  baseDir: string,
  path: (string | number)[],
): Promise<string[]> {
  if (factory.type === "module") await preloadModules({ processors: { module: value } }, baseDir);
  const source = {
    value: {},
    files: [],
    locate: () => undefined,
    coercedText: () => undefined,
    expansionIssues: [],
  };
  const result = validateWithSchema(factory.configSchema, value ?? {}, path, source);
  return result.ok ? [] : result.issues.map(formatIssue);
}

/**
 * Problems of one YAML document: a whole config when it has `service`; else the fragments of
 * `factory`'s type under a section, or the document itself when it has no section.
 */
async function yamlProblems(
  factory: Factory,
  text: string,
  file: string,
  baseDir: string,
): Promise<{ problems: string[]; checked: number }> {
  let doc: Record<string, unknown> | null;
  try {
    const parsed = parseConfigText(text, file, { env: exampleEnv });
    if (parsed.expansionIssues.length > 0) {
      return { problems: parsed.expansionIssues.map(formatIssue), checked: 1 };
    }
    doc = parsed.value as Record<string, unknown> | null;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { problems: error.issues.map(formatIssue), checked: 1 };
  }
  if (doc !== null && typeof doc === "object" && "apiVersion" in doc && "kind" in doc) {
    return { problems: [], checked: 0 }; // a Kubernetes manifest shown next to a config
  }
  if (doc !== null && typeof doc === "object" && "service" in doc) {
    try {
      await loadAndValidateAsync([file], registry, {
        readFile: () => text,
        env: exampleEnv,
        preloaders: [(d) => preloadModules(d, baseDir)],
      });
      return { problems: [], checked: 1 };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return { problems: error.issues.map(formatIssue), checked: 1 };
    }
  }
  const sections = Object.keys(SECTIONS).filter((s) => doc !== null && s in doc);
  if (sections.length === 0) {
    return { problems: await fragmentProblems(factory, doc, baseDir, []), checked: 1 };
  }
  const problems: string[] = [];
  let checked = 0;
  for (const section of sections) {
    for (const [id, value] of Object.entries((doc![section] ?? {}) as Record<string, unknown>)) {
      if (parseComponentId(id).type !== factory.type) continue;
      problems.push(...await fragmentProblems(factory, value, baseDir, [section, id]));
      checked++;
    }
  }
  return { problems, checked };
}

/** `${env:…}` in examples: the variables as the surrounding text sets them, else a word. */
function exampleEnv(name: string): string {
  return ({ POD_INDEX: "0", TOTAL_SHARDS: "3" } as Record<string, string>)[name] ?? "example";
}

/** Every YAML key of a document. */
function yamlKeys(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => yamlKeys(v, out));
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      yamlKeys(v, out);
    }
  }
  return out;
}

for (const factory of builtinFactories) {
  const folder = folderOf(factory);
  const relative = folder.slice(root.length);

  Deno.test(`${factory.type} docs: ${relative}/README.md documents every key with its default`, () => {
    const { all } = docsOf(folder);
    const lines = linesOf(all);
    const parsedDefault = factory.configSchema.parse(factory.createDefaultConfig());
    const missing: string[] = [];
    const wrong: string[] = [];
    for (const key of schemaKeys(factory.configSchema)) {
      const name = key.path.join(".");
      const documenting = linesFor(lines, key);
      if (documenting.length === 0) {
        missing.push(name);
        continue;
      }
      const fallback = DEFAULT_IN_WORDS[factory.type]?.[name];
      if (fallback !== undefined) {
        if (!documenting.some((l) => l.text.includes(fallback))) {
          wrong.push(`${name}: "${fallback}"`);
        }
        continue;
      }
      const found = defaultOf(key, parsedDefault);
      if (found === undefined) continue;
      const isMap = found.value !== null && typeof found.value === "object" &&
        !Array.isArray(found.value);
      // A block's default is the defaults of its keys, each checked on its own.
      if (isMap && shapesOf(key.schema).length > 0) continue;
      if (!documenting.some((line) => showsDefault(line, key, found.value))) {
        wrong.push(`${name}: default ${show(found.value)} not shown`);
      }
    }
    assertEquals(missing, [], "keys the README does not document");
    assertEquals(wrong, [], "defaults the README does not show");
  });

  Deno.test(`${factory.type} docs: testdata/valid.yaml validates, typo.yaml names the key`, async () => {
    const valid = join(folder, "testdata", "valid.yaml");
    const typo = join(folder, "testdata", "typo.yaml");
    const good = await yamlProblems(factory, Deno.readTextFileSync(valid), valid, folder);
    assert(good.checked > 0, `${relative}/testdata/valid.yaml holds no ${factory.type} config`);
    assertEquals(good.problems, [], `${relative}/testdata/valid.yaml`);
    const typoText = Deno.readTextFileSync(typo);
    const bad = await yamlProblems(factory, typoText, typo, folder);
    assert(bad.checked > 0, `${relative}/testdata/typo.yaml holds no ${factory.type} config`);
    assert(bad.problems.length > 0, `${relative}/testdata/typo.yaml validates`);
    // The keys of typo.yaml that the schema does not know (section and id aside).
    const known = new Set(schemaKeys(factory.configSchema).map((k) => k.path.at(-1)!));
    const unknown = [...yamlKeys(parseYaml(typoText))].filter((k) =>
      !known.has(k) && !(k in SECTIONS) && parseComponentId(k).type !== factory.type
    );
    assert(
      bad.problems.some((p) => unknown.some((k) => p.includes(`"${k}"`))),
      `no error names an unknown key (${unknown.join(", ")}) of typo.yaml:\n${
        bad.problems.join("\n")
      }`,
    );
  });

  Deno.test(`${factory.type} docs: every yaml example of the README validates`, async () => {
    const { readme } = docsOf(folder);
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)];
    assert(blocks.length > 0, `${relative}/README.md has no yaml example`);
    const problems: string[] = [];
    for (const block of blocks) {
      const line = readme.slice(0, block.index).split("\n").length;
      const file = join(root, `${relative}/README.md:${line}`);
      const result = await yamlProblems(factory, block[1]!, file, root);
      problems.push(...result.problems.map((p) => `README.md:${line}: ${p}`));
    }
    assertEquals(problems, []);
  });
}

Deno.test("component docs: every built-in component has a folder with a README", () => {
  for (const factory of builtinFactories) {
    assert(
      Deno.statSync(join(folderOf(factory), "README.md")).isFile,
      `${factory.type}: ${folderOf(factory)}/README.md`,
    );
  }
  assert(dirname(root) !== root);
});
