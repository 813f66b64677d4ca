/**
 * Runs compiled relabel rules over a label set with Prometheus' exact semantics (spec
 * relabel.md §1, §5, §7, §10), including the `labels.Builder` iteration order that decides
 * which label wins when `labelmap` maps two names to one.
 *
 * @module
 */

import { LabelSet } from "../labels.ts";
import { goToLower, goToUpper } from "./case.ts";
import { hashmod } from "./hashmod.ts";
import { isValidLabelName, type RelabelRule } from "./rule.ts";
import { expandTemplate } from "./template.ts";

/**
 * A minimal Prometheus `labels.Builder`: the base set plus ordered additions and deletions.
 * Kept small because rule chains rarely touch more than a few labels.
 */
class Builder {
  readonly addNames: string[] = [];
  readonly addValues: string[] = [];
  readonly del: string[] = [];

  constructor(readonly base: LabelSet) {}

  get(name: string): string {
    const added = this.addNames.indexOf(name);
    if (added >= 0) return this.addValues[added]!;
    if (this.del.length > 0 && this.del.includes(name)) return "";
    return this.base.get(name) ?? "";
  }

  set(name: string, value: string): void {
    if (value === "") {
      this.delete(name);
      return;
    }
    const added = this.addNames.indexOf(name);
    if (added >= 0) {
      this.addValues[added] = value;
      return;
    }
    this.addNames.push(name);
    this.addValues.push(value);
  }

  delete(name: string): void {
    const added = this.addNames.indexOf(name);
    if (added >= 0) {
      this.addNames.splice(added, 1);
      this.addValues.splice(added, 1);
    }
    if (this.base.has(name) && !this.del.includes(name)) this.del.push(name);
  }

  /** Snapshot iteration: base labels not deleted or re-added, then additions in order. */
  range(visit: (name: string, value: string) => void): void {
    const addNames = this.addNames.slice();
    const addValues = this.addValues.slice();
    const del = this.del.slice();
    const names = this.base.names;
    const values = this.base.values;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (del.includes(name) || addNames.includes(name)) continue;
      visit(name, values[i]!);
    }
    for (let i = 0; i < addNames.length; i++) visit(addNames[i]!, addValues[i]!);
  }

  labels(): LabelSet {
    const addCount = this.addNames.length;
    if (addCount === 0 && this.del.length === 0) return this.base;
    const del = this.del;
    const addNames = this.addNames;
    if (addCount === 0) return this.base.filter((name) => !del.includes(name));
    // The base is sorted and additions are few: sort the additions and merge.
    const order = Array.from({ length: addCount }, (_, i) => i);
    if (addCount > 1) order.sort((a, b) => (addNames[a]! < addNames[b]! ? -1 : 1));
    const baseNames = this.base.names;
    const baseValues = this.base.values;
    const names: string[] = [];
    const values: string[] = [];
    let next = 0;
    for (let i = 0; i < baseNames.length; i++) {
      const name = baseNames[i]!;
      while (next < addCount && addNames[order[next]!]! < name) {
        names.push(addNames[order[next]!]!);
        values.push(this.addValues[order[next]!]!);
        next++;
      }
      if ((del.length > 0 && del.includes(name)) || addNames.includes(name)) continue;
      names.push(name);
      values.push(baseValues[i]!);
    }
    for (; next < addCount; next++) {
      names.push(addNames[order[next]!]!);
      values.push(this.addValues[order[next]!]!);
    }
    return LabelSet.fromSortedUnchecked(names, values);
  }
}

function sourceValue(builder: Builder, rule: RelabelRule): string {
  const sources = rule.sourceLabels;
  if (sources.length === 0) return "";
  if (sources.length === 1) return builder.get(sources[0]!);
  let value = builder.get(sources[0]!);
  for (let i = 1; i < sources.length; i++) value += rule.separator + builder.get(sources[i]!);
  return value;
}

/**
 * Label names are few while label sets can all differ (a span id per pprof sample), so what a
 * name-matching rule (`labelmap`, `labeldrop`, `labelkeep`) makes of each name is remembered
 * per rule instead of running the regex engine again. Bounded: emptied when full.
 */
