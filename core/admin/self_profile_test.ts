import { assertEquals } from "../../tests/support/assert.ts";
import { type CpuSegment, cpuWindow } from "./self_profile.ts";

const frame = (functionName: string) => ({
  functionName,
  scriptId: "0",
  url: "",
  lineNumber: 0,
  columnNumber: 0,
});

/** A segment started at `startedAtMs` with one sample of node 2 every 100 ms. */
function segment(startedAtMs: number, count: number): CpuSegment {
  return {
    startedAtMs,
    profile: {
      nodes: [{ id: 1, callFrame: frame("(root)"), children: [2] }, {
        id: 2,
        callFrame: frame("work"),
      }],
      startTime: 5_000_000,
      endTime: 5_000_000 + count * 100_000,
      samples: Array(count).fill(2),
      timeDeltas: Array(count).fill(100_000),
    },
  };
}

Deno.test("cpuWindow: samples of several segments within the window, node ids kept apart", () => {
  // Segment 1: samples at 1100..1500 ms; segment 2: samples at 1600..2000 ms.
  const window = cpuWindow([segment(1000, 5), segment(1500, 5)], 1300, 1800);
  assertEquals(window.samples, [2, 2, 2, 5, 5, 5]);
  assertEquals(window.nodes.map((node) => [node.id, node.children ?? []]), [
    [1, [2]],
    [2, []],
    [4, [5]],
    [5, []],
  ]);
  assertEquals([window.startTime, window.endTime], [0, 500_000]);
  // A window that joined the second segment late sees only its own stretch.
  assertEquals(cpuWindow([segment(1500, 5)], 1750, 2000).samples, [2, 2, 2]);
});
