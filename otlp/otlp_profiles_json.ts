/**
 * The OTLP JSON mapping of `ExportProfilesServiceRequest` (OTLP specification, "JSON Protobuf
 * Encoding"): lowerCamelCase field names (the original snake_case names are accepted too, as
 * protojson does), 64-bit integers as decimal strings (numbers accepted), `bytes` as base64
 * (standard or URL alphabet, padding optional), `traceId`/`spanId`/`profileId` as hex, unknown
 * fields ignored. Names only an older layout has (`sample`, `line`, `aggregationTemporality`,
 * `commentStrindices`, a list as `sampleType`) are refused with {@linkcode OtlpLayoutError}.
 *
 * @example
 * ```ts
 * import { decodeExportRequestJson } from "./otlp_profiles_json.ts";
 * const text = '{"resourceProfiles":[],"dictionary":{"stringTable":[""]}}';
 * decodeExportRequestJson(new TextEncoder().encode(text)).dictionary.stringTable; // [""]
 * ```
 * @module
 */

import {
  type AnyValue,
  type ExportProfilesRequest,
  type KeyValue,
  type KeyValueAndUnit,
  OtlpDecodeError,
  OtlpLayoutError,
  type OtlpLine,
  type OtlpLocation,
  type OtlpMapping,
  type OtlpProfile,
  type OtlpSample,
  type OtlpValueType,
  type ProfilesDictionary,
  resolveStrindices,
  type ResourceProfiles,
  type Scope,
  type ScopeProfiles,
} from "./otlp_profiles.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes an OTLP JSON `ExportProfilesServiceRequest`. */
export function decodeExportRequestJson(body: Uint8Array): ExportProfilesRequest {
  let root: Json;
  try {
    root = JSON.parse(strictUtf8.decode(body));
  } catch (error) {
    throw new OtlpDecodeError(`unmarshal message: ${(error as Error).message}`);
  }
  try {
    const obj = object(root, "request");
    return resolveStrindices({
      resourceProfiles: list(field(obj, "resourceProfiles"), "resourceProfiles").map((rp, i) =>
        resourceProfiles(rp, `resourceProfiles[${i}]`)
      ),
      dictionary: dictionary(field(obj, "dictionary")),
    });
  } catch (error) {
    if (error instanceof OtlpLayoutError || error instanceof OtlpDecodeError) throw error;
    throw new OtlpDecodeError(`unmarshal message: ${(error as Error).message}`);
  }
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A field by its JSON name or its original proto name. */
function field(obj: Record<string, Json>, name: string): Json {
  const value = obj[name];
  if (value !== undefined && value !== null) return value;
  const other = obj[snake(name)];
  return other === null ? undefined : other;
}

function object(value: Json, path: string): Record<string, Json> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OtlpDecodeError(`unmarshal message: ${path} must be an object`);
  }
  return value;
}

function list(value: Json, path: string): Json[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new OtlpDecodeError(`unmarshal message: ${path} must be a list`);
  return value;
}

function str(value: Json, path: string): string {
  if (value === undefined) return "";
  if (typeof value !== "string") {
    throw new OtlpDecodeError(`unmarshal message: ${path} must be a string`);
  }
  return value;
}

/** An integer given as a number or a decimal string. */
function int(value: Json, path: string): number {
  if (value === undefined) return 0;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  throw new OtlpDecodeError(
    `unmarshal message: ${path} must be an integer, got ${JSON.stringify(value)}`,
  );
}

function ints(value: Json, path: string): number[] {
  return list(value, path).map((one, i) => int(one, `${path}[${i}]`));
}

function bool(value: Json, path: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new OtlpDecodeError(`unmarshal message: ${path} must be true or false`);
  }
  return value;
}

function base64(value: Json, path: string): Uint8Array {
  const text = str(value, path).replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  try {
    const padded = text + "=".repeat((4 - (text.length % 4)) % 4);
    const binary = atob(padded);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    throw new OtlpDecodeError(`unmarshal message: ${path} is not base64`);
  }
}

