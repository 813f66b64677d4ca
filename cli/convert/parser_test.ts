import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { tokenize } from "./lexer.ts";
import { AlloySyntaxError, type Expr, parseAlloy, type Statement } from "./parser.ts";

/** The AST without positions and sources, for comparisons. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "pos" || k === "keyPos" || k === "source" || k === "text") continue;
      out[k] = plain(v);
    }
    return out;
  }
  return value;
}

function errorOf(source: string): string {
  try {
    parseAlloy(source, "f.alloy");
  } catch (error) {
    if (error instanceof AlloySyntaxError) return error.message;
    throw error;
  }
  throw new Error("no error");
}

const attr = (source: string): Expr => {
  const [first] = parseAlloy(source, "f.alloy");
  if (first?.kind !== "attribute") throw new Error("not an attribute");
  return first.value;
};

Deno.test("parser: blocks with labels, nested blocks, attributes, positions", () => {
  const source = `// leading comment
pyroscope.scrape "default" {
  targets = [{"__address__" = "a:1", service_name = "x"}]
  forward_to = [pyroscope.write.out.receiver]
  profiling_config {
    profile.custom "heap" {
      enabled = true
    }
  }
}
`;
  const body = parseAlloy(source, "f.alloy");
  assertEquals(plain(body), [{
    kind: "block",
    name: "pyroscope.scrape",
    label: "default",
    body: [
      {
        kind: "attribute",
        name: "targets",
        value: {
          kind: "list",
          items: [{
            kind: "object",
            entries: [
              { key: "__address__", value: { kind: "string", value: "a:1" } },
              { key: "service_name", value: { kind: "string", value: "x" } },
            ],
          }],
        },
      },
      {
        kind: "attribute",
        name: "forward_to",
        value: {
          kind: "list",
          items: [{ kind: "ref", path: ["pyroscope", "write", "out", "receiver"] }],
        },
      },
      {
        kind: "block",
        name: "profiling_config",
        label: undefined,
        body: [{
          kind: "block",
          name: "profile.custom",
          label: "heap",
          body: [{ kind: "attribute", name: "enabled", value: { kind: "bool", value: true } }],
        }],
      },
    ],
  }]);
  const block = body[0] as Extract<Statement, { kind: "block" }>;
  assertEquals(block.pos, { file: "f.alloy", line: 2, col: 1 });
  assertEquals(block.body[1]!.pos, { file: "f.alloy", line: 4, col: 3 });
  assertEquals(block.source.split("\n").length, 9);
  assertEquals(block.source.endsWith("}\n}"), true);
});

Deno.test("parser: strings with escapes, raw strings, numbers, bools, null, comments", () => {
  assertEquals(plain(attr(`a = "x\\n\\t\\"q\\"\\\\ \\u00e9\\U0001F600\\x41\\101"`)), {
    kind: "string",
    value: 'x\n\t"q"\\ é😀AA',
  });
  assertEquals(plain(attr("a = `raw \\n ${x}\nline two`")), {
    kind: "string",
    value: "raw \\n ${x}\nline two",
  });
  assertEquals(plain(attr("a = 42")), { kind: "number", value: 42 });
  assertEquals(plain(attr("a = -1.5e3")), { kind: "number", value: -1500 });
  assertEquals(plain(attr("a = 1_000")), { kind: "number", value: 1000 });
  assertEquals(plain(attr("a = false")), { kind: "bool", value: false });
  assertEquals(plain(attr("a = null")), { kind: "null" });
  const commented = parseAlloy(
    `# hash comment\na = 1 // line comment\n/* block\ncomment */ b = { "quoted key" = 2, c = [], }\n`,
    "f.alloy",
  );
  assertEquals(plain(commented), [
    { kind: "attribute", name: "a", value: { kind: "number", value: 1 } },
    {
      kind: "attribute",
      name: "b",
      value: {
        kind: "object",
        entries: [
          { key: "quoted key", value: { kind: "number", value: 2 } },
          { key: "c", value: { kind: "list", items: [] } },
        ],
      },
    },
  ]);
  assertEquals(commented[1]!.pos, { file: "f.alloy", line: 4, col: 12 });
});

Deno.test("parser: sys.env, env, references and + between strings", () => {
  assertEquals(plain(attr(`a = sys.env("TOKEN")`)), { kind: "env", name: "TOKEN" });
  assertEquals(plain(attr(`a = env("TOKEN")`)), { kind: "env", name: "TOKEN" });
  assertEquals(plain(attr(`a = "Bearer " + sys.env("T")`)), {
    kind: "concat",
    parts: [{ kind: "string", value: "Bearer " }, { kind: "env", name: "T" }],
  });
  assertEquals(plain(attr(`a = discovery.relabel.pods.output`)), {
    kind: "ref",
    path: ["discovery", "relabel", "pods", "output"],
  });
});

Deno.test("parser: errors name file:line:col exactly", () => {
  const cases: [string, string][] = [
    [`a = 1 +`, `f.alloy:1:8: expected a value, got end of file`],
    [
      `x {\n  a = concat([1], [2])\n}`,
      `f.alloy:2:7: unsupported function concat(): convert carries over literals, component ` +
      `references and sys.env("NAME")`,
    ],
    [
      `a = 1 * 2`,
      `f.alloy:1:7: unsupported operator *: convert carries over literals, component ` +
      `references, sys.env("NAME") and + between strings`,
    ],
    [`a = x.y[0]`, `f.alloy:1:8: unsupported indexing here`],
    [`a = "abc`, `f.alloy:1:5: string literal not terminated`],
    [`a = "bad \\q escape"`, `f.alloy:1:10: unknown escape sequence \\q`],
    [`a = "\\u12"`, `f.alloy:1:6: escape sequence \\u needs 4 hexadecimal digits`],
    [`a = \`never closed`, `f.alloy:1:5: raw string literal not terminated`],
    [`/* open\n\n`, `f.alloy:1:1: comment not terminated (missing */)`],
    [`block {\n  a = 1\n`, `f.alloy:3:1: expected "}", got end of file`],
    [`a.b = 1`, `f.alloy:1:1: attribute names cannot contain "." (a.b); a block needs "{"`],
    [
      `pyroscope.write "x" "y" {}`,
      `f.alloy:1:21: expected "{" after the block label, got string "y"`,
    ],
    [`pyroscope.write {\n  a = 1 b = 2\n}`, `f.alloy:2:9: expected a new line before identifier b`],
    [`a = { b = 1 c = 2 }`, `f.alloy:1:13: expected "," or "}", got identifier c`],
    [`a = [1 2]`, `f.alloy:1:8: expected "," or "]", got number 2`],
    [
      `a = { 1 = 2 }`,
      `f.alloy:1:7: expected an object key (a name or a quoted string), got number 1`,
    ],
    [`a = sys.env(NAME)`, `f.alloy:1:13: sys.env() needs one string literal, the variable name`],
    [`a = env("A", "B")`, `f.alloy:1:12: env() takes one argument`],
    [`a = 1\n  @`, `f.alloy:2:3: unexpected character "@"`],
    [`"label" {}`, `f.alloy:1:1: expected an attribute or a block name, got string "label"`],
    [`a = 12abc`, `f.alloy:1:7: malformed number "12a"`],
  ];
  for (const [source, message] of cases) assertEquals(errorOf(source), message, source);
});

Deno.test("lexer: columns after tabs and multi-line comments and raw strings", () => {
  const tokens = tokenize("/* a\nb */\tx = `1\n2` y", "t");
  assertEquals(tokens.map((t) => [t.kind, t.pos.line, t.pos.col]), [
    ["ident", 2, 6],
    ["=", 2, 8],
    ["string", 2, 10],
    ["ident", 3, 4],
    ["eof", 3, 5],
  ]);
  assertThrows(
    () => tokenize('"\\400"', "t"),
    AlloySyntaxError,
    "t:1:2: octal escape \\400 is above \\377",
  );
});
