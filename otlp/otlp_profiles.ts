/**
 * Codec of OpenTelemetry's profiles signal (`opentelemetry.proto.collector.profiles.
 * v1development.ExportProfilesServiceRequest` and its response), written by hand from the
 * field numbers of opentelemetry-proto v1.10.0, whose layout v1.11.x keeps unchanged on the
 * wire ({@linkcode OTLP_PROFILES_LAYOUT}). Both the binary protobuf encoding and the OTLP JSON
 * mapping (lowerCamelCase names — original snake_case names are accepted too —, 64-bit
 * integers as strings or numbers, `bytes` as base64, trace/span/profile ids as hex) decode to
 * the same objects.
 *
 * Requests in another layout are refused with {@linkcode OtlpLayoutError}, whose message names
 * the expected layout. Detected are: fields only v1.9.0 has on the wire (`Sample.
 * attribute_indices` at field 3, packed), fields only v1.8.0 and older have
 * (`ValueType.aggregation_temporality`, `Profile` field 12, JSON names `sample`, `line`,
 * `aggregationTemporality`, `commentStrindices`, a list as `sampleType`) and the
 * `OTLP-Profiles-Development-Version` header (see {@linkcode checkLayoutHeader}).
 *
 * @example
 * ```ts
 * import { decodeExportRequest, encodeExportRequest, emptyDictionary } from "./otlp_profiles.ts";
 * const dictionary = emptyDictionary();
 * dictionary.stringTable.push("cpu", "nanoseconds");
 * const bytes = encodeExportRequest({ resourceProfiles: [], dictionary });
 * decodeExportRequest(bytes).dictionary.stringTable; // ["", "cpu", "nanoseconds"]
 * ```
 * @module
 */

import { ProtoDecodeError, ProtoReader, ProtoWriter } from "../core/wire/protobuf.ts";

/** The pinned layout: opentelemetry-proto v1.10.0 = v1.11.x on the wire. */
export const OTLP_PROFILES_LAYOUT = "1.10";

/** Human-readable name of the pinned layout, for messages and docs. */
export const OTLP_PROFILES_LAYOUT_NAME =
  "opentelemetry-proto v1.10.0/v1.11.x profiles v1development layout " +
  "(go.opentelemetry.io/collector/pdata/pprofile v0.148.0 and later)";

/** The HTTP path of the profiles signal. */
export const OTLP_PROFILES_PATH = "/v1development/profiles";

/** The header a client may use to name the layout it sends (a profcol convention). */
export const OTLP_PROFILES_VERSION_HEADER = "OTLP-Profiles-Development-Version";

/** `AnyValue`: one of its kinds, or `undefined` when unset. */
export type AnyValue =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "double"; readonly value: number }
  | { readonly kind: "bytes"; readonly value: Uint8Array }
  | { readonly kind: "array"; readonly value: readonly (AnyValue | undefined)[] }
  | { readonly kind: "kvlist"; readonly value: readonly KeyValue[] }
  /** `string_value_strindex`: an index into the dictionary's string table (resolved on decode). */
  | { readonly kind: "strindex"; readonly value: number };

/** `KeyValue`. `keyStrindex` (v1.10.0's `key_strindex`) names the key through the dictionary. */
export interface KeyValue {
  key: string;
  value: AnyValue | undefined;
  keyStrindex?: number;
}

/** `KeyValueAndUnit` of the attribute table. */
export interface KeyValueAndUnit {
  keyStrindex: number;
  value: AnyValue | undefined;
  unitStrindex: number;
}

/** `Resource`. */
export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

/** `InstrumentationScope`. */
export interface Scope {
  name: string;
  version: string;
  attributes: KeyValue[];
  droppedAttributesCount: number;
}

/** `ValueType`. */
export interface OtlpValueType {
  typeStrindex: number;
  unitStrindex: number;
}

/** `Sample`. */
export interface OtlpSample {
  stackIndex: number;
  attributeIndices: number[];
  linkIndex: number;
  values: number[];
  timestampsUnixNano: number[];
}

