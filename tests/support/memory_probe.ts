/**
 * A collector in this process, fed over 127.0.0.1 with requests whose kept part is small and
 * whose buffer is large; prints what stays resident after a forced GC. Run by
 * `tests/memory_bound_test.ts` in a subprocess started with `--v8-flags=--expose-gc`:
 *
 *     deno run --allow-all --v8-flags=--expose-gc tests/support/memory_probe.ts <scenario>
 *
 * Scenarios (each sends `requests` Pushes with `bigBytes` of payload each):
 * - `relabel`: the endpoint is down, `queue.max_bytes: 8MiB`; each Push carries one large
 *   series that relabeling drops and one small series that is kept (and queued).
 * - `padded`: the endpoint is down; each Push is padded with a large unknown protobuf field
 *   and carries one tiny series, sent gzipped (small on the wire).
 * - `ring`: every series is dropped by relabeling (nothing is queued); each Push spreads its
 *   payload over 5 series, which the console's profile ring records (cap 16 MiB).
 *
 * Prints one JSON line: `{ "scenario", "accepted", "baseline", "after", "retained" }` with byte
 * counts of `Deno.memoryUsage().external` (ArrayBuffer backing stores live outside the V8 heap).
 *
 * @module
 */

import { builtinFactories } from "../../components.ts";
import { LabelSet } from "../../core/labels.ts";
import { Registry } from "../../core/registry.ts";
import { Collector } from "../../core/service/collector.ts";
import { Logger } from "../../core/telemetry/logger.ts";
import { encodePushRequest } from "../../core/wire/push_proto.ts";

const MiB = 1024 * 1024;

/** What a scenario needs: its pipeline and the Pushes it sends. */
interface Scenario {
  readonly processors: string;
  readonly consoleMemory: string;
  readonly body: (n: number) => Promise<{ body: Uint8Array; gzip: boolean }>;
}

function series(labels: Record<string, string>, bytes: number) {
  const rawProfile = new Uint8Array(bytes);
  rawProfile.fill(labels.n!.length, 0, Math.min(bytes, 64));
  return {
    labels: LabelSet.from({ __name__: "process_cpu", ...labels }),
    samples: [{ rawProfile }],
  };
}

/** Field 15, length-delimited: unknown to `PushRequest`, so a decoder skips it. */
function unknownField(bytes: number): Uint8Array {
  const length: number[] = [];
  for (let rest = bytes;; rest = Math.floor(rest / 128)) {
    if (rest < 128) {
      length.push(rest);
      break;
    }
    length.push((rest % 128) | 0x80);
  }
  const out = new Uint8Array(1 + length.length + bytes);
  out[0] = (15 << 3) | 2;
  out.set(length, 1);
  return out;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function scenario(name: string, bigBytes: number): Scenario {
  switch (name) {
    case "relabel":
      return {
        processors: `relabel/small:
    rule: [{ source_labels: [size], regex: big, action: drop }]`,
        consoleMemory: "0",
        body: (n) =>
          Promise.resolve({
            body: encodePushRequest([
              series({ service_name: "svc", size: "big", n: String(n) }, bigBytes),
              series({ service_name: "svc", size: "small", n: String(n) }, 48),
            ]),
            gzip: false,
          }),
      };
    case "padded":
      return {
        processors: `relabel/small: { rule: [] }`,
        consoleMemory: "0",
        body: async (n) => {
          const push = encodePushRequest([series({ service_name: "svc", n: String(n) }, 48)]);
          const padding = unknownField(bigBytes);
          const whole = new Uint8Array(padding.byteLength + push.byteLength);
          whole.set(padding);
          whole.set(push, padding.byteLength);
          return { body: await gzip(whole), gzip: true };
        },
      };
    case "ring":
      return {
        processors: `relabel/small:
    rule: [{ source_labels: [service_name], regex: ".*", action: drop }]`,
        consoleMemory: "16MiB",
        body: (n) =>
          Promise.resolve({
            body: encodePushRequest(
              Array.from(
                { length: 5 },
                (_, s) => series({ service_name: `svc${s}`, n: String(n) }, bigBytes / 5),
              ),
            ),
            gzip: false,
          }),
      };
  }
  throw new Error(`unknown scenario ${JSON.stringify(name)}: use relabel, padded or ring`);
}

function configText(chosen: Scenario): string {
  return `receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
processors:
  ${chosen.processors}
exporters:
  pyroscope.write/down:
    endpoint: [{ url: "http://127.0.0.1:1", min_backoff_period: 1s, max_backoff_period: 1s }]
    queue: { max_bytes: 8MiB }
service:
  pipelines:
    profiles:
      receivers: [pyroscope.receive_http/in]
      processors: [relabel/small]
      exporters: [pyroscope.write/down]
  telemetry:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
    console: { profiles_memory: ${chosen.consoleMemory} }
`;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");

async function settledExternal(): Promise<number> {
  // Timers and batched work (the console's profile copies) finish first.
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Deno.memoryUsage().external;
}

const [name = "", requestsArg = "40", bigArg = String(4 * MiB)] = Deno.args;
const requests = Number(requestsArg);
const chosen = scenario(name, Number(bigArg));
let url = "";
const collector = new Collector({
  configFiles: ["memory_probe.yaml"],
  registry: new Registry(builtinFactories),
  version: "test",
  logger: new Logger({
    write: (line) => {
      const match = /receiving profiles.*url=(http:\/\/[\d.]+:\d+)/.exec(line);
      if (match) url = match[1]!;
    },
  }),
  loadOptions: { readFile: () => configText(chosen), env: () => undefined },
});
await collector.start();
try {
  if (url === "") throw new Error("the receiver did not log its URL");
  const baseline = await settledExternal();
  let accepted = 0;
  for (let n = 0; n < requests; n++) {
    const { body, gzip } = await chosen.body(n);
    const response = await fetch(`${url}/push.v1.PusherService/Push`, {
      method: "POST",
      headers: {
        "content-type": "application/proto",
        ...(gzip ? { "content-encoding": "gzip" } : {}),
      },
      body: body as BodyInit,
    });
    await response.body?.cancel();
    if (response.status === 200) accepted++;
    else throw new Error(`push ${n} answered ${response.status}`);
  }
  const after = await settledExternal();
  console.log(
    JSON.stringify({ scenario: name, accepted, baseline, after, retained: after - baseline }),
  );
} finally {
  await collector.shutdown(1000);
}
