/**
 * A real collector process (`main.ts run`) fed over Connect Push, for the delivery and
 * operability tests: start it, push numbered profiles, and read which numbers a sink received.
 *
 * @module
 */

import { LabelSet } from "../../core/labels.ts";
import { encodePushRequest } from "../../core/wire/push_proto.ts";
import { Profcol, tempConfig } from "./process.ts";
import { profileBytes } from "./profiles.ts";
import type { Sink } from "./strict_sink.ts";

/** Starts `main.ts run` with `text` and waits for its receiver's URL and its admin server. */
export async function startGateway(
  dir: string,
  text: string,
  env?: Record<string, string>,
): Promise<{ proc: Profcol; url: string; admin: string }> {
  const proc = new Profcol(["run", "--config", tempConfig(text, dir)], { entry: "main.ts", env });
  const match = await proc.waitFor(/receiving profiles.*url=(http:\/\/[\d.]+:\d+)/, 20_000);
  const admin = await proc.adminUrl();
  return { proc, url: match[1]!, admin };
}

/** Pushes profile `n` (label `n`) over Connect Push; returns the status. */
export async function pushNumbered(
  url: string,
  n: number,
  rawProfile: Uint8Array = profileBytes(n),
): Promise<number> {
  const body = encodePushRequest([{
    labels: LabelSet.from({ __name__: "process_cpu", service_name: "svc", n: String(n) }),
    samples: [{ rawProfile }],
  }]);
  const response = await fetch(`${url}/push.v1.PusherService/Push`, {
    method: "POST",
    headers: { "content-type": "application/proto" },
    body: body as BodyInit,
  });
  await response.body?.cancel();
  return response.status;
}

/** The `n` labels of every push `sink` accepted, sorted. */
export function deliveredNumbers(sink: Sink): number[] {
  return sink.pushes.map((p) => Number(p.labels.n)).sort((a, b) => a - b);
}