/** `Profile`. */
export interface OtlpProfile {
  sampleType: OtlpValueType | undefined;
  samples: OtlpSample[];
  timeUnixNano: number;
  durationNano: number;
  periodType: OtlpValueType | undefined;
  period: number;
  profileId: Uint8Array;
  droppedAttributesCount: number;
  originalPayloadFormat: string;
  originalPayload: Uint8Array;
  attributeIndices: number[];
}

/** `ScopeProfiles`. */
export interface ScopeProfiles {
  scope: Scope | undefined;
  profiles: OtlpProfile[];
  schemaUrl: string;
}

/** `ResourceProfiles`. */
export interface ResourceProfiles {
  resource: Resource | undefined;
  scopeProfiles: ScopeProfiles[];
  schemaUrl: string;
}

/** `Mapping`. */
export interface OtlpMapping {
  memoryStart: number;
  memoryLimit: number;
  fileOffset: number;
  filenameStrindex: number;
  attributeIndices: number[];
}

/** `Line`. */
export interface OtlpLine {
  functionIndex: number;
  line: number;
  column: number;
}

/** `Location`. */
export interface OtlpLocation {
  mappingIndex: number;
  address: number;
  lines: OtlpLine[];
  attributeIndices: number[];
}

/** `Function`. */
export interface OtlpFunction {
  nameStrindex: number;
  systemNameStrindex: number;
  filenameStrindex: number;
  startLine: number;
}

/** `Link`. */
export interface OtlpLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
}

/** `Stack`. */
export interface OtlpStack {
  locationIndices: number[];
}

/** `ProfilesDictionary`. */
export interface ProfilesDictionary {
  mappingTable: OtlpMapping[];
  locationTable: OtlpLocation[];
  functionTable: OtlpFunction[];
  linkTable: OtlpLink[];
  stringTable: string[];
  attributeTable: KeyValueAndUnit[];
  stackTable: OtlpStack[];
}

/** `ExportProfilesServiceRequest`. */
export interface ExportProfilesRequest {
  resourceProfiles: ResourceProfiles[];
  dictionary: ProfilesDictionary;
}

/** A request that is in another layout than {@linkcode OTLP_PROFILES_LAYOUT}. */
export class OtlpLayoutError extends Error {
  override readonly name = "OtlpLayoutError";
  constructor(found: string) {
    super(
      `${found}; this receiver accepts only the ${OTLP_PROFILES_LAYOUT_NAME}`,
    );
  }
}

/** A request that does not decode (bad protobuf or JSON). */
export class OtlpDecodeError extends Error {
  override readonly name = "OtlpDecodeError";
}

/**
 * A dictionary with the zero-value entries every table starts with in this layout
 * (`mapping_table[0]`, `string_table[0] = ""`, …).
 */
export function emptyDictionary(): ProfilesDictionary {
  return {
    mappingTable: [{
      memoryStart: 0,
      memoryLimit: 0,
      fileOffset: 0,
      filenameStrindex: 0,
      attributeIndices: [],
    }],
    locationTable: [{ mappingIndex: 0, address: 0, lines: [], attributeIndices: [] }],
    functionTable: [{ nameStrindex: 0, systemNameStrindex: 0, filenameStrindex: 0, startLine: 0 }],
    linkTable: [{ traceId: new Uint8Array(0), spanId: new Uint8Array(0) }],
    stringTable: [""],
    attributeTable: [{ keyStrindex: 0, value: undefined, unitStrindex: 0 }],
    stackTable: [{ locationIndices: [] }],
  };
}

/**
 * Refuses a request whose `OTLP-Profiles-Development-Version` header names another layout than
 * v1.10/v1.11 (e.g. `1.9.0`). No header, or `1.10`, `1.10.0`, `v1.11.1`…, passes.
 */
export function checkLayoutHeader(value: string | null): void {
  if (value === null || value.trim() === "") return;
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(value.trim());
  if (match && match[1] === "1" && (match[2] === "10" || match[2] === "11")) return;
  throw new OtlpLayoutError(
    `${OTLP_PROFILES_VERSION_HEADER}: ${JSON.stringify(value.trim())} names another layout`,
  );
}

// ---------------------------------------------------------------------------------------------
// Binary decoding

