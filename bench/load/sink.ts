/**
 * The bench sink: a Pyroscope stand-in that answers every Push or ingest with 200 as fast as
 * it can, counting requests, series and bytes (it scans the top-level PushRequest fields to
 * count series without decoding them). Prints `{"port":N}` on stdout; `GET /stats` returns
 * the counts. Run as its own process so it does not share a core with what is measured.
 */

let requests = 0;
let series = 0;
let bytes = 0;

function countSeries(body: Uint8Array): number {
  let pos = 0;
  let n = 0;
  while (pos < body.length) {
    const tag = body[pos++]!;
    let length = 0;
    let shift = 1;
    while (true) {
      const b = body[pos++]!;
      length += (b & 0x7f) * shift;
      if (b < 0x80) break;
      shift *= 128;
    }
    if (tag === 0x0a) n++;
    pos += length;
  }
  return n;
}

const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
  const url = new URL(req.url);
  if (url.pathname === "/stats") return Response.json({ requests, series, bytes });
  const body = new Uint8Array(await req.arrayBuffer());
  requests++;
  bytes += body.byteLength;
  series += url.pathname.endsWith("/Push") ? countSeries(body) : 1;
  return new Response(null, { headers: { "content-type": "application/proto" } });
});
console.log(JSON.stringify({ port: server.addr.port }));
