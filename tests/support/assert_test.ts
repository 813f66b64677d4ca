import { LabelSet } from "../../core/labels.ts";
import { equalityState } from "../../core/equality.ts";
import {
  assert,
  assertEquals,
  AssertionError,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
} from "./assert.ts";

/** `assertEquals(actual, expected)` must throw, naming `path` in its message. */
function differs(actual: unknown, expected: unknown, path: string): string {
  let message: string | undefined;
  try {
    assertEquals(actual, expected);
  } catch (error) {
    if (!(error instanceof AssertionError)) throw error;
    message = error.message;
  }
  if (message === undefined) {
    throw new Error(`assertEquals passed but should have failed at ${path}`);
  }
  if (!message.includes(`values differ at ${path} `)) {
    throw new Error(`expected the difference at ${path}, got:\n${message}`);
  }
  return message;
}

Deno.test("Uint8Array(200) differing only at byte 150 is caught", () => {
  const a = new Uint8Array(200);
  const b = new Uint8Array(200);
  assertEquals(a, b);
  b[150] = 1;
  const message = differs(a, b, "actual[150]");
  assertStringIncludes(message, "actual[150]: 0");
  assertStringIncludes(message, "expected[150]: 1");
  differs(new Uint8Array(200), new Uint8Array(201), "actual");
  differs(new Uint8Array(4), new Int8Array(4), "actual");
  differs(new Uint8Array(4), [0, 0, 0, 0], "actual");
  differs(new Float64Array([0]), new Float64Array([-0]), "actual[0]");
  assertEquals(new Float64Array([NaN]), new Float64Array([NaN]));
});

Deno.test("ArrayBuffer and DataView are compared byte by byte", () => {
  const a = new ArrayBuffer(300);
  const b = new ArrayBuffer(300);
  assertEquals(a, b);
  new Uint8Array(b)[250] = 9;
  differs(a, b, "actual<byte 250>");
  differs(new DataView(a), new DataView(b), "actual<byte 250>");
  assertEquals(new DataView(a, 0, 100), new DataView(b, 0, 100));
});

Deno.test("arrays of 200 differing at 150 are caught; holes differ from undefined", () => {
  const a = Array.from({ length: 200 }, (_, i) => i);
  const b = a.slice();
  assertEquals(a, b);
  b[150] = -1;
  const message = differs(a, b, "actual[150]");
  assertStringIncludes(message, "actual[150]: 150");
  assertStringIncludes(message, "expected[150]: -1");
  differs(a, a.slice(0, 199), "actual");
  // deno-lint-ignore no-sparse-arrays
  differs([1, , 3], [1, undefined, 3], "actual[1]");
  differs([{ x: [1, 2] }], [{ x: [1, 3] }], "actual[0].x[1]");
});

Deno.test("LabelSets are compared by their labels", () => {
  const a = LabelSet.from({ service_name: "api", env: "prod" });
  assertEquals(a, LabelSet.from([["env", "prod"], ["service_name", "api"]]));
  assertEquals(LabelSet.EMPTY, LabelSet.from({}));
  const message = differs(a, a.with("env", "dev"), "actual⟨LabelSet state⟩[0][1]");
  assertStringIncludes(message, '"prod"');
  assertStringIncludes(message, '"dev"');
  differs(a, a.without("env"), "actual⟨LabelSet state⟩");
  differs({ labels: a }, { labels: LabelSet.EMPTY }, "actual.labels⟨LabelSet state⟩");
  // A LabelSet is not its record.
  differs(a, a.toRecord(), "actual");
  assertNotEquals(a, a.with("x", "1"));
});

Deno.test("the equality hook still requires the same prototype", () => {
  class A {
    #v: number;
    constructor(v: number) {
      this.#v = v;
    }
    [equalityState](): unknown {
      return this.#v;
    }
  }
  class B extends A {}
  assertEquals(new A(1), new A(1));
  differs(new A(1), new A(2), "actual⟨A state⟩");
  differs(new A(1), new B(1), "actual");
});

