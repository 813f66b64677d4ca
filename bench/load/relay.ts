/**
 * The bare relay baseline: receive a request, `fetch` it to the sink, answer with the sink's
 * status. Nothing else: no parsing, no queue, no retries. Args: <sink url>. Prints
 * `{"port":N}` on stdout.
 */

const sink = Deno.args[0]!;
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
  const url = new URL(req.url);
  const body = await req.arrayBuffer();
  const response = await fetch(sink + url.pathname + url.search, {
    method: req.method,
    headers: { "content-type": req.headers.get("content-type") ?? "application/octet-stream" },
    body,
  });
  await response.body?.cancel();
  return new Response(null, {
    status: response.status,
    headers: { "content-type": response.headers.get("content-type") ?? "application/proto" },
  });
});
console.log(JSON.stringify({ port: server.addr.port }));