/** Decodes a binary `ExportProfilesServiceRequest` (also a `ProfilesData`: same fields). */
export function decodeExportRequest(bytes: Uint8Array): ExportProfilesRequest {
  try {
    const r = new ProtoReader(bytes);
    const resourceProfiles: ResourceProfiles[] = [];
    let dictionary: ProfilesDictionary | undefined;
    while (r.more()) {
      const tag = r.tag();
      if (tag === 0x0a) resourceProfiles.push(readResourceProfiles(r.sub()));
      else if (tag === 0x12) dictionary = readDictionary(r.sub());
      else r.skip(tag);
    }
    return resolveStrindices({ resourceProfiles, dictionary: dictionary ?? noDictionary() });
  } catch (error) {
    if (error instanceof OtlpLayoutError || error instanceof OtlpDecodeError) throw error;
    throw new OtlpDecodeError(`unmarshal message: ${(error as Error).message}`);
  }
}

function noDictionary(): ProfilesDictionary {
  return {
    mappingTable: [],
    locationTable: [],
    functionTable: [],
    linkTable: [],
    stringTable: [],
    attributeTable: [],
    stackTable: [],
  };
}

const int32 = (r: ProtoReader) => r.int32();
const int64 = (r: ProtoReader) => r.int64();
const fixed64 = (r: ProtoReader) => r.fixed64();

function readResourceProfiles(r: ProtoReader): ResourceProfiles {
  const out: ResourceProfiles = { resource: undefined, scopeProfiles: [], schemaUrl: "" };
  while (r.more()) {
    const tag = r.tag();
    if (tag === 0x0a) out.resource = readResource(r.sub());
    else if (tag === 0x12) out.scopeProfiles.push(readScopeProfiles(r.sub()));
    else if (tag === 0x1a) out.schemaUrl = r.string("schema_url");
    else r.skip(tag);
  }
  return out;
}

function readResource(r: ProtoReader): Resource {
  const out: Resource = { attributes: [], droppedAttributesCount: 0 };
  while (r.more()) {
    const tag = r.tag();
    if (tag === 0x0a) out.attributes.push(readKeyValue(r.sub()));
    else if (tag === 0x10) out.droppedAttributesCount = r.uint32();
    else r.skip(tag);
  }
  return out;
}

function readScope(r: ProtoReader): Scope {
  const out: Scope = { name: "", version: "", attributes: [], droppedAttributesCount: 0 };
  while (r.more()) {
    const tag = r.tag();
    if (tag === 0x0a) out.name = r.string("scope.name");
    else if (tag === 0x12) out.version = r.string("scope.version");
    else if (tag === 0x1a) out.attributes.push(readKeyValue(r.sub()));
    else if (tag === 0x20) out.droppedAttributesCount = r.uint32();
    else r.skip(tag);
  }
  return out;
}

function readKeyValue(r: ProtoReader): KeyValue {
  const out: KeyValue = { key: "", value: undefined };
  while (r.more()) {
    const tag = r.tag();
    if (tag === 0x0a) out.key = r.string("key");
    else if (tag === 0x12) out.value = readAnyValue(r.sub());
    else if (tag === 0x18) out.keyStrindex = r.int32();
    else r.skip(tag);
  }
  return out;
}

function readAnyValue(r: ProtoReader): AnyValue | undefined {
  let out: AnyValue | undefined;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        out = { kind: "string", value: r.string("string_value") };
        break;
      case 0x10:
        out = { kind: "bool", value: r.bool() };
        break;
      case 0x18:
        out = { kind: "int", value: r.int64() };
        break;
      case 0x21:
        out = { kind: "double", value: r.double() };
        break;
      case 0x2a: {
        const inner = r.sub();
        const values: (AnyValue | undefined)[] = [];
        while (inner.more()) {
          const t = inner.tag();
          if (t === 0x0a) values.push(readAnyValue(inner.sub()));
          else inner.skip(t);
        }
        out = { kind: "array", value: values };
        break;
      }
      case 0x32: {
        const inner = r.sub();
        const values: KeyValue[] = [];
        while (inner.more()) {
          const t = inner.tag();
          if (t === 0x0a) values.push(readKeyValue(inner.sub()));
          else inner.skip(t);
        }
        out = { kind: "kvlist", value: values };
        break;
      }
      case 0x3a:
        out = { kind: "bytes", value: r.bytes() };
        break;
      case 0x40:
        out = { kind: "strindex", value: r.int32() };
        break;
      default:
        r.skip(tag);
    }
  }
  return out;
}