function hex(value: Json, path: string): Uint8Array {
  const text = str(value, path);
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) {
    throw new OtlpDecodeError(`unmarshal message: ${path} must be hex`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function refuseOldNames(obj: Record<string, Json>, names: readonly string[], where: string): void {
  for (const name of names) {
    if (obj[name] !== undefined) {
      throw new OtlpLayoutError(
        `${where}.${name} is set, a field only the layout of opentelemetry-proto v1.8.0 and ` +
          "older has",
      );
    }
  }
}

function resourceProfiles(value: Json, path: string): ResourceProfiles {
  const obj = object(value, path);
  const resourceJson = field(obj, "resource");
  const resource = resourceJson === undefined
    ? undefined
    : object(resourceJson, `${path}.resource`);
  return {
    resource: resource === undefined ? undefined : {
      attributes: keyValues(field(resource, "attributes"), `${path}.resource`),
      droppedAttributesCount: int(field(resource, "droppedAttributesCount"), path),
    },
    scopeProfiles: list(field(obj, "scopeProfiles"), `${path}.scopeProfiles`).map((sp, i) =>
      scopeProfiles(sp, `${path}.scopeProfiles[${i}]`)
    ),
    schemaUrl: str(field(obj, "schemaUrl"), `${path}.schemaUrl`),
  };
}

function scopeProfiles(value: Json, path: string): ScopeProfiles {
  const obj = object(value, path);
  const scopeJson = field(obj, "scope");
  let scope: Scope | undefined;
  if (scopeJson !== undefined) {
    const s = object(scopeJson, `${path}.scope`);
    scope = {
      name: str(field(s, "name"), `${path}.scope.name`),
      version: str(field(s, "version"), `${path}.scope.version`),
      attributes: keyValues(field(s, "attributes"), `${path}.scope`),
      droppedAttributesCount: int(field(s, "droppedAttributesCount"), path),
    };
  }
  return {
    scope,
    profiles: list(field(obj, "profiles"), `${path}.profiles`).map((p, i) =>
      profile(p, `${path}.profiles[${i}]`)
    ),
    schemaUrl: str(field(obj, "schemaUrl"), `${path}.schemaUrl`),
  };
}

function keyValues(value: Json, path: string): KeyValue[] {
  return list(value, `${path}.attributes`).map((kv, i) => {
    const obj = object(kv, `${path}.attributes[${i}]`);
    const v = field(obj, "value");
    const keyStrindex = field(obj, "keyStrindex");
    return {
      key: str(field(obj, "key"), `${path}.attributes[${i}].key`),
      value: v === undefined ? undefined : anyValue(v, `${path}.attributes[${i}].value`),
      ...(keyStrindex === undefined
        ? {}
        : { keyStrindex: int(keyStrindex, `${path}.keyStrindex`) }),
    };
  });
}

function anyValue(value: Json, path: string): AnyValue | undefined {
  const obj = object(value, path);
  let v: Json;
  if ((v = field(obj, "stringValue")) !== undefined) return { kind: "string", value: str(v, path) };
  if ((v = field(obj, "boolValue")) !== undefined) return { kind: "bool", value: bool(v, path) };
  if ((v = field(obj, "intValue")) !== undefined) return { kind: "int", value: int(v, path) };
  if ((v = field(obj, "doubleValue")) !== undefined) {
    const n = typeof v === "string" ? Number(v) : v;
    if (typeof n !== "number") {
      throw new OtlpDecodeError(`unmarshal message: ${path} must be a number`);
    }
    return { kind: "double", value: n };
  }
  if ((v = field(obj, "bytesValue")) !== undefined) {
    return { kind: "bytes", value: base64(v, path) };
  }
  if ((v = field(obj, "arrayValue")) !== undefined) {
    const values = list(field(object(v, path), "values"), path);
    return { kind: "array", value: values.map((one, i) => anyValue(one, `${path}[${i}]`)) };
  }
  if ((v = field(obj, "kvlistValue")) !== undefined) {
    return { kind: "kvlist", value: keyValues(field(object(v, path), "values"), path) };
  }
  if ((v = field(obj, "stringValueStrindex")) !== undefined) {
    return { kind: "strindex", value: int(v, path) };
  }
  return undefined;
}

function valueType(value: Json, path: string): OtlpValueType | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    throw new OtlpLayoutError(
      `${path} is a list (repeated sample_type of a layout older than opentelemetry-proto v1.8.0)`,
    );
  }
  const obj = object(value, path);
  refuseOldNames(obj, ["aggregationTemporality", "aggregation_temporality"], path);
  return {
    typeStrindex: int(field(obj, "typeStrindex"), `${path}.typeStrindex`),
    unitStrindex: int(field(obj, "unitStrindex"), `${path}.unitStrindex`),
  };
}

