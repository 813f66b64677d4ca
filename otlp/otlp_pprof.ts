/**
 * Conversion between OTLP profiles (layout of `otlp_profiles.ts`) and pprof, shared by the
 * `otlp` receiver and `pyroscope.write`'s `protocol: otlp`.
 *
 * OTLP → pprof ({@linkcode otlpToPprof}): the dictionary's string, function, location, mapping
 * and stack tables become each pprof's own tables; consecutive profiles of one scope that
 * describe the same samples (same stacks, attributes, links and timestamps in the same order,
 * same period and time — the shape a pprof with several sample types has in OTLP, one profile
 * per sample type) merge back into one pprof with several sample types. A sample's value is
 * the sum of its `values`, or the number of its timestamps when it has no values. Sample
 * attributes become pprof labels (int values numeric labels with their unit, other scalars
 * string labels), a link its `span_id` label (hex, as Pyroscope does). Mapping attributes
 * `process.executable.build_id.gnu` and `pprof.mapping.has_*`, location attribute
 * `pprof.location.is_folded` fill the pprof fields of those names.
 *
 * Series labels: resource, then scope, then profile attributes (later wins; scalar values only,
 * as strings); `service.name` becomes `service_name`, other characters than `[A-Za-z0-9_.]`
 * in a key become `_`. `__name__` is the profile attribute `pyroscope.profile.name` when
 * present, else a resource or scope attribute `__name__`, else {@linkcode profileName}.
 *
 * pprof → OTLP ({@linkcode pprofToOtlp}) is the inverse: one resource per series (labels as
 * attributes, `service_name` as `service.name`, `__name__` as the profile attribute
 * `pyroscope.profile.name`), one profile per sample type sharing one deduplicated dictionary.
 * Not carried: pprof comments, `drop_frames`, `keep_frames`, `doc_url`,
 * `default_sample_type`, and ids (pprof ids are renumbered densely).
 *
 * @example
 * ```ts
 * import { otlpToPprof, pprofToOtlp } from "./otlp_pprof.ts";
 * import { emptyProfile } from "../pprof/profile.ts";
 * import { LabelSet } from "../core/labels.ts";
 * const p = emptyProfile();
 * p.stringTable.push("cpu", "nanoseconds");
 * p.sampleType.push({ type: 1, unit: 2 });
 * p.sample.push({ locationId: [], value: [7], label: [] });
 * const request = pprofToOtlp([{ labels: LabelSet.from({ service_name: "api" }), profiles: [p] }]);
 * const back = otlpToPprof(request);
 * back.profiles[0]!.labels; // [["service_name", "api"], ["__name__", "process_cpu"]]
 * ```
 * @module
 */

import type { LabelSet } from "../core/labels.ts";
import {
  emptyProfile,
  type Label,
  type Location,
  type Mapping,
  type PprofFunction,
  type Profile,
} from "../pprof/profile.ts";
import {
  type AnyValue,
  emptyDictionary,
  type ExportProfilesRequest,
  type KeyValue,
  type OtlpProfile,
  type OtlpSample,
  type OtlpValueType,
  type ProfilesDictionary,
  type ResourceProfiles,
} from "./otlp_profiles.ts";

/** The profile attribute that carries a series' `__name__` (a profcol convention). */
export const PROFILE_NAME_ATTRIBUTE = "pyroscope.profile.name";

const BUILD_ID = "process.executable.build_id.gnu";
const IS_FOLDED = "pprof.location.is_folded";
const MAPPING_FLAGS = [
  ["pprof.mapping.has_functions", "hasFunctions"],
  ["pprof.mapping.has_filenames", "hasFilenames"],
  ["pprof.mapping.has_line_numbers", "hasLineNumbers"],
  ["pprof.mapping.has_inline_frames", "hasInlineFrames"],
] as const;

/** One pprof made from OTLP profiles, with the labels of its series. */
export interface ConvertedProfile {
  /** Label pairs in order (later wins); `__name__` is always set. */
  readonly labels: readonly (readonly [string, string])[];
  readonly profile: Profile;
  /** How many OTLP profiles it was made of. */
  readonly otlpProfiles: number;
}

/** The result of {@linkcode otlpToPprof}. */
export interface OtlpConversion {
  readonly profiles: ConvertedProfile[];
  /** OTLP profiles refused (bad indices, no sample type, …). */
  readonly rejected: number;
  /** Why, one line per refused group (first few). */
  readonly errors: string[];
}

