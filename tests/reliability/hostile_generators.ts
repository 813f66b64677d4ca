/**
 * Generators of hostile requests for reliability scenario 5, seeded so every run sends the
 * same bodies (a failure replays). Each generator yields a request that must be refused with a
 * 4xx: the kind names the mutation so a failure says what got through.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { gunzipSync } from "node:zlib";
import { encodePushRequest } from "../../core/wire/push_proto.ts";
import { LabelSet } from "../../core/labels.ts";
import { profileBytes } from "./harness.ts";

/** One hostile request. */
export interface HostileRequest {
  kind: string;
  path: string;
  contentType: string | undefined;
  body: Uint8Array;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = new TextEncoder();
const PUSH = "/push.v1.PusherService/Push";

function bytes(random: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

function pushBody(labels: Record<string, string>, raw: Uint8Array): Uint8Array {
  return encodePushRequest([{ labels: LabelSet.from(labels), samples: [{ rawProfile: raw }] }]);
}

/** Encodes a LabelPair-like field by hand so invalid UTF-8 reaches the wire. */
function rawLabelPush(nameBytes: Uint8Array, raw: Uint8Array): Uint8Array {
  const pair = [0x0a, nameBytes.length, ...nameBytes, 0x12, 1, 0x78];
  const sample = [0x0a, ...varint(raw.length), ...raw];
  const series = [0x0a, ...varint(pair.length), ...pair, 0x12, ...varint(sample.length), ...sample];
  return new Uint8Array([0x0a, ...varint(series.length), ...series]);
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/**
 * Flips one bit of a gzip stream's deflate data or trailer, retrying when the flip lands on a
 * bit that changes nothing (the unused padding bits of the last deflate byte).
 */
function flipGzip(random: () => number, data: Uint8Array): Uint8Array {
  const original = gunzipSync(data);
  while (true) {
    const copy = data.slice();
    const at = 10 + Math.floor(random() * (copy.length - 10));
    copy[at]! ^= 1 << Math.floor(random() * 8);
    try {
      if (Buffer.compare(gunzipSync(copy), original) === 0) continue;
    } catch {
      // Corrupt, as intended.
    }
    return copy;
  }
}

/** Connect Push, binary. */
export function hostilePush(random: () => number, i: number): HostileRequest {
  const valid = profileBytes(i);
  const labels = { __name__: "process_cpu", service_name: "hostile" };
  const proto = "application/proto";
  switch (i % 12) {
    case 0:
      return {
        kind: "random bytes",
        path: PUSH,
        contentType: proto,
        body: bytes(random, 1 + Math.floor(random() * 2000)),
      };
    case 1: {
      const body = pushBody(labels, valid);
      return {
        kind: "truncated request",
        path: PUSH,
        contentType: proto,
        body: body.subarray(0, 3 + Math.floor(random() * (body.length - 4))),
      };
    }
    case 2: {
      // Flip inside the gzip stream of raw_profile (after its 10-byte header).
      const flipped = flipGzip(random, valid);
      return {
        kind: "bit-flipped gzip profile",
        path: PUSH,
        contentType: proto,
        body: pushBody(labels, flipped),
      };
    }
    case 3:
      return {
        kind: "truncated gzip profile",
        path: PUSH,
        contentType: proto,
        body: pushBody(labels, valid.subarray(0, 5 + Math.floor(random() * (valid.length - 6)))),
      };
    case 4:
      return {
        kind: "random protobuf-looking profile",
        path: PUSH,
        contentType: proto,
        body: pushBody(labels, new Uint8Array([0x0a, 0xff, 0xff, ...bytes(random, 50)])),
      };
    case 5:
      return {
        kind: "very long label value",
        path: PUSH,
        contentType: proto,
        body: pushBody(
          { ...labels, big: "v".repeat(2049 + Math.floor(random() * 100_000)) },
          valid,
        ),
      };
    case 6:
      return {
        kind: "very long label name",
        path: PUSH,
        contentType: proto,
        body: pushBody({ ...labels, ["n".repeat(1025 + Math.floor(random() * 5000))]: "v" }, valid),
      };
    case 7: {
      const many: Record<string, string> = { ...labels };
      for (let k = 0; k < 31 + Math.floor(random() * 200); k++) many[`l${k}`] = "v";
      return {
        kind: "too many labels",
        path: PUSH,
        contentType: proto,
        body: pushBody(many, valid),
      };
    }
    case 8:
      return {
        kind: "invalid UTF-8 label name",
        path: PUSH,
        contentType: proto,
        body: rawLabelPush(new Uint8Array([0xff, 0xfe, 0x41]), valid),
      };
    case 9:
      return {
        kind: "no labels at all",
        path: PUSH,
        contentType: proto,
        body: encodePushRequest([{ labels: LabelSet.EMPTY, samples: [{ rawProfile: valid }] }]),
      };
    case 10:
      return {
        kind: "absurd length prefix",
        path: PUSH,
        contentType: proto,
        body: new Uint8Array([0x0a, ...varint(2 ** 40), 0x0a, 0x01]),
      };
    default: {
      const types = [
        "text/plain",
        "application/grpc",
        "application/x-www-form-urlencoded",
        undefined,
        "application/protobuf; x=1",
      ];
      return {
        kind: "wrong content type",
        path: PUSH,
        contentType: types[Math.floor(random() * types.length)],
        body: pushBody(labels, valid),
      };
    }
  }
}

/** Connect Push, JSON. */
export function hostileJson(random: () => number, i: number): HostileRequest {
  const json = "application/json";
  const b64 = btoa(String.fromCharCode(...profileBytes(i)));
  const good = (raw: string, labels: unknown = [{ name: "__name__", value: "cpu" }]) =>
    enc.encode(JSON.stringify({ series: [{ labels, samples: [{ rawProfile: raw }] }] }));
  switch (i % 10) {
    case 0:
      return {
        kind: "random text",
        path: PUSH,
        contentType: json,
        body: enc.encode(
          Array.from(
            { length: 1 + Math.floor(random() * 500) },
            () => String.fromCharCode(32 + Math.floor(random() * 95)),
          ).join(""),
        ),
      };
    case 1: {
      const depth = 1000 + Math.floor(random() * 200_000);
      return {
        kind: "deeply nested JSON",
        path: PUSH,
        contentType: json,
        body: enc.encode("[".repeat(depth) + "]".repeat(depth)),
      };
    }
    case 2: {
      const depth = 1000 + Math.floor(random() * 50_000);
      return {
        kind: "deeply nested series",
        path: PUSH,
        contentType: json,
        body: enc.encode(`{"series":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`),
      };
    }
    case 3: {
      const wrong = [
        '{"series":5}',
        '{"series":[{"labels":"x"}]}',
        '{"series":[{"samples":[{"rawProfile":12}]}]}',
        '{"series":[null]}',
        "null",
        "[]",
        '"x"',
        '{"series":[{"labels":[{"name":5}]}]}',
      ];
      return {
        kind: "wrong JSON types",
        path: PUSH,
        contentType: json,
        body: enc.encode(wrong[Math.floor(random() * wrong.length)]!),
      };
    }
    case 4:
      return {
        kind: "invalid base64",
        path: PUSH,
        contentType: json,
        body: good("!!not base64!!" + Math.floor(random() * 1000)),
      };
    case 5:
      return {
        kind: "valid JSON, corrupt profile",
        path: PUSH,
        contentType: json,
        body: good(btoa(String.fromCharCode(...bytes(random, 40)))),
      };
    case 6: {
      const body = good(b64, [{ name: "__name__", value: "cpu" }, {
        name: "service_name",
        value: "s",
      }]);
      return {
        kind: "truncated JSON",
        path: PUSH,
        contentType: json,
        body: body.subarray(0, 1 + Math.floor(random() * (body.length - 2))),
      };
    }
    case 7:
      return {
        kind: "invalid UTF-8 in JSON",
        path: PUSH,
        contentType: json,
        body: new Uint8Array([
          ...enc.encode('{"series":[{"labels":[{"name":"'),
          0xc3,
          0x28,
          ...enc.encode('","value":"x"}]}]}'),
        ]),
      };
    case 8:
      return {
        kind: "huge label value in JSON",
        path: PUSH,
        contentType: json,
        body: good(b64, [{ name: "__name__", value: "cpu" }, {
          name: "x",
          value: "y".repeat(3000 + Math.floor(random() * 200_000)),
        }]),
      };
    default:
      return { kind: "empty JSON body", path: PUSH, contentType: json, body: new Uint8Array() };
  }
}

/** Legacy `/ingest`. */
export function hostileIngest(random: () => number, i: number): HostileRequest {
  const valid = profileBytes(i);
  const pprof = "application/octet-stream";
  const q = (name: string, extra = "&format=pprof") =>
    `/ingest?name=${encodeURIComponent(name)}${extra}`;
  switch (i % 10) {
    case 0: {
      // Only names docs/spec/pyroscope-wire.md §6.2 refuses: its lossy forms (`a{b=c`, `a{b`) are accepted by design.
      const names = ["", "{", "a{=c}", "{x=y}", "a b", "a{b-c=d}", "é{x=y}", "\u0000", "a{b c=d}"];
      const name = names[Math.floor(random() * names.length)]!;
      return {
        kind: `absurd name ${JSON.stringify(name)}`,
        path: name === "" ? "/ingest?format=pprof" : q(name),
        contentType: pprof,
        body: valid,
      };
    }
    case 1:
      return {
        kind: "very long name",
        path: q(`app{k=${"v".repeat(3000 + Math.floor(random() * 30_000))}}`),
        contentType: pprof,
        body: valid,
      };
    case 2:
      return {
        kind: "garbage pprof",
        path: q("app"),
        contentType: pprof,
        body: bytes(random, 1 + Math.floor(random() * 3000)),
      };
    case 3:
      return {
        kind: "truncated gzip pprof",
        path: q("app"),
        contentType: pprof,
        body: valid.subarray(0, 3 + Math.floor(random() * (valid.length - 4))),
      };
    case 4:
      return {
        kind: "bit-flipped gzip pprof",
        path: q("app"),
        contentType: pprof,
        body: flipGzip(random, valid),
      };
    case 5:
      return {
        kind: "unknown format",
        path: q(
          "app",
          `&format=${["pprofx", "json", "PPROF", "x".repeat(100)][Math.floor(random() * 4)]}`,
        ),
        contentType: pprof,
        body: valid,
      };
    case 6:
      return { kind: "empty body", path: q("app"), contentType: pprof, body: new Uint8Array() };
    case 7: {
      const boundary = "XYZ";
      const body = enc.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="profile"; filename="p"\r\n\r\n`,
      );
      const whole = new Uint8Array([...body, ...valid, ...enc.encode(`\r\n--${boundary}--\r\n`)]);
      const variants: [string, string, Uint8Array][] = [
        ["multipart without boundary", "multipart/form-data", whole],
        [
          "truncated multipart",
          `multipart/form-data; boundary=${boundary}`,
          whole.subarray(0, 10 + Math.floor(random() * (whole.length - 20))),
        ],
        [
          "multipart of random bytes",
          `multipart/form-data; boundary=${boundary}`,
          bytes(random, 500),
        ],
      ];
      const [kind, type, data] = variants[Math.floor(random() * variants.length)]!;
      return { kind, path: q("app", ""), contentType: type, body: data };
    }
    case 8: {
      const boundary = "B0UNDARY";
      const part = (name: string, data: Uint8Array) => [
        ...enc.encode(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        ),
        ...data,
        ...enc.encode("\r\n"),
      ];
      const body = new Uint8Array([
        ...part("profile", bytes(random, 300)),
        ...enc.encode(`--${boundary}--\r\n`),
      ]);
      return {
        kind: "multipart with a corrupt profile",
        path: q("app", ""),
        contentType: `multipart/form-data; boundary=${boundary}`,
        body,
      };
    }
    default:
      return {
        kind: "jfr multipart without jfr part",
        path: q("app", "&format=jfr"),
        contentType: "multipart/form-data; boundary=Q",
        body: enc.encode(
          '--Q\r\nContent-Disposition: form-data; name="labels"\r\n\r\nx\r\n--Q--\r\n',
        ),
      };
  }
}
