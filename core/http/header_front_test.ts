import { assertEquals } from "../../tests/support/assert.ts";
import { RequestFramer } from "./header_front.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds `parts` one by one; for each, whether a head completed and whether one is pending. */
function follow(parts: string[]): [boolean, boolean][] {
  const framer = new RequestFramer();
  return parts.map((part) => {
    const completed = framer.feed(bytes(part));
    return [completed, framer.inHead()];
  });
}

Deno.test("RequestFramer: heads, Content-Length bodies and chunked bodies on one connection", () => {
  assertEquals(
    follow([
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-",
      "Length: 5\r\n\r\nab",
      "\r\n\r\n", // The body's last 3 bytes look like a head's end; then a stray LF.
      "GET /b HTTP/1.1\r\n",
      "Host: x\r\n\r\n",
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n\r\n\r\n",
      "\r\n0\r\n\r\nPOST /d HTTP/1.1\r\n",
    ]),
    [
      [false, true],
      [true, false],
      [false, false],
      [false, true],
      [true, false],
      [true, false],
      [false, true],
    ],
  );
});

Deno.test("RequestFramer: a malformed chunk size stops following the connection", () => {
  const framer = new RequestFramer();
  framer.feed(bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
  assertEquals(framer.failed, true);
});