function profile(value: Json, path: string): OtlpProfile {
  const obj = object(value, path);
  refuseOldNames(obj, ["sample", "commentStrindices", "comment_strindices"], path);
  return {
    sampleType: valueType(field(obj, "sampleType"), `${path}.sampleType`),
    samples: list(field(obj, "samples"), `${path}.samples`).map((s, i) =>
      sample(s, `${path}.samples[${i}]`)
    ),
    timeUnixNano: int(field(obj, "timeUnixNano"), `${path}.timeUnixNano`),
    durationNano: int(field(obj, "durationNano"), `${path}.durationNano`),
    periodType: valueType(field(obj, "periodType"), `${path}.periodType`),
    period: int(field(obj, "period"), `${path}.period`),
    profileId: hex(field(obj, "profileId"), `${path}.profileId`),
    droppedAttributesCount: int(field(obj, "droppedAttributesCount"), path),
    originalPayloadFormat: str(field(obj, "originalPayloadFormat"), path),
    originalPayload: base64(field(obj, "originalPayload"), `${path}.originalPayload`),
    attributeIndices: ints(field(obj, "attributeIndices"), `${path}.attributeIndices`),
  };
}

function sample(value: Json, path: string): OtlpSample {
  const obj = object(value, path);
  return {
    stackIndex: int(field(obj, "stackIndex"), `${path}.stackIndex`),
    attributeIndices: ints(field(obj, "attributeIndices"), `${path}.attributeIndices`),
    linkIndex: int(field(obj, "linkIndex"), `${path}.linkIndex`),
    values: ints(field(obj, "values"), `${path}.values`),
    timestampsUnixNano: ints(field(obj, "timestampsUnixNano"), `${path}.timestampsUnixNano`),
  };
}

function dictionary(value: Json): ProfilesDictionary {
  const obj = object(value, "dictionary");
  const path = "dictionary";
  return {
    mappingTable: list(field(obj, "mappingTable"), path).map((m, i): OtlpMapping => {
      const o = object(m, `${path}.mappingTable[${i}]`);
      const at = `${path}.mappingTable[${i}]`;
      return {
        memoryStart: int(field(o, "memoryStart"), at),
        memoryLimit: int(field(o, "memoryLimit"), at),
        fileOffset: int(field(o, "fileOffset"), at),
        filenameStrindex: int(field(o, "filenameStrindex"), at),
        attributeIndices: ints(field(o, "attributeIndices"), at),
      };
    }),
    locationTable: list(field(obj, "locationTable"), path).map((l, i): OtlpLocation => {
      const at = `${path}.locationTable[${i}]`;
      const o = object(l, at);
      refuseOldNames(o, ["line"], at);
      return {
        mappingIndex: int(field(o, "mappingIndex"), at),
        address: int(field(o, "address"), at),
        lines: list(field(o, "lines"), at).map((line, j): OtlpLine => {
          const lo = object(line, `${at}.lines[${j}]`);
          return {
            functionIndex: int(field(lo, "functionIndex"), at),
            line: int(field(lo, "line"), at),
            column: int(field(lo, "column"), at),
          };
        }),
        attributeIndices: ints(field(o, "attributeIndices"), at),
      };
    }),
    functionTable: list(field(obj, "functionTable"), path).map((f, i) => {
      const at = `${path}.functionTable[${i}]`;
      const o = object(f, at);
      return {
        nameStrindex: int(field(o, "nameStrindex"), at),
        systemNameStrindex: int(field(o, "systemNameStrindex"), at),
        filenameStrindex: int(field(o, "filenameStrindex"), at),
        startLine: int(field(o, "startLine"), at),
      };
    }),
    linkTable: list(field(obj, "linkTable"), path).map((l, i) => {
      const at = `${path}.linkTable[${i}]`;
      const o = object(l, at);
      return { traceId: hex(field(o, "traceId"), at), spanId: hex(field(o, "spanId"), at) };
    }),
    stringTable: list(field(obj, "stringTable"), path).map((s, i) =>
      str(s, `${path}.stringTable[${i}]`)
    ),
    attributeTable: list(field(obj, "attributeTable"), path).map((a, i): KeyValueAndUnit => {
      const at = `${path}.attributeTable[${i}]`;
      const o = object(a, at);
      const v = field(o, "value");
      return {
        keyStrindex: int(field(o, "keyStrindex"), at),
        value: v === undefined ? undefined : anyValue(v, at),
        unitStrindex: int(field(o, "unitStrindex"), at),
      };
    }),
    stackTable: list(field(obj, "stackTable"), path).map((s, i) => ({
      locationIndices: ints(field(object(s, `${path}.stackTable[${i}]`), "locationIndices"), path),
    })),
  };
}

/** The JSON `ExportProfilesServiceResponse`. */
export function encodeExportResponseJson(rejected: number, errorMessage: string): string {
  if (rejected === 0 && errorMessage === "") return "{}";
  return JSON.stringify({
    partialSuccess: { rejectedProfiles: String(rejected), errorMessage },
  });
}
