import { assertEquals } from "../../tests/support/assert.ts";
import { indexedName, parsePprofIndex } from "./probe.ts";

Deno.test("parsePprofIndex: the names of a Go index's links; other pages are not an index", () => {
  const go = `<html>\n<head>\n<title>/debug/pprof/</title>\n</head><body>\n<table>\n` +
    `<tr><td>3</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>\n` +
    `<tr><td>0</td><td><a href='allocs?debug=1'>allocs</a></td></tr>\n` +
    `<tr><td>0</td><td><a href='profile?debug=1'>profile</a></td></tr>\n</table>\n` +
    `<a href="goroutine?debug=2">full goroutine stack dump</a>\n</body></html>`;
  assertEquals(parsePprofIndex(go), ["allocs", "goroutine", "profile"]);
  // Without the title, `?debug=` links still mark an index (a prefix-mounted copy).
  assertEquals(parsePprofIndex(`<a href="heap?debug=1">heap</a>`), ["heap"]);
  assertEquals(
    parsePprofIndex(`<html><title>Login</title><a href="help">help</a></html>`),
    undefined,
  );
  assertEquals(parsePprofIndex(`<title>/debug/pprof/</title>nothing listed`), undefined);
  assertEquals(parsePprofIndex(`{"profiles": ["heap"]}`), undefined);
});

Deno.test("indexedName: only paths the index can list are judged by it", () => {
  assertEquals(
    [
      "/debug/pprof/allocs",
      "/debug/pprof/profile",
      "/debug/pprof/delta_heap",
      "/debug/fgprof",
      "/debug/pprof/a/b",
      "/custom",
    ].map(indexedName),
    ["allocs", "profile", undefined, undefined, undefined, undefined],
  );
});
