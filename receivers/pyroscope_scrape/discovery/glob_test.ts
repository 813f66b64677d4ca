import { assertEquals, assertRejects } from "../../../tests/support/assert.ts";
import { expandGlob, globToRegExp, splitGlob } from "./glob.ts";
import { parseTargetGroups } from "./target_group.ts";

Deno.test("glob: *, ?, classes and negation in the last segment", () => {
  const re = globToRegExp("t?rg[d-f]*.json");
  assertEquals(re.test("targets.json"), true);
  assertEquals(re.test("tXrgc.json"), false);
  assertEquals(globToRegExp("[!a]*.yml").test("b.yml"), true);
  assertEquals(globToRegExp("[!a]*.yml").test("a.yml"), false);
  assertEquals(globToRegExp("a.b").test("axb"), false);
  assertEquals(splitGlob("/etc/sd/*.json"), { dir: "/etc/sd", base: "*.json" });
  assertEquals(splitGlob("x.json"), { dir: ".", base: "x.json" });
});

Deno.test("glob: expands against a directory; rejects globs in directories", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["a.json", "b.yaml", "c.txt"]) {
      await Deno.writeTextFile(`${dir}/${name}`, "[]");
    }
    assertEquals(await expandGlob(`${dir}/*.json`), [`${dir}/a.json`]);
    assertEquals(await expandGlob(`${dir}/[ab].*`), [`${dir}/a.json`, `${dir}/b.yaml`]);
    assertEquals(await expandGlob(`${dir}/missing/*.json`), []);
    await assertRejects(expandGlob(`${dir}/*/x.json`), Error, /only the last path segment/);
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
  assertEquals(groups[0]!.targets, [{ __address__: "a:1" }, { __address__: "b:2" }]);
  assertEquals(groups[0]!.labels, { __meta_filepath: "f.json", env: "prod" });
  assertEquals(parseTargetGroups(null, "x"), []);
  let message = "";
  try {
    parseTargetGroups([{ targets: [1] }], "f.json");
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(message, "f.json: group 0 targets must be a list of host:port strings");
});