function readScopeProfiles(r: ProtoReader): ScopeProfiles {
  const out: ScopeProfiles = { scope: undefined, profiles: [], schemaUrl: "" };
  while (r.more()) {
    const tag = r.tag();
    if (tag === 0x0a) out.scope = readScope(r.sub());
    else if (tag === 0x12) out.profiles.push(readProfile(r.sub()));
    else if (tag === 0x1a) out.schemaUrl = r.string("schema_url");
    else r.skip(tag);
  }
  return out;
}

function readValueType(r: ProtoReader): OtlpValueType {
  const out: OtlpValueType = { typeStrindex: 0, unitStrindex: 0 };
  while (r.more()) {
    const tag = r.tag();
    if (tag === 0x08) out.typeStrindex = r.int32();
    else if (tag === 0x10) out.unitStrindex = r.int32();
    else if (tag >>> 3 === 3) {
      throw new OtlpLayoutError(
        "ValueType.aggregation_temporality (field 3) is set, which only the layout of " +
          "opentelemetry-proto v1.8.0 and older has",
      );
    } else r.skip(tag);
  }
  return out;
}

function readProfile(r: ProtoReader): OtlpProfile {
  const out: OtlpProfile = {
    sampleType: undefined,
    samples: [],
    timeUnixNano: 0,
    durationNano: 0,
    periodType: undefined,
    period: 0,
    profileId: new Uint8Array(0),
    droppedAttributesCount: 0,
    originalPayloadFormat: "",
    originalPayload: new Uint8Array(0),
    attributeIndices: [],
  };
  while (r.more()) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        if ((tag & 7) !== 2) return wrongType("Profile.sample_type");
        out.sampleType = readValueType(r.sub());
        break;
      case 2:
        if ((tag & 7) !== 2) return wrongType("Profile.samples");
        out.samples.push(readSample(r.sub()));
        break;
      case 3:
        if (tag === 0x19) out.timeUnixNano = r.fixed64();
        else if ((tag & 7) === 0) {
          throw new OtlpLayoutError(
            "Profile field 3 is a varint (time_nanos of an older layout), not the fixed64 " +
              "time_unix_nano",
          );
        } else r.skip(tag);
        break;
      case 4:
        if ((tag & 7) === 0) out.durationNano = r.uint64();
        else r.skip(tag);
        break;
      case 5:
        if ((tag & 7) !== 2) return wrongType("Profile.period_type");
        out.periodType = readValueType(r.sub());
        break;
      case 6:
        if ((tag & 7) === 0) out.period = r.int64();
        else r.skip(tag);
        break;
      case 7:
        out.profileId = r.bytes();
        break;
      case 8:
        out.droppedAttributesCount = r.uint32();
        break;
      case 9:
        out.originalPayloadFormat = r.string("Profile.original_payload_format");
        break;
      case 10:
        out.originalPayload = r.bytes();
        break;
      case 11:
        r.repeated(tag, out.attributeIndices, int32);
        break;
      case 12:
        throw new OtlpLayoutError(
          "Profile field 12 (attribute_indices of opentelemetry-proto v1.8.0 and older) is set",
        );
      default:
        r.skip(tag);
    }
  }
  return out;
}

function wrongType(field: string): never {
  throw new ProtoDecodeError(`${field}: wrong wire type`);
}

