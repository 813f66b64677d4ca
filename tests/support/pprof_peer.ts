/**
 * A pprof target served from a worker thread of the test process, so that a test that stalls
 * the collector's thread on purpose does not stall the target too (the target stays healthy
 * and answers at once). Paths and bodies: `pprof_peer_worker.ts`.
 */

/** A running peer. */
export interface PprofPeer {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  stop(): Promise<void>;
}

/** Starts a peer on its own thread; every answer waits `delayMs`. */
export async function startPprofPeer(options: { delayMs?: number } = {}): Promise<PprofPeer> {
  const worker = new Worker(new URL("./pprof_peer_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
    });
  const listening = next();
  worker.postMessage({ delayMs: options.delayMs ?? 0 });
  const { port } = await listening;
  return {
    address: `127.0.0.1:${port}`,
    async stop() {
      const stopped = next();
      worker.postMessage("stop");
      await stopped;
      worker.terminate();
    },
  };
}
