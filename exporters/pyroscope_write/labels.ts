/**
 * The labels `pyroscope.write` sends (docs/spec/pyroscope-wire.md §4.2–4.3, §1.3 and §7): private `__*` labels are
 * stripped and `__tenant_id__` becomes the tenant (both rules from `core/pyroscope_labels/`,
 * shared with the receivers and the `file` exporter), `external_labels` override (an
 * empty value deletes), and the result is checked against what the server would refuse: such
 * an item is refused at admission ({@linkcode InvalidItemError}: receive_http answers 400, the
 * pipeline counts it by reason) instead of being sent.
 *
 * ARCHITECTURE §8: the ingest path keeps `__name__` (the application name with its type
 * suffix) instead of overwriting it with `service_name` as Alloy does.
 *
 * @example
 * ```ts
 * import { prepareLabels } from "./labels.ts";
 * import { LabelSet } from "../../core/labels.ts";
 * const out = prepareLabels(
 *   "push",
 *   LabelSet.from({ __name__: "process_cpu", __address__: "a:1", __tenant_id__: "t1", job: "x" }),
 *   [["cluster", "c1"], ["job", ""]],
 * );
 * out.labels.toRecord(); // { __name__: "process_cpu", cluster: "c1" }
 * out.tenant; // "t1"
 * ```
 * @module
 */

import { InvalidItemError } from "../../core/component.ts";
import type { LabelSet } from "../../core/labels.ts";
import {
  isIngestAppName,
  isIngestLabelName,
  isIngestLabelValue,
  tenantOf,
  wireLabels,
} from "../../core/pyroscope_labels/mod.ts";

/** Pyroscope's default limits (docs/spec/pyroscope-wire.md §7.4). */
export const MAX_LABEL_NAME_BYTES = 1024;
export const MAX_LABEL_VALUE_BYTES = 2048;
export const MAX_LABEL_NAMES_PER_SERIES = 30;

/** Labels to send and the tenant to send them for. */
export interface PreparedLabels {
  readonly labels: LabelSet;
  readonly tenant: string | undefined;
}

const encoder = new TextEncoder();
function utf8Length(text: string): number {
  // Cheap bound first: a UTF-16 unit never takes more than 3 UTF-8 bytes.
  return text.length * 3 <= MAX_LABEL_NAME_BYTES ? text.length : encoder.encode(text).byteLength;
}

/**
 * Builds the outgoing labels of an item. Throws {@linkcode InvalidItemError} (reason as in the
 * server's discarded-samples reasons) when the server would refuse them.
 */
export function prepareLabels(
  kind: "push" | "ingest",
  incoming: LabelSet,
  external: readonly (readonly [string, string])[],
): PreparedLabels {
  const tenant = tenantOf(incoming);
  let labels = wireLabels(incoming, kind);
  for (const [name, value] of external) labels = labels.with(name, value);
  if (kind === "push") checkPush(labels);
  else checkIngest(labels);
  return { labels, tenant };
}

function refuse(reason: string, message: string): never {
  throw new InvalidItemError(message, reason);
}

function checkPush(labels: LabelSet): void {
  if (labels.size === 0) refuse("invalid_labels", "the profile has no labels left to send");
  if (!labels.has("__name__")) {
    refuse("invalid_labels", `labels ${labels} have no __name__ (the profile type)`);
  }
  // The server adds service_name=unknown_service when missing, and counts it.
  const count = labels.size + (labels.has("service_name") ? 0 : 1);
  if (count > MAX_LABEL_NAMES_PER_SERIES) {
    refuse(
      "max_label_names_per_series",
      `labels ${labels} have ${count} names; the server accepts at most ${MAX_LABEL_NAMES_PER_SERIES}`,
    );
  }
  checkEach(labels);
}

function checkIngest(labels: LabelSet): void {
  const app = labels.get("__name__");
  if (app === undefined) {
    refuse("invalid_labels", `labels ${labels} have no __name__ (the application name)`);
  }
  if (!isIngestAppName(app)) {
    refuse(
      "invalid_labels",
      `application name ${JSON.stringify(app)} may only use A-Z, a-z, 0-9, _, ., - and / in name=`,
    );
  }
  const names = labels.names;
  const values = labels.values;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const value = values[i]!;
    if (name === "__name__") continue;
    if (!isIngestLabelName(name)) {
      refuse(
        "invalid_labels",
        `label name ${JSON.stringify(name)} cannot be sent in name= (only A-Z, a-z, 0-9, _ and .)`,
      );
    }
    if (!isIngestLabelValue(value)) {
      refuse(
        "invalid_labels",
        `label ${name}=${
          JSON.stringify(value)
        } cannot be sent in name= (no , { } = or edge spaces)`,
      );
    }
  }
  checkEach(labels);
}

function checkEach(labels: LabelSet): void {
  const names = labels.names;
  const values = labels.values;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const value = values[i]!;
    if (name === "") refuse("invalid_labels", `labels ${labels} have an empty name`);
    if (!name.isWellFormed() || !value.isWellFormed()) {
      refuse("invalid_labels", `label ${JSON.stringify(name)} is not valid UTF-8`);
    }
    if (utf8Length(name) > MAX_LABEL_NAME_BYTES) {
      refuse(
        "label_name_too_long",
        `label name ${
          JSON.stringify(name.slice(0, 64))
        }… is longer than ${MAX_LABEL_NAME_BYTES} bytes`,
      );
    }
    if (
      value.length > MAX_LABEL_VALUE_BYTES / 3 &&
      encoder.encode(value).byteLength > MAX_LABEL_VALUE_BYTES
    ) {
      refuse(
        "label_value_too_long",
        `label ${name} has a value longer than ${MAX_LABEL_VALUE_BYTES} bytes`,
      );
    }
  }
}