function readSample(r: ProtoReader): OtlpSample {
  const out: OtlpSample = {
    stackIndex: 0,
    attributeIndices: [],
    linkIndex: 0,
    values: [],
    timestampsUnixNano: [],
  };
  while (r.more()) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        out.stackIndex = r.int32();
        break;
      case 2:
        r.repeated(tag, out.attributeIndices, int32);
        break;
      case 3:
        if ((tag & 7) === 2) {
          throw new OtlpLayoutError(
            "Sample field 3 is length-delimited: packed attribute_indices of the " +
              "opentelemetry-proto v1.9.0 layout (v1.10.0 moved them to field 2 and made " +
              "field 3 the link_index varint)",
          );
        }
        out.linkIndex = r.int32();
        break;
      case 4:
        r.repeated(tag, out.values, int64);
        break;
      case 5:
        r.repeated(tag, out.timestampsUnixNano, fixed64);
        break;
      default:
        r.skip(tag);
    }
  }
  return out;
}

function readDictionary(r: ProtoReader): ProfilesDictionary {
  const d = noDictionary();
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        d.mappingTable.push(readMapping(r.sub()));
        break;
      case 0x12:
        d.locationTable.push(readLocation(r.sub()));
        break;
      case 0x1a:
        d.functionTable.push(readFunction(r.sub()));
        break;
      case 0x22:
        d.linkTable.push(readLink(r.sub()));
        break;
      case 0x2a:
        d.stringTable.push(r.string(`string_table[${d.stringTable.length}]`));
        break;
      case 0x32:
        d.attributeTable.push(readKeyValueAndUnit(r.sub()));
        break;
      case 0x3a: {
        const inner = r.sub();
        const stack: OtlpStack = { locationIndices: [] };
        while (inner.more()) {
          const t = inner.tag();
          if (t >>> 3 === 1) inner.repeated(t, stack.locationIndices, int32);
          else inner.skip(t);
        }
        d.stackTable.push(stack);
        break;
      }
      default:
        r.skip(tag);
    }
  }
  return d;
}

function readMapping(r: ProtoReader): OtlpMapping {
  const out: OtlpMapping = {
    memoryStart: 0,
    memoryLimit: 0,
    fileOffset: 0,
    filenameStrindex: 0,
    attributeIndices: [],
  };
  while (r.more()) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        out.memoryStart = r.uint64();
        break;
      case 2:
        out.memoryLimit = r.uint64();
        break;
      case 3:
        out.fileOffset = r.uint64();
        break;
      case 4:
        out.filenameStrindex = r.int32();
        break;
      case 5:
        r.repeated(tag, out.attributeIndices, int32);
        break;
      default:
        r.skip(tag);
    }
  }
  return out;
}

function readLocation(r: ProtoReader): OtlpLocation {
  const out: OtlpLocation = { mappingIndex: 0, address: 0, lines: [], attributeIndices: [] };
  while (r.more()) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        out.mappingIndex = r.int32();
        break;
      case 2:
        out.address = r.uint64();
        break;
      case 3: {
        const inner = r.sub();
        const line: OtlpLine = { functionIndex: 0, line: 0, column: 0 };
        while (inner.more()) {
          const t = inner.tag();
          if (t === 0x08) line.functionIndex = inner.int32();
          else if (t === 0x10) line.line = inner.int64();
          else if (t === 0x18) line.column = inner.int64();
          else inner.skip(t);
        }
        out.lines.push(line);
        break;
      }
      case 4:
        r.repeated(tag, out.attributeIndices, int32);
        break;
      default:
        r.skip(tag);
    }
  }
  return out;
}

function readFunction(r: ProtoReader): OtlpFunction {
  const out: OtlpFunction = {
    nameStrindex: 0,
    systemNameStrindex: 0,
    filenameStrindex: 0,
    startLine: 0,
  };
  while (r.more()) {
    const tag = r.tag();
    if (tag === 0x08) out.nameStrindex = r.int32();
    else if (tag === 0x10) out.systemNameStrindex = r.int32();
    else if (tag === 0x18) out.filenameStrindex = r.int32();
    else if (tag === 0x20) out.startLine = r.int64();
    else r.skip(tag);
  }
  return out;
}

function readLink(r: ProtoReader): OtlpLink {
  const out: OtlpLink = { traceId: new Uint8Array(0), spanId: new Uint8Array(0) };
  while (r.more()) {
    const tag = r.tag();
    if (tag === 0x0a) out.traceId = r.bytes();
    else if (tag === 0x12) out.spanId = r.bytes();
    else r.skip(tag);
  }
  return out;
}

