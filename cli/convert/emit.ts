/**
 * The converter's last stage: the profcol config as commented YAML (each component with the
 * Alloy block it came from, what was not converted at the end), and the paths whose values hold
 * `${env:…}`/`${file:…}` references (their values are not known when the result is checked).
 *
 * @module
 */

import { Document, isMap, isScalar, isSeq, type Pair, Scalar, visit, type YAMLMap } from "yaml";

/** The config as YAML with comments. */
export function emitYaml(
  config: Record<string, unknown>,
  files: readonly string[],
  origins: ReadonlyMap<string, string>,
  comments: readonly string[],
): string {
  const doc = new Document(config);
  doc.commentBefore = ` Converted from ${files.join(", ")} by profcol convert --from=alloy.\n` +
    " Check it with: profcol validate FILE";
  for (const section of ["receivers", "processors", "exporters"]) {
    const map = doc.get(section, true) as YAMLMap | undefined;
    if (!map) continue;
    for (const pair of map.items) {
      if (!isScalar(pair.key)) continue;
      const origin = origins.get(String(pair.key.value));
      if (origin) pair.key.commentBefore = ` ${origin}`;
      if (!isMap(pair.value)) continue;
      for (const inner of pair.value.items) {
        if (isScalar(inner.key) && inner.key.value === "tenant") {
          inner.key.commentBefore =
            " Alloy drops X-Scope-OrgID; remove this to pass tenants on to pyroscope.write";
        }
        if (isScalar(inner.key) && inner.key.value === "targets") flowItems(inner);
      }
    }
  }
  const pipelines = doc.getIn(["service", "pipelines"], true) as YAMLMap | undefined;
  for (const pipeline of pipelines?.items ?? []) {
    if (!isMap(pipeline.value)) continue;
    for (const list of pipeline.value.items) {
      if (isSeq(list.value)) list.value.flow = true;
    }
  }
  if (comments.length > 0) doc.comment = ` Not converted:${comments.join("\n")}`;
  visit(doc, {
    Seq(_key, node) {
      if (node.items.length > 0 && node.items.every((item) => isScalar(item))) node.flow = true;
    },
    Scalar(_key, node) {
      if (typeof node.value === "string" && node.value.includes("${")) {
        node.type = Scalar.QUOTE_DOUBLE;
      }
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Writes each target of a `targets` list on one line. */
function flowItems(pair: Pair): void {
  const list = pair.value as { items?: unknown[] } | undefined;
  for (const item of list?.items ?? []) {
    if (isMap(item)) item.flow = true;
  }
}

/** YAML paths (joined with `\0`) whose value holds a `${env:…}` or `${file:…}` reference. */
export function referencePaths(config: Record<string, unknown>): Set<string> {
  const paths = new Set<string>();
  const collect = (v: unknown, path: string[]) => {
    if (typeof v === "string" && /(^|[^$])\$\{(env|file):/.test(v)) {
      paths.add(path.join("\0"));
    } else if (Array.isArray(v)) v.forEach((item, i) => collect(item, [...path, String(i)]));
    else if (v && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) collect(item, [...path, k]);
    }
  };
  collect(config, []);
  return paths;
}
