/**
 * N simulated Go pprof targets for the scrape benchmark, each on its own 127.0.0.1 port,
 * answering every `/debug/pprof/*` path of the default profile types with a real Go profile
 * at once (no `seconds` wait: the bench measures the collector, not the targets). Args: <N>.
 * Prints `{"ports":[…]}` on stdout.
 */

const n = Number(Deno.args[0] ?? "100");
const testdata = new URL("../../pprof/testdata/", import.meta.url);
const read = (name: string) => Deno.readFileSync(new URL(name, testdata));
const bodies: Record<string, Uint8Array> = {
  "/debug/pprof/profile": read("cpu.pb.gz"),
  "/debug/pprof/allocs": read("allocs.pb.gz"),
  "/debug/pprof/goroutine": read("goroutine.pb.gz"),
  "/debug/pprof/block": read("block.pb.gz"),
  "/debug/pprof/mutex": read("mutex.pb.gz"),
};
const handler = (req: Request) => {
  const body = bodies[new URL(req.url).pathname];
  return body
    ? new Response(body as BodyInit, { headers: { "content-type": "application/octet-stream" } })
    : new Response("not found", { status: 404 });
};
const ports: number[] = [];
for (let i = 0; i < n; i++) {
  ports.push(Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler).addr.port);
}
console.log(JSON.stringify({ ports }));
