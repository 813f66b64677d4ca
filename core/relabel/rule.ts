/**
 * One relabel rule: the YAML form (Alloy/Prometheus snake_case names and defaults), its
 * config-load validation (spec relabel.md §2 and §11, same checks, order and messages as
 * Prometheus) and its compiled, immutable form.
 *
 * @module
 */

import { z } from "zod";
import {
  compileRelabelRegex,
  DEFAULT_REGEX,
  type RelabelRegex,
  RelabelRegexError,
} from "./regex.ts";
import { goToLower } from "./case.ts";
import { compileTemplate, type Template } from "./template.ts";

/** The eleven Prometheus relabel actions. */
export const RELABEL_ACTIONS = [
  "replace",
  "keep",
  "drop",
  "keepequal",
  "dropequal",
  "hashmod",
  "labelmap",
  "labeldrop",
  "labelkeep",
  "lowercase",
  "uppercase",
] as const;

/** A relabel action name. */
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

/**
 * Label-name validation scheme. `utf8` (Prometheus 3's default, used by profcol) accepts any
 * non-empty well-formed name, dots included; `legacy` is `[a-zA-Z_][a-zA-Z0-9_]*`.
 */
export type NameValidationScheme = "utf8" | "legacy";

/** A rule as written in YAML. Absent keys get defaults; YAML nulls count as `""` (§2). */
export interface RelabelRuleInput {
  source_labels?: string[] | null;
  separator?: string | null;
  regex?: string | null;
  modulus?: number | bigint | string | null;
  target_label?: string | null;
  replacement?: string | null;
  action?: string | null;
}

/** A compiled, validated, immutable rule. */
export interface RelabelRule {
  readonly action: RelabelAction;
  readonly sourceLabels: readonly string[];
  /** Whether `source_labels` was written at all (even `[]`), for labeldrop/labelkeep checks. */
  readonly sourceLabelsSet: boolean;
  readonly separator: string;
  readonly regex: RelabelRegex;
  /** Whether `regex` was absent and so is the shared default `(.*)`. */
  readonly regexDefaulted: boolean;
  readonly modulus: bigint;
  readonly targetLabel: string;
  readonly replacement: string;
  /** `target_label` prepared for Go template expansion (used by `replace`). */
  readonly targetTemplate: Template;
  /** `replacement` prepared for Go template expansion (`replace`, `labelmap`). */
  readonly replacementTemplate: Template;
  /** Label-name scheme of the runtime target check of `replace`. */
  readonly scheme: NameValidationScheme;
}

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// The safe (linear) equivalent of Prometheus' relabelTargetLegacy, docs/spec/relabel.md §12.
const LEGACY_TEMPLATE = /^(?:[A-Za-z_]|\$(?:\{\w+\}|\w))(?:\w|\$(?:\{\w+\}|\w))*$/;
const MAX_UINT64 = (1n << 64n) - 1n;

/** Whether `name` is a valid label name under `scheme`. */
export function isValidLabelName(name: string, scheme: NameValidationScheme = "utf8"): boolean {
  if (scheme === "legacy") return LEGACY_NAME.test(name);
  return name.length > 0 && name.isWellFormed();
}

function isValidTemplateName(name: string, scheme: NameValidationScheme): boolean {
  if (scheme === "legacy") return LEGACY_TEMPLATE.test(name);
  return name.length > 0 && name.isWellFormed();
}

/** Go `%q`-like quoting for messages. */
function quote(text: string): string {
  return JSON.stringify(text);
}

/** A config problem found in one field of a rule. */
export class RelabelConfigError extends Error {
  override readonly name = "RelabelConfigError";
  constructor(readonly field: keyof RelabelRuleInput, message: string) {
    super(message);
  }
}

function parseModulus(value: RelabelRuleInput["modulus"]): bigint {
  if (value === undefined || value === null) return 0n;
  let result: bigint | undefined;
  if (typeof value === "bigint") result = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) result = BigInt(value);
  else if (typeof value === "string" && /^[0-9]+$/.test(value.trim())) {
    result = BigInt(value.trim());
  }
  if (result === undefined || result < 0n || result > MAX_UINT64) {
    throw new RelabelConfigError(
      "modulus",
      `Expected an unsigned 64-bit integer for modulus, got ${quote(String(value))}`,
    );
  }
  return result;
}

/**
 * Compiles one rule from its YAML form and validates it as Prometheus does at config load.
 * Throws {@linkcode RelabelConfigError} naming the field at fault.
 */