const NAME_MEMO_LIMIT = 4096;
const nameMemos = new WeakMap<RelabelRule, Map<string, string | boolean>>();

function nameMemo(rule: RelabelRule): Map<string, string | boolean> {
  let memo = nameMemos.get(rule);
  if (memo === undefined) {
    memo = new Map();
    nameMemos.set(rule, memo);
  } else if (memo.size >= NAME_MEMO_LIMIT) memo.clear();
  return memo;
}

/** Whether the rule's regex matches label name `name`. */
function nameMatches(rule: RelabelRule, name: string): boolean {
  const memo = nameMemo(rule);
  let matches = memo.get(name) as boolean | undefined;
  if (matches === undefined) {
    matches = rule.regex.test(name);
    memo.set(name, matches);
  }
  return matches;
}

/** The name `labelmap` gives label `name`, or false when its regex does not match. */
function mappedName(rule: RelabelRule, name: string): string | false {
  const memo = nameMemo(rule);
  let mapped = memo.get(name) as string | false | undefined;
  if (mapped === undefined) {
    const offsets = rule.regex.exec(name);
    mapped = offsets === null ? false : expandTemplate(rule.replacementTemplate, name, offsets);
    memo.set(name, mapped);
  }
  return mapped;
}

/** Applies one rule; returns false when the set is dropped. */
function applyRule(builder: Builder, rule: RelabelRule): boolean {
  const value = sourceValue(builder, rule);
  switch (rule.action) {
    case "keep":
      return rule.regex.test(value);
    case "drop":
      return !rule.regex.test(value);
    case "keepequal":
      return value === builder.get(rule.targetLabel);
    case "dropequal":
      return value !== builder.get(rule.targetLabel);
    case "replace": {
      if (
        value === "" && rule.regexDefaulted && !rule.targetLabel.includes("$") &&
        !rule.replacement.includes("$")
      ) {
        builder.set(rule.targetLabel, rule.replacement);
        return true;
      }
      const offsets = rule.regex.exec(value);
      if (offsets === null) return true;
      const target = expandTemplate(rule.targetTemplate, value, offsets);
      if (!isValidLabelName(target, rule.scheme)) return true;
      builder.set(target, expandTemplate(rule.replacementTemplate, value, offsets));
      return true;
    }
    case "lowercase":
      builder.set(rule.targetLabel, goToLower(value));
      return true;
    case "uppercase":
      builder.set(rule.targetLabel, goToUpper(value));
      return true;
    case "hashmod":
      builder.set(rule.targetLabel, hashmod(value, rule.modulus));
      return true;
    case "labelmap":
      builder.range((name, labelValue) => {
        const mapped = mappedName(rule, name);
        if (mapped !== false) builder.set(mapped, labelValue);
      });
      return true;
    case "labeldrop":
      builder.range((name) => {
        if (nameMatches(rule, name)) builder.delete(name);
      });
      return true;
    case "labelkeep":
      builder.range((name) => {
        if (!nameMatches(rule, name)) builder.delete(name);
      });
      return true;
  }
}

/**
 * Runs `rules` over `labels` in order. Returns the resulting set, or `null` when a rule
 * dropped it or when no label is left (profcol always drops empty results, fixing Alloy's
 * "forward an empty set once" quirk). A run that touches nothing returns `labels` itself.
 */
export function relabel(labels: LabelSet, rules: readonly RelabelRule[]): LabelSet | null {
  const result = relabelAllowingEmpty(labels, rules);
  return result === null || result.size === 0 ? null : result;
}

/**
 * Runs `rules` over `labels` like {@linkcode relabel}, but `null` means only "a keep/drop
 * rule dropped it": a run that removes every label returns the empty set. For label sets
 * where having no label is fine (the labels of one pprof sample).
 */
export function relabelAllowingEmpty(
  labels: LabelSet,
  rules: readonly RelabelRule[],
): LabelSet | null {
  if (rules.length === 0) return labels;
  const builder = new Builder(labels);
  for (let i = 0; i < rules.length; i++) {
    if (!applyRule(builder, rules[i]!)) return null;
  }
  return builder.labels();
}
