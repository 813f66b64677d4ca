import { deepStrictEqual as eq, rejects } from "node:assert/strict";
import { expandGlob, globToRegExp, splitGlob } from "./glob.ts";
import { parseTargetGroups } from "./target_group.ts";

Deno.test("glob: *, ?, classes and negation in the last segment", () => {
  const re = globToRegExp("t?rg[d-f]*.json");
  eq(re.test("targets.json"), true);
  eq(re.test("tXrgc.json"), false);
  eq(globToRegExp("[!a]*.yml").test("b.yml"), true);
  eq(globToRegExp("[!a]*.yml").test("a.yml"), false);
  eq(globToRegExp("a.b").test("axb"), false);
  eq(splitGlob("/etc/sd/*.json"), { dir: "/etc/sd", base: "*.json" });
  eq(splitGlob("x.json"), { dir: ".", base: "x.json" });
});

Deno.test("glob: expands against a directory; rejects globs in directories", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["a.json", "b.yaml", "c.txt"]) {
      await Deno.writeTextFile(`${dir}/${name}`, "[]");
    }
    eq(await expandGlob(`${dir}/*.json`), [`${dir}/a.json`]);
    eq(await expandGlob(`${dir}/[ab].*`), [`${dir}/a.json`, `${dir}/b.yaml`]);
    eq(await expandGlob(`${dir}/missing/*.json`), []);
    await rejects(expandGlob(`${dir}/*/x.json`), /only the last path segment/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("target groups: Prometheus SD format with errors naming the source", () => {
  const groups = parseTargetGroups(
    [{ targets: ["a:1", "b:2"], labels: { env: "prod" } }],
    "f.json",
    { __meta_filepath: "f.json" },
  );
  eq(groups[0]!.targets, [{ __address__: "a:1" }, { __address__: "b:2" }]);
  eq(groups[0]!.labels, { __meta_filepath: "f.json", env: "prod" });
  eq(parseTargetGroups(null, "x"), []);
  let message = "";
  try {
    parseTargetGroups([{ targets: [1] }], "f.json");
  } catch (e) {
    message = (e as Error).message;
  }
  eq(message, "f.json: group 0 targets must be a list of host:port strings");
});