Deno.test("Maps: keys by SameValueZero, values deeply", () => {
  const a = new Map<unknown, unknown>([["x", { n: 1 }], [0, "zero"]]);
  assertEquals(a, new Map<unknown, unknown>([[-0, "zero"], ["x", { n: 1 }]]));
  differs(a, new Map<unknown, unknown>([["x", { n: 2 }], [0, "zero"]]), 'actual[Map key "x"].n');
  differs(a, new Map<unknown, unknown>([["y", { n: 1 }], [0, "zero"]]), 'actual[Map key "x"]');
  differs(a, new Map([["x", { n: 1 }]]), "actual");
  assertEquals(new Map([[{ k: 1 }, "v"]]), new Map([[{ k: 1 }, "v"]]));
  differs(new Map([[{ k: 1 }, "v"]]), new Map([[{ k: 1 }, "w"]]), "actual[Map key { k: 1 }]");
  differs(
    new Map([["x", LabelSet.from({ a: "1" })]]),
    new Map([["x", LabelSet.from({ a: "2" })]]),
    'actual[Map key "x"]⟨LabelSet state⟩[0][1]',
  );
});

Deno.test("Sets: members by SameValueZero, object members deeply", () => {
  assertEquals(new Set([1, "a", NaN]), new Set([NaN, "a", 1]));
  differs(new Set([1, 2]), new Set([1, 3]), "actual[Set member 2]");
  differs(new Set([1, 2]), new Set([1]), "actual");
  assertEquals(new Set([{ a: 1 }, { a: 2 }]), new Set([{ a: 2 }, { a: 1 }]));
  differs(new Set([{ a: 1 }]), new Set([{ a: 3 }]), "actual[Set member { a: 1 }]");
  differs(new Set(["1"]), new Set([1]), 'actual[Set member "1"]');
});

Deno.test("different prototypes with the same fields differ", () => {
  class P {
    constructor(readonly x: number) {}
  }
  class Q {
    constructor(readonly x: number) {}
  }
  assertEquals(new P(1), new P(1));
  differs(new P(1), new Q(1), "actual");
  differs(new P(1), { x: 1 }, "actual");
  differs({ x: 1 }, Object.assign(Object.create(null), { x: 1 }), "actual");
  differs([1], { 0: 1, length: 1 }, "actual");
});

Deno.test("-0, 0 and NaN behave as in deepStrictEqual", () => {
  differs(0, -0, "actual");
  differs({ v: -0 }, { v: 0 }, "actual.v");
  differs([0], [-0], "actual[0]");
  assertEquals(NaN, NaN);
  assertEquals({ v: NaN }, { v: NaN });
  differs(1, "1", "actual");
  differs(undefined, null, "actual");
  differs({ a: undefined }, {}, "actual.a");
  differs({}, { a: undefined }, "actual.a");
});

Deno.test("nested objects report the full path of the first difference", () => {
  const a = { outer: { list: [{ name: "x", deep: { "a-b": [1, 2, 3] } }] } };
  const b = structuredClone(a);
  assertEquals(a, b);
  b.outer.list[0]!.deep["a-b"][2] = 4;
  const message = differs(a, b, 'actual.outer.list[0].deep["a-b"][2]');
  assertStringIncludes(message, 'expected.outer.list[0].deep["a-b"][2]: 4');
  const s = Symbol("s");
  differs({ [s]: 1 }, { [s]: 2 }, "actual[Symbol(s)]");
});

Deno.test("cycles are handled", () => {
  type Node = { v: number; next?: Node };
  const a: Node = { v: 1 };
  a.next = a;
  const b: Node = { v: 1 };
  b.next = b;
  assertEquals(a, b);
  const c: Node = { v: 1, next: { v: 2 } };
  c.next!.next = c;
  differs(a, c, "actual.next.v");
  const m = new Map<string, unknown>();
  m.set("self", m);
  const n = new Map<string, unknown>();
  n.set("self", n);
  assertEquals(m, n);
});