/**
 * Pyroscope's name (`__name__`) for profiles of these sample types (type, unit) and period
 * type: `process_cpu` for `cpu` (or `samples` with a `cpu` period), `wall`, `memory` for
 * `alloc_*`/`inuse_*`/`space`/`objects`, `goroutine`, `mutex` for `contentions`/`delay`
 * (Go's block profile has the same types; send `pyroscope.profile.name` to tell them apart),
 * `off_cpu` for `events`/`nanoseconds`, `exceptions`; otherwise the first type's name.
 */
export function profileName(
  sampleTypes: readonly (readonly [string, string])[],
  periodType: string,
): string {
  for (const [type, unit] of sampleTypes) {
    if (type === "cpu") return "process_cpu";
    if (type === "samples" && periodType === "cpu") return "process_cpu";
    if (type === "wall") return "wall";
    if (/^(alloc|inuse)_(space|objects)$/.test(type) || type === "space" || type === "objects") {
      return "memory";
    }
    if (type === "goroutine" || type === "goroutines") return "goroutine";
    if (type === "contentions" || type === "delay") return "mutex";
    if (type === "events" && unit === "nanoseconds") return "off_cpu";
    if (type === "exceptions") return "exceptions";
  }
  const first = sampleTypes[0]?.[0] ?? "";
  return first === "" ? "unknown" : labelName(first);
}

/** An attribute key as a Pyroscope label name. */
export function labelName(key: string): string {
  if (key === "service.name") return "service_name";
  const name = key.replace(/[^A-Za-z0-9_.]/g, "_");
  return name === "" ? "_" : name;
}

/** A scalar attribute value as a label value; `undefined` for lists, maps and unset values. */
function scalar(value: AnyValue | undefined): string | undefined {
  switch (value?.kind) {
    case "string":
      return value.value;
    case "bool":
    case "int":
    case "double":
      return String(value.value);
    case "bytes":
      // Not a spread into fromCharCode: a bytes attribute can be larger than the stack allows.
      return value.value.toBase64();
    default:
      return undefined;
  }
}

class Refused extends Error {}

function at<T>(table: readonly T[], index: number, what: string): T {
  const one = table[index];
  if (one === undefined || index < 0) {
    throw new Refused(`${what} ${index} is out of range (the table has ${table.length})`);
  }
  return one;
}

/** Converts a whole request; profiles that cannot be converted are counted, not thrown. */
export function otlpToPprof(request: ExportProfilesRequest): OtlpConversion {
  const d = request.dictionary;
  const out: ConvertedProfile[] = [];
  const errors: string[] = [];
  let rejected = 0;
  request.resourceProfiles.forEach((rp, r) => {
    const pairs = (list: readonly KeyValue[]) => {
      const out: [string, string][] = [];
      for (const kv of list) {
        const value = scalar(kv.value);
        if (value !== undefined && value !== "") out.push([labelName(kv.key), value]);
      }
      return out;
    };
    const base = pairs(rp.resource?.attributes ?? []);
    rp.scopeProfiles.forEach((sp, s) => {
      const scoped = [...base, ...pairs(sp.scope?.attributes ?? [])];
      let i = 0;
      while (i < sp.profiles.length) {
        const group = [sp.profiles[i]!];
        while (
          i + group.length < sp.profiles.length &&
          parallel(d, group[0]!, sp.profiles[i + group.length]!)
        ) group.push(sp.profiles[i + group.length]!);
        try {
          out.push(convertGroup(d, group, scoped));
        } catch (error) {
          if (!(error instanceof Refused)) throw error;
          rejected += group.length;
          const where = `resourceProfiles[${r}].scopeProfiles[${s}].profiles[${i}]`;
          if (errors.length < 5) errors.push(`${where}: ${error.message}`);
        }
        i += group.length;
      }
    });
  });
  return { profiles: out, rejected, errors };
}