function readKeyValueAndUnit(r: ProtoReader): KeyValueAndUnit {
  const out: KeyValueAndUnit = { keyStrindex: 0, value: undefined, unitStrindex: 0 };
  while (r.more()) {
    const tag = r.tag();
    if (tag === 0x08) out.keyStrindex = r.int32();
    else if (tag === 0x12) out.value = readAnyValue(r.sub());
    else if (tag === 0x18) out.unitStrindex = r.int32();
    else r.skip(tag);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Binary encoding

/** Encodes an `ExportProfilesServiceRequest`. */
export function encodeExportRequest(request: ExportProfilesRequest): Uint8Array {
  const w = new ProtoWriter();
  for (const rp of request.resourceProfiles) w.message(1, (m) => writeResourceProfiles(m, rp));
  w.message(2, (m) => writeDictionary(m, request.dictionary));
  return w.finish();
}

function writeResourceProfiles(w: ProtoWriter, rp: ResourceProfiles): void {
  if (rp.resource) {
    const resource = rp.resource;
    w.message(1, (m) => {
      for (const kv of resource.attributes) m.message(1, (k) => writeKeyValue(k, kv));
      m.int32(2, resource.droppedAttributesCount);
    });
  }
  for (const sp of rp.scopeProfiles) {
    w.message(2, (m) => {
      if (sp.scope) {
        const scope = sp.scope;
        m.message(1, (s) => {
          s.string(1, scope.name).string(2, scope.version);
          for (const kv of scope.attributes) s.message(3, (k) => writeKeyValue(k, kv));
          s.int32(4, scope.droppedAttributesCount);
        });
      }
      for (const p of sp.profiles) m.message(2, (pm) => writeProfile(pm, p));
      m.string(3, sp.schemaUrl);
    });
  }
  w.string(3, rp.schemaUrl);
}

function writeKeyValue(w: ProtoWriter, kv: KeyValue): void {
  w.string(1, kv.key);
  if (kv.keyStrindex !== undefined) w.int32(3, kv.keyStrindex);
  if (kv.value) {
    const value = kv.value;
    w.message(2, (m) => writeAnyValue(m, value));
  }
}

function writeAnyValue(w: ProtoWriter, value: AnyValue): void {
  switch (value.kind) {
    case "string":
      w.string(1, value.value, true);
      break;
    case "bool": // a oneof member is written even when it is the zero value
      w.bool(2, value.value, true);
      break;
    case "int":
      w.int64(3, value.value, true);
      break;
    case "double":
      w.double(4, value.value, true);
      break;
    case "bytes":
      w.bytes(7, value.value, true);
      break;
    case "strindex":
      w.int64(8, value.value, true);
      break;
    case "array":
      w.message(5, (m) => {
        for (const one of value.value) m.message(1, (v) => one && writeAnyValue(v, one));
      });
      break;
    case "kvlist":
      w.message(6, (m) => {
        for (const kv of value.value) m.message(1, (k) => writeKeyValue(k, kv));
      });
      break;
  }
}

function writeValueType(w: ProtoWriter, vt: OtlpValueType): void {
  w.int32(1, vt.typeStrindex).int32(2, vt.unitStrindex);
}

function writeProfile(w: ProtoWriter, p: OtlpProfile): void {
  if (p.sampleType) {
    const vt = p.sampleType;
    w.message(1, (m) => writeValueType(m, vt));
  }
  for (const s of p.samples) {
    w.message(2, (m) => {
      m.int32(1, s.stackIndex);
      m.packedInt(2, s.attributeIndices);
      m.int32(3, s.linkIndex);
      m.packedInt(4, s.values);
      m.packedFixed64(5, s.timestampsUnixNano);
    });
  }
  w.fixed64(3, p.timeUnixNano);
  w.int64(4, p.durationNano);
  if (p.periodType) {
    const vt = p.periodType;
    w.message(5, (m) => writeValueType(m, vt));
  }
  w.int64(6, p.period);
  w.bytes(7, p.profileId);
  w.int32(8, p.droppedAttributesCount);
  w.string(9, p.originalPayloadFormat);
  w.bytes(10, p.originalPayload);
  w.packedInt(11, p.attributeIndices);
}

function writeDictionary(w: ProtoWriter, d: ProfilesDictionary): void {
  for (const m of d.mappingTable) {
    w.message(1, (x) => {
      x.int64(1, m.memoryStart).int64(2, m.memoryLimit).int64(3, m.fileOffset);
      x.int32(4, m.filenameStrindex).packedInt(5, m.attributeIndices);
    });
  }
  for (const l of d.locationTable) {
    w.message(2, (x) => {
      x.int32(1, l.mappingIndex).int64(2, l.address);
      for (const line of l.lines) {
        x.message(
          3,
          (y) => y.int32(1, line.functionIndex).int64(2, line.line).int64(3, line.column),
        );
      }
      x.packedInt(4, l.attributeIndices);
    });
  }
  for (const f of d.functionTable) {
    w.message(3, (x) => {
      x.int32(1, f.nameStrindex).int32(2, f.systemNameStrindex).int32(3, f.filenameStrindex);
      x.int64(4, f.startLine);
    });
  }
  for (const l of d.linkTable) w.message(4, (x) => x.bytes(1, l.traceId).bytes(2, l.spanId));
  for (const s of d.stringTable) w.string(5, s, true);
  for (const a of d.attributeTable) {
    w.message(6, (x) => {
      x.int32(1, a.keyStrindex);
      if (a.value) {
        const value = a.value;
        x.message(2, (v) => writeAnyValue(v, value));
      }
      x.int32(3, a.unitStrindex);
    });
  }
  for (const s of d.stackTable) w.message(7, (x) => x.packedInt(1, s.locationIndices));
}

/** Encodes an `ExportProfilesServiceResponse` (empty when nothing was rejected). */
export function encodeExportResponse(rejected: number, errorMessage: string): Uint8Array {
  const w = new ProtoWriter();
  if (rejected > 0 || errorMessage !== "") {
    w.message(1, (m) => m.int64(1, rejected).string(2, errorMessage));
  }
  return w.finish();
}

/** Encodes a `google.rpc.Status` (the body of OTLP/HTTP error answers). */
export function encodeStatus(code: number, message: string): Uint8Array {
  return new ProtoWriter().int32(1, code).string(2, message).finish();
}

/**
 * Replaces the dictionary references of v1.10.0's `common.proto` (`KeyValue.key_strindex`,
 * `AnyValue.string_value_strindex`, which pdata uses for resource and attribute-table strings)
 * by the strings they name, in resources, scopes and the attribute table. An index outside the
 * string table fails the request ({@linkcode OtlpDecodeError}).
 */
export function resolveStrindices(request: ExportProfilesRequest): ExportProfilesRequest {
  const strings = request.dictionary.stringTable;
  const at = (index: number, what: string): string => {
    const text = strings[index];
    if (text === undefined || index < 0) {
      throw new OtlpDecodeError(
        `${what} ${index} is out of range (the string table has ${strings.length})`,
      );
    }
    return text;
  };
  const value = (v: AnyValue | undefined): AnyValue | undefined => {
    if (v === undefined) return v;
    switch (v.kind) {
      case "strindex":
        return { kind: "string", value: at(v.value, "string_value_strindex") };
      case "array":
        return { kind: "array", value: v.value.map(value) };
      case "kvlist":
        return { kind: "kvlist", value: v.value.map(keyValue) };
      default:
        return v;
    }
  };
  const keyValue = (kv: KeyValue): KeyValue => ({
    key: kv.key === "" && kv.keyStrindex ? at(kv.keyStrindex, "key_strindex") : kv.key,
    value: value(kv.value),
  });
  for (const rp of request.resourceProfiles) {
    if (rp.resource) rp.resource.attributes = rp.resource.attributes.map(keyValue);
    for (const sp of rp.scopeProfiles) {
      if (sp.scope) sp.scope.attributes = sp.scope.attributes.map(keyValue);
    }
  }
  for (const attribute of request.dictionary.attributeTable) {
    attribute.value = value(attribute.value);
  }
  return request;
}
