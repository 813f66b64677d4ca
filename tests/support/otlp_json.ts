/**
 * The OTLP JSON encoding of `ExportProfilesServiceRequest`, the inverse of the `otlp` receiver's
 * `decodeExportRequestJson`: tests send profiles as a JSON client would. profcol itself never
 * encodes OTLP JSON (its writer sends protobuf), so this lives with the tests.
 *
 * @module
 */

import type {
  AnyValue,
  ExportProfilesRequest,
  KeyValue,
  OtlpValueType,
} from "../../otlp/otlp_profiles.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

function b64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function anyJson(value: AnyValue | undefined): Json {
  if (value === undefined) return {};
  switch (value.kind) {
    case "string":
      return { stringValue: value.value };
    case "bool":
      return { boolValue: value.value };
    case "int":
      return { intValue: String(value.value) };
    case "double":
      return { doubleValue: value.value };
    case "bytes":
      return { bytesValue: b64(value.value) };
    case "array":
      return { arrayValue: { values: value.value.map(anyJson) } };
    case "kvlist":
      return { kvlistValue: { values: value.value.map(kvJson) } };
    case "strindex":
      return { stringValueStrindex: value.value };
  }
}

function kvJson(kv: KeyValue): Json {
  const out: Json = { key: kv.key, value: anyJson(kv.value) };
  if (kv.keyStrindex !== undefined) out.keyStrindex = kv.keyStrindex;
  return out;
}

function vtJson(vt: OtlpValueType | undefined): Json {
  return vt && { typeStrindex: vt.typeStrindex, unitStrindex: vt.unitStrindex };
}

/** Encodes a request in the OTLP JSON mapping (every field written, 64-bit ints as strings). */
export function encodeExportRequestJson(request: ExportProfilesRequest): string {
  const d = request.dictionary;
  return JSON.stringify({
    resourceProfiles: request.resourceProfiles.map((rp) => ({
      resource: rp.resource && { attributes: rp.resource.attributes.map(kvJson) },
      scopeProfiles: rp.scopeProfiles.map((sp) => ({
        scope: sp.scope && {
          name: sp.scope.name,
          version: sp.scope.version,
          attributes: sp.scope.attributes.map(kvJson),
        },
        profiles: sp.profiles.map((p) => ({
          sampleType: vtJson(p.sampleType),
          samples: p.samples.map((s) => ({
            stackIndex: s.stackIndex,
            attributeIndices: s.attributeIndices,
            linkIndex: s.linkIndex,
            values: s.values.map(String),
            timestampsUnixNano: s.timestampsUnixNano.map(String),
          })),
          timeUnixNano: String(p.timeUnixNano),
          durationNano: String(p.durationNano),
          periodType: vtJson(p.periodType),
          period: String(p.period),
          profileId: toHex(p.profileId),
          attributeIndices: p.attributeIndices,
        })),
        schemaUrl: sp.schemaUrl,
      })),
      schemaUrl: rp.schemaUrl,
    })),
    dictionary: {
      mappingTable: d.mappingTable.map((m) => ({
        memoryStart: String(m.memoryStart),
        memoryLimit: String(m.memoryLimit),
        fileOffset: String(m.fileOffset),
        filenameStrindex: m.filenameStrindex,
        attributeIndices: m.attributeIndices,
      })),
      locationTable: d.locationTable.map((l) => ({
        mappingIndex: l.mappingIndex,
        address: String(l.address),
        lines: l.lines.map((line) => ({
          functionIndex: line.functionIndex,
          line: String(line.line),
          column: String(line.column),
        })),
        attributeIndices: l.attributeIndices,
      })),
      functionTable: d.functionTable.map((f) => ({
        nameStrindex: f.nameStrindex,
        systemNameStrindex: f.systemNameStrindex,
        filenameStrindex: f.filenameStrindex,
        startLine: String(f.startLine),
      })),
      linkTable: d.linkTable.map((l) => ({ traceId: toHex(l.traceId), spanId: toHex(l.spanId) })),
      stringTable: d.stringTable,
      attributeTable: d.attributeTable.map((a) => ({
        keyStrindex: a.keyStrindex,
        value: anyJson(a.value),
        unitStrindex: a.unitStrindex,
      })),
      stackTable: d.stackTable.map((s) => ({ locationIndices: s.locationIndices })),
    },
  });
}