function sameInts(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function typeKey(d: ProfilesDictionary, vt: OtlpValueType | undefined): string {
  if (!vt) return "";
  return `${d.stringTable[vt.typeStrindex]}/${d.stringTable[vt.unitStrindex]}`;
}

/** Whether `q` holds other values of the samples of `p` (one pprof with several types). */
function parallel(d: ProfilesDictionary, p: OtlpProfile, q: OtlpProfile): boolean {
  if (!p.sampleType || !q.sampleType) return false;
  // A profile whose type does not resolve stands alone, so its refusal takes no other with it.
  const strings = d.stringTable.length;
  if (q.sampleType.typeStrindex >= strings || q.sampleType.unitStrindex >= strings) return false;
  if (typeKey(d, p.sampleType) === typeKey(d, q.sampleType)) return false;
  if (typeKey(d, p.periodType) !== typeKey(d, q.periodType) || p.period !== q.period) return false;
  if (p.timeUnixNano !== q.timeUnixNano || p.durationNano !== q.durationNano) return false;
  if (!sameInts(p.attributeIndices, q.attributeIndices)) return false;
  if (p.samples.length !== q.samples.length || p.samples.length === 0) return false;
  for (let i = 0; i < p.samples.length; i++) {
    const a = p.samples[i]!;
    const b = q.samples[i]!;
    if (a.stackIndex !== b.stackIndex || a.linkIndex !== b.linkIndex) return false;
    if (!sameInts(a.attributeIndices, b.attributeIndices)) return false;
    if (!sameInts(a.timestampsUnixNano, b.timestampsUnixNano)) return false;
  }
  return true;
}

function sampleValue(sample: OtlpSample): number {
  if (sample.values.length === 1) return sample.values[0]!;
  if (sample.values.length > 0) {
    let sum = 0;
    for (const v of sample.values) sum += v;
    return sum;
  }
  if (sample.timestampsUnixNano.length > 0) return sample.timestampsUnixNano.length;
  throw new Refused("a sample has neither values nor timestamps");
}

function convertGroup(
  d: ProfilesDictionary,
  group: readonly OtlpProfile[],
  scoped: readonly (readonly [string, string])[],
): ConvertedProfile {
  const first = group[0]!;
  const p = emptyProfile();
  const strings = new Map<string, number>([["", 0]]);
  const str = (text: string): number => {
    let id = strings.get(text);
    if (id === undefined) {
      id = p.stringTable.length;
      p.stringTable.push(text);
      strings.set(text, id);
    }
    return id;
  };
  const dstr = (index: number, what: string) => str(at(d.stringTable, index, what));
  const types: [string, string][] = [];
  for (const one of group) {
    if (!one.sampleType) throw new Refused("sample_type is missing");
    const type = at(d.stringTable, one.sampleType.typeStrindex, "sample_type string");
    const unit = at(d.stringTable, one.sampleType.unitStrindex, "sample_type string");
    types.push([type, unit]);
    p.sampleType.push({ type: str(type), unit: str(unit) });
  }
  let periodTypeName = "";
  if (first.periodType) {
    periodTypeName = at(d.stringTable, first.periodType.typeStrindex, "period_type string");
    p.periodType = {
      type: str(periodTypeName),
      unit: dstr(first.periodType.unitStrindex, "period_type string"),
    };
  }
  p.period = first.period;
  p.timeNanos = first.timeUnixNano;
  p.durationNanos = first.durationNano;

  const attr = (index: number) => at(d.attributeTable, index, "attribute index");
  const attrKey = (index: number) => at(d.stringTable, attr(index).keyStrindex, "attribute key");

  const mappingIds = new Map<number, number>();
  const mappingId = (index: number): number => {
    if (index === 0) return 0;
    let id = mappingIds.get(index);
    if (id !== undefined) return id;
    const m = at(d.mappingTable, index, "mapping_index");
    const mapping: Mapping = {
      id: p.mapping.length + 1,
      memoryStart: m.memoryStart,
      memoryLimit: m.memoryLimit,
      fileOffset: m.fileOffset,
      filename: dstr(m.filenameStrindex, "mapping filename string"),
      buildId: 0,
      hasFunctions: false,
      hasFilenames: false,
      hasLineNumbers: false,
      hasInlineFrames: false,
    };
    for (const ai of m.attributeIndices) {
      const key = attrKey(ai);
      const value = attr(ai).value;
      if (key === BUILD_ID && value?.kind === "string") mapping.buildId = str(value.value);
      for (const [name, flag] of MAPPING_FLAGS) {
        if (key === name && value?.kind === "bool") mapping[flag] = value.value;
      }
    }
    p.mapping.push(mapping);
    id = mapping.id;
    mappingIds.set(index, id);
    return id;
  };

  const functionIds = new Map<number, number>();
  const functionId = (index: number): number => {
    const id = functionIds.get(index);
    if (id !== undefined) return id;
    const f = at(d.functionTable, index, "function_index");
    const fn: PprofFunction = {
      id: p.function.length + 1,
      name: dstr(f.nameStrindex, "function name string"),
      systemName: dstr(f.systemNameStrindex, "function system name string"),
      filename: dstr(f.filenameStrindex, "function filename string"),
      startLine: f.startLine,
    };
    p.function.push(fn);
    functionIds.set(index, fn.id);
    return fn.id;
  };

  const locationIds = new Map<number, number>();
  const locationId = (index: number): number => {
    const id = locationIds.get(index);
    if (id !== undefined) return id;
    const l = at(d.locationTable, index, "location index");
    const location: Location = {
      id: 0,
      mappingId: mappingId(l.mappingIndex),
      address: l.address,
      line: l.lines.map((line) => ({
        functionId: functionId(line.functionIndex),
        line: line.line,
        column: line.column,
      })),
      isFolded: false,
    };
    for (const ai of l.attributeIndices) {
      const value = attr(ai).value;
      if (attrKey(ai) === IS_FOLDED && value?.kind === "bool") location.isFolded = value.value;
    }
    location.id = p.location.length + 1;
    p.location.push(location);
    locationIds.set(index, location.id);
    return location.id;
  };

  const stacks = new Map<number, number[]>();
  for (let i = 0; i < first.samples.length; i++) {
    const sample = first.samples[i]!;
    let ids = stacks.get(sample.stackIndex);
    if (ids === undefined) {
      ids = at(d.stackTable, sample.stackIndex, "stack_index").locationIndices.map(locationId);
      stacks.set(sample.stackIndex, ids);
    }
    const label: Label[] = [];
    for (const ai of sample.attributeIndices) {
      const a = attr(ai);
      const key = str(attrKey(ai));
      if (a.value?.kind === "int") {
        label.push({ key, str: 0, num: a.value.value, numUnit: dstr(a.unitStrindex, "unit") });
      } else {
        const value = scalar(a.value);
        if (value !== undefined) label.push({ key, str: str(value), num: 0, numUnit: 0 });
      }
    }
    if (sample.linkIndex !== 0) {
      const link = at(d.linkTable, sample.linkIndex, "link_index");
      const spanId = Array.from(link.spanId, (b) => b.toString(16).padStart(2, "0")).join("");
      label.push({ key: str("span_id"), str: str(spanId), num: 0, numUnit: 0 });
    }
    p.sample.push({
      locationId: ids,
      value: group.map((one) => sampleValue(one.samples[i]!)),
      label,
    });
  }

  const labels: (readonly [string, string])[] = [...scoped];
  let name: string | undefined;
  for (const ai of first.attributeIndices) {
    const key = attrKey(ai);
    const value = scalar(attr(ai).value);
    if (value === undefined || value === "") continue;
    if (key === PROFILE_NAME_ATTRIBUTE) name = value;
    else if (!key.startsWith("pprof.")) labels.push([labelName(key), value]);
  }
  if (name === undefined) {
    const given = labels.findLast(([key]) => key === "__name__");
    name = given?.[1] ?? profileName(types, periodTypeName);
  }
  labels.push(["__name__", name]);
  return { labels, profile: p, otlpProfiles: group.length };
}

// ---------------------------------------------------------------------------------------------
// pprof → OTLP

/** One series to export: its labels and its decoded profiles. */
export interface PprofSeries {
  readonly labels: LabelSet;
  readonly profiles: readonly Profile[];
}

/** Builds one request for `series`, with one deduplicated dictionary. */
export function pprofToOtlp(series: readonly PprofSeries[]): ExportProfilesRequest {
  const d = emptyDictionary();
  const index = <T>(table: T[], keys: Map<string, number>, key: string, make: () => T) => {
    let i = keys.get(key);
    if (i === undefined) {
      i = table.length;
      table.push(make());
      keys.set(key, i);
    }
    return i;
  };
  const stringKeys = new Map<string, number>([["", 0]]);
  const s = (text: string) => index(d.stringTable, stringKeys, text, () => text);
  const attributeKeys = new Map<string, number>();
  const attribute = (key: string, value: AnyValue, unit = "") => {
    const k = s(key);
    const u = s(unit);
    const id = `${k}|${u}|${value.kind}|${String(value.value)}`;
    return index(d.attributeTable, attributeKeys, id, () => ({
      keyStrindex: k,
      value,
      unitStrindex: u,
    }));
  };
  const mappingKeys = new Map<string, number>();
  const functionKeys = new Map<string, number>();
  const locationKeys = new Map<string, number>();
  const stackKeys = new Map<string, number>();

  const resourceProfiles: ResourceProfiles[] = series.map((one) => {
    const attributes: KeyValue[] = [];
    let name: string | undefined;
    for (const [key, value] of one.labels) {
      if (key === "__name__") name = value;
      else {
        attributes.push({
          key: key === "service_name" ? "service.name" : key,
          value: { kind: "string", value },
        });
      }
    }
    const profileAttributes = name === undefined
      ? []
      : [attribute(PROFILE_NAME_ATTRIBUTE, { kind: "string", value: name })];
    const profiles: OtlpProfile[] = [];
    for (const p of one.profiles) {
      const text = (i: number) => p.stringTable[i] ?? "";
      const mappings = new Map<number, number>();
      for (const m of p.mapping) {
        const attrs: number[] = [];
        if (m.buildId !== 0) {
          attrs.push(attribute(BUILD_ID, { kind: "string", value: text(m.buildId) }));
        }
        for (const [key, flag] of MAPPING_FLAGS) {
          if (m[flag]) attrs.push(attribute(key, { kind: "bool", value: true }));
        }
        const filename = s(text(m.filename));
        const key = `${m.memoryStart}|${m.memoryLimit}|${m.fileOffset}|${filename}|${attrs}`;
        mappings.set(
          m.id,
          index(d.mappingTable, mappingKeys, key, () => ({
            memoryStart: m.memoryStart,
            memoryLimit: m.memoryLimit,
            fileOffset: m.fileOffset,
            filenameStrindex: filename,
            attributeIndices: attrs,
          })),
        );
      }
      const functions = new Map<number, number>();
      for (const f of p.function) {
        const fn = {
          nameStrindex: s(text(f.name)),
          systemNameStrindex: s(text(f.systemName)),
          filenameStrindex: s(text(f.filename)),
          startLine: f.startLine,
        };
        const key =
          `${fn.nameStrindex}|${fn.systemNameStrindex}|${fn.filenameStrindex}|${f.startLine}`;
        functions.set(f.id, index(d.functionTable, functionKeys, key, () => fn));
      }
      const locations = new Map<number, number>();
      for (const l of p.location) {
        const lines = l.line.map((line) => ({
          functionIndex: functions.get(line.functionId) ?? 0,
          line: line.line,
          column: line.column,
        }));
        const attrs = l.isFolded ? [attribute(IS_FOLDED, { kind: "bool", value: true })] : [];
        const mappingIndex = mappings.get(l.mappingId) ?? 0;
        const key = `${mappingIndex}|${l.address}|${
          lines.map((x) => `${x.functionIndex}:${x.line}:${x.column}`).join(",")
        }|${attrs}`;
        locations.set(
          l.id,
          index(d.locationTable, locationKeys, key, () => ({
            mappingIndex,
            address: l.address,
            lines,
            attributeIndices: attrs,
          })),
        );
      }
      const samples = p.sample.map((sample) => {
        const stack = sample.locationId.map((id) => locations.get(id) ?? 0);
        const stackKey = stack.join(",");
        const stackIndex = index(d.stackTable, stackKeys, stackKey, () => ({
          locationIndices: stack,
        }));
        const attrs = sample.label.map((label) =>
          label.str !== 0 || label.num === 0 && label.numUnit === 0
            ? attribute(text(label.key), { kind: "string", value: text(label.str) })
            : attribute(text(label.key), { kind: "int", value: label.num }, text(label.numUnit))
        );
        return { stackIndex, attrs, values: sample.value };
      });
      const periodType = p.periodType
        ? { typeStrindex: s(text(p.periodType.type)), unitStrindex: s(text(p.periodType.unit)) }
        : undefined;
      p.sampleType.forEach((vt, k) => {
        profiles.push({
          sampleType: { typeStrindex: s(text(vt.type)), unitStrindex: s(text(vt.unit)) },
          samples: samples.map((one) => ({
            stackIndex: one.stackIndex,
            attributeIndices: one.attrs,
            linkIndex: 0,
            values: [one.values[k] ?? 0],
            timestampsUnixNano: [],
          })),
          timeUnixNano: Math.max(0, p.timeNanos),
          durationNano: Math.max(0, p.durationNanos),
          periodType,
          period: p.period,
          profileId: new Uint8Array(0),
          droppedAttributesCount: 0,
          originalPayloadFormat: "",
          originalPayload: new Uint8Array(0),
          attributeIndices: profileAttributes,
        });
      });
    }
    return {
      resource: { attributes, droppedAttributesCount: 0 },
      scopeProfiles: [{
        scope: { name: "profcol", version: "", attributes: [], droppedAttributesCount: 0 },
        profiles,
        schemaUrl: "",
      }],
      schemaUrl: "",
    };
  });
  return { resourceProfiles, dictionary: d };
}