export function compileRule(
  input: RelabelRuleInput,
  scheme: NameValidationScheme = "utf8",
): RelabelRule {
  const written = input.action === undefined ? "replace" : (input.action ?? "");
  if (written === "") throw new RelabelConfigError("action", "relabel action cannot be empty");
  // Prometheus' Action.UnmarshalYAML lowercases the name first, so `DROP` and `Keep` work there.
  const action = goToLower(written);
  if (!(RELABEL_ACTIONS as readonly string[]).includes(action)) {
    throw new RelabelConfigError(
      "action",
      `unknown relabel action ${quote(written)} (expected one of ${RELABEL_ACTIONS.join(", ")})`,
    );
  }
  const sourceLabelsSet = input.source_labels !== undefined && input.source_labels !== null;
  const sourceLabels = Object.freeze([...(input.source_labels ?? [])]);
  for (const name of sourceLabels) {
    if (!isValidLabelName(name, "utf8")) {
      throw new RelabelConfigError("source_labels", `${quote(name)} is not a valid label name`);
    }
  }
  const separator = input.separator === undefined ? ";" : (input.separator ?? "");
  const regexDefaulted = input.regex === undefined;
  let regex: RelabelRegex;
  try {
    regex = regexDefaulted ? DEFAULT_REGEX : compileRelabelRegex(input.regex ?? "");
  } catch (error) {
    if (error instanceof RelabelRegexError) throw new RelabelConfigError("regex", error.message);
    throw error;
  }
  const modulus = parseModulus(input.modulus);
  const target = input.target_label ?? "";
  const replacement = input.replacement === undefined ? "$1" : (input.replacement ?? "");
  const a = action as RelabelAction;

  validate(a, { sourceLabelsSet, separator, regexDefaulted, modulus, target, replacement }, scheme);

  return Object.freeze({
    action: a,
    sourceLabels,
    sourceLabelsSet,
    separator,
    regex,
    regexDefaulted,
    modulus,
    targetLabel: target,
    replacement,
    targetTemplate: compileTemplate(target, regex.names, regex.groupCount),
    replacementTemplate: compileTemplate(replacement, regex.names, regex.groupCount),
    scheme,
  });
}

interface Fields {
  sourceLabelsSet: boolean;
  separator: string;
  regexDefaulted: boolean;
  modulus: bigint;
  target: string;
  replacement: string;
}

/** Prometheus `Config.Validate`: same checks, same order, same messages (docs/spec/relabel.md §11). */
function validate(action: RelabelAction, f: Fields, scheme: NameValidationScheme): void {
  const { target, replacement } = f;
  if (action === "hashmod" && f.modulus === 0n) {
    throw new RelabelConfigError(
      "modulus",
      "relabel configuration for hashmod requires non-zero modulus",
    );
  }
  const needsTarget = action === "replace" || action === "hashmod" || action === "lowercase" ||
    action === "uppercase" || action === "keepequal" || action === "dropequal";
  if (needsTarget && target === "") {
    throw new RelabelConfigError(
      "target_label",
      `relabel configuration for ${action} action requires 'target_label' value`,
    );
  }
  const invalidTarget = () =>
    new RelabelConfigError(
      "target_label",
      `${quote(target)} is invalid 'target_label' for ${action} action`,
    );
  if (action === "replace") {
    const ok = target.includes("$")
      ? isValidTemplateName(target, scheme)
      : isValidLabelName(target, scheme);
    if (!ok) throw invalidTarget();
  }
  const caseOrEqual = action === "lowercase" || action === "uppercase" ||
    action === "keepequal" || action === "dropequal";
  if (caseOrEqual && !isValidLabelName(target, scheme)) throw invalidTarget();
  if (caseOrEqual && replacement !== "$1") {
    throw new RelabelConfigError(
      "replacement",
      `'replacement' can not be set for ${action} action`,
    );
  }
  if (action === "labelmap" && !isValidTemplateName(replacement, scheme)) {
    throw new RelabelConfigError(
      "replacement",
      `${quote(replacement)} is invalid 'replacement' for labelmap action`,
    );
  }
  if (action === "hashmod" && !isValidLabelName(target, scheme)) throw invalidTarget();
  if (action === "keepequal" || action === "dropequal") {
    const field: keyof RelabelRuleInput | undefined = !f.regexDefaulted
      ? "regex"
      : f.modulus !== 0n
      ? "modulus"
      : f.separator !== ";"
      ? "separator"
      : replacement !== "$1"
      ? "replacement"
      : undefined;
    if (field) {
      throw new RelabelConfigError(
        field,
        `${action} action requires only 'source_labels' and \`target_label\`, and no other fields`,
      );
    }
  }
  if (action === "labeldrop" || action === "labelkeep") {
    const field: keyof RelabelRuleInput | undefined = f.sourceLabelsSet
      ? "source_labels"
      : target !== ""
      ? "target_label"
      : f.modulus !== 0n
      ? "modulus"
      : f.separator !== ";"
      ? "separator"
      : replacement !== "$1"
      ? "replacement"
      : undefined;
    if (field) {
      throw new RelabelConfigError(
        field,
        `${action} action requires only 'regex', and no other fields`,
      );
    }
  }
}

const optionalString = (field: string) =>
  z.string({ error: `${field} must be a string` }).nullable().optional();

/** The raw YAML shape of a rule (unknown keys are errors). */
export const relabelRuleInputSchema = z.strictObject({
  source_labels: z.array(z.string({ error: "source_labels must be a list of label names" }), {
    error: "source_labels must be a list of label names",
  }).nullable().optional(),
  separator: optionalString("separator"),
  regex: optionalString("regex"),
  modulus: z.union([z.number(), z.bigint(), z.string()], {
    error: "modulus must be an unsigned integer",
  }).nullable().optional(),
  target_label: optionalString("target_label"),
  replacement: optionalString("replacement"),
  action: optionalString("action"),
}, {
  error: (issue) =>
    issue.input === null || issue.input === undefined
      ? "empty or null relabeling rule"
      : issue.code === "unrecognized_keys"
      ? undefined
      : "a relabel rule must be a map of source_labels, separator, regex, modulus, " +
        "target_label, replacement, action",
});
