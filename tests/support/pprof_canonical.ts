/**
 * A canonical, id-free view of a pprof for equality checks across re-encodings: sample types,
 * period, time, duration, and every sample in order with its resolved stack (address,
 * mapping file, build id and flags, folded flag, and each line's function name, system name,
 * file, start line, line and column), sorted labels and values.
 *
 * @module
 */

import type { Profile } from "../../pprof/profile.ts";

/** The canonical view of one sample. */
export interface CanonicalSample {
  stack: string[];
  labels: string[];
  value: number[];
}

/** The canonical view of a profile. */
export interface CanonicalProfile {
  sampleTypes: string[];
  periodType: string;
  period: number;
  timeNanos: number;
  durationNanos: number;
  samples: CanonicalSample[];
}

/** See the module doc. */
export function canonicalProfile(p: Profile): CanonicalProfile {
  const s = (i: number) => p.stringTable[i] ?? `<bad string ${i}>`;
  const functions = new Map(p.function.map((f) => [f.id, f]));
  const mappings = new Map(p.mapping.map((m) => [m.id, m]));
  const locations = new Map(p.location.map((l) => [l.id, l]));
  const frames = new Map<number, string>();
  const frame = (id: number): string => {
    let text = frames.get(id);
    if (text === undefined) frames.set(id, text = frameOf(id));
    return text;
  };
  const frameOf = (id: number): string => {
    const l = locations.get(id);
    if (!l) return `<no location ${id}>`;
    const m = mappings.get(l.mappingId);
    const mapping = m
      ? `${s(m.filename)}[${s(m.buildId)}]${m.memoryStart.toString(16)}-${
        m.memoryLimit.toString(16)
      }+${m.fileOffset}${m.hasFunctions ? "F" : ""}${m.hasFilenames ? "N" : ""}${
        m.hasLineNumbers ? "L" : ""
      }${m.hasInlineFrames ? "I" : ""}`
      : "";
    const lines = l.line.map((line) => {
      const f = functions.get(line.functionId);
      const fn = f ? `${s(f.name)}|${s(f.systemName)}|${s(f.filename)}|${f.startLine}` : "?";
      return `${fn}:${line.line}:${line.column}`;
    });
    return `${l.address.toString(16)}@${mapping}${l.isFolded ? " folded" : ""} ${lines.join(";")}`;
  };
  return {
    sampleTypes: p.sampleType.map((vt) => `${s(vt.type)}/${s(vt.unit)}`),
    periodType: p.periodType ? `${s(p.periodType.type)}/${s(p.periodType.unit)}` : "",
    period: p.period,
    timeNanos: p.timeNanos,
    durationNanos: p.durationNanos,
    samples: p.sample.map((sample) => ({
      stack: sample.locationId.map(frame),
      labels: sample.label.map((label) =>
        label.str !== 0
          ? `${s(label.key)}=${s(label.str)}`
          : `${s(label.key)}=${label.num}${label.numUnit ? ` ${s(label.numUnit)}` : ""}`
      ).sort(),
      value: sample.value,
    })),
  };
}