Deno.test("Date, RegExp, boxed primitives and Error", () => {
  assertEquals(new Date(5), new Date(5));
  differs(new Date(5), new Date(6), "actual");
  assertEquals(/a/g, /a/g);
  differs(/a/g, /a/i, "actual");
  differs(new Number(1), new Number(2), "actual");
  differs(new String("a"), "a", "actual");
  assertEquals(new Error("x"), new Error("x"));
  differs(new Error("x"), new Error("y"), "actual.message");
  differs(new Error("x"), new TypeError("x"), "actual");
  const f = () => 1;
  assertEquals({ f }, { f });
  differs({ f }, { f: () => 1 }, "actual.f");
});

Deno.test("assertStrictEquals is Object.is", () => {
  assertStrictEquals(NaN, NaN);
  assertThrows(() => assertStrictEquals(0, -0), AssertionError);
  assertThrows(() => assertStrictEquals({}, {}), AssertionError, "deep-equal");
  const o = {};
  assertStrictEquals(o, o);
});

Deno.test("assert, assertStringIncludes, assertMatch, assertNotEquals", () => {
  assert(true);
  assertThrows(() => assert(0, "zero"), AssertionError, "zero");
  assertStringIncludes("hello", "ell");
  assertThrows(() => assertStringIncludes("hello", "x"), AssertionError);
  assertMatch("hello", /^h.*o$/);
  assertThrows(() => assertMatch("hello", /^x/), AssertionError);
  assertNotEquals([1], [2]);
  assertThrows(() => assertNotEquals([1], [1]), AssertionError);
});

Deno.test("assertThrows checks class, message text and pattern", () => {
  const boom = () => {
    throw new TypeError("bad thing happened");
  };
  assertStrictEquals(assertThrows(boom, TypeError, "thing").message, "bad thing happened");
  assertThrows(boom, Error, /^bad .* happened$/);
  assertThrows(() => assertThrows(boom, RangeError), AssertionError, "expected RangeError");
  assertThrows(() => assertThrows(boom, TypeError, "other"), AssertionError, "include");
  assertThrows(() => assertThrows(boom, TypeError, /^thing/), AssertionError, "match");
  assertThrows(() => assertThrows(() => 1), AssertionError, "expected a throw");
  assertThrows(
    () =>
      assertThrows(() => {
        throw "a string";
      }),
    AssertionError,
    "an Error",
  );
});

Deno.test("assertRejects takes a function or a promise", async () => {
  await assertRejects(() => Promise.reject(new RangeError("r")), RangeError, "r");
  await assertRejects(Promise.reject(new RangeError("r")), RangeError, /^r$/);
  await assertRejects(
    () => assertRejects(() => Promise.resolve(1)),
    AssertionError,
    "expected a rejection",
  );
  await assertRejects(
    () => assertRejects(Promise.reject(new Error("x")), RangeError),
    AssertionError,
    "expected RangeError",
  );
});

Deno.test("objects whose state is private and unhooked are refused, not called equal", () => {
  class Secretive {
    #value: number;
    constructor(value: number) {
      this.#value = value;
    }
    get value(): number {
      return this.#value;
    }
  }
  const message = differs(new Secretive(1), new Secretive(2), "actual");
  assertEquals(
    message.split("\n")[0],
    "values differ at actual (the state of two Secretive objects cannot be seen (no own keys, " +
      "no [equalityState]() hook): compare what matters, or give the class the hook)",
  );
  // The same instance is still equal to itself, and plain empty objects stay comparable.
  const one = new Secretive(1);
  assertEquals(one, one);
  assertEquals({}, {});
  assertEquals(Object.create(null), Object.create(null));
});
