/** The 5-rule relabel chain every relabel measurement uses (typical Kubernetes tidying). */
export const FIVE_RULES = [
  { action: "replace", target_label: "cluster", replacement: "prod-eu-1" },
  {
    action: "replace",
    source_labels: ["service_name"],
    regex: "(.+)-svc",
    target_label: "app",
    replacement: "$1",
  },
  { action: "labeldrop", regex: "tmp_.*" },
  { action: "drop", source_labels: ["env"], regex: "dev|test" },
  {
    action: "keep",
    source_labels: ["__name__"],
    regex: "process_cpu|memory|goroutine|block|mutex",
  },
];

/** The same rules as YAML flow mappings, for collector configs. */
export const FIVE_RULES_YAML = FIVE_RULES.map((rule) => `      - ${JSON.stringify(rule)}`).join(
  "\n",
);
