import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { ProtoDecodeError, ProtoReader, ProtoWriter } from "./protobuf.ts";

const VALUES = [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 40, -1];

Deno.test("protobuf: varints read the same in the middle and in the last bytes of a message", () => {
  for (const value of VALUES) {
    // In the middle: more than 4 bytes follow. At the end: the reader's fast path has fewer
    // than 4 bytes left and must still read the varint itself.
    const middle = new ProtoWriter().int64(1, value, true).int64(2, 2 ** 40).finish();
    const end = new ProtoWriter().int64(1, value, true).finish();
    for (const bytes of [middle, end]) {
      const reader = new ProtoReader(bytes);
      assertEquals([reader.tag(), reader.int64()], [8, value], `value ${value}`);
    }
    // The same at the end of an embedded message (its own end, not the buffer's).
    const outer = new ProtoWriter().message(3, (w) => w.int64(1, value, true)).int64(4, 7)
      .finish();
    const reader = new ProtoReader(outer);
    reader.tag();
    const inner = reader.sub();
    assertEquals([inner.tag(), inner.int64(), inner.more()], [8, value, false]);
  }
});

Deno.test("protobuf: a varint cut by the end of its message is an error", () => {
  const bytes = new Uint8Array([0x08, 0x80, 0x80]); // field 1, a varint whose bytes never end
  const reader = new ProtoReader(bytes);
  reader.tag();
  assertThrows(() => reader.uint32(), ProtoDecodeError, "truncated varint");
  const inner = new ProtoReader(new Uint8Array([0x08, 0x96, 0x01, 0x10]), 0, 2);
  inner.tag();
  assertThrows(() => inner.uint32(), ProtoDecodeError, "truncated varint");
});
