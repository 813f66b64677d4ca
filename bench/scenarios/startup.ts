/**
 * Startup and idle footprint: process start to `/-/ready` 200, then RSS after 2 s idle, with a
 * small real config (a receive_http gateway into the file exporter).
 */

import { round, rssMb, startCollector } from "../lib.ts";

export async function startupScenario(quick: boolean) {
  const runs = quick ? 3 : 7;
  const readies: number[] = [];
  let idle = 0;
  for (let i = 0; i < runs; i++) {
    const collector = await startCollector(`receivers:
  pyroscope.receive_http/in:
    http: { listen_address: 127.0.0.1, listen_port: 0 }
exporters:
  file: { directory: \${DIR}/profiles }
service:
  pipelines:
    profiles: { receivers: [pyroscope.receive_http/in], exporters: [file] }
  telemetry: { http: { listen_address: 127.0.0.1, listen_port: 0 } }
`);
    try {
      readies.push(collector.readyMs);
      if (i === 0) {
        await new Promise((r) => setTimeout(r, 2000));
        idle = rssMb(collector.pid);
      }
    } finally {
      await collector.stop();
    }
  }
  readies.sort((a, b) => a - b);
  return {
    startup_ready_ms: round(readies[Math.floor(readies.length / 2)]!, 0),
    idle_rss_mb: round(idle),
  };
}
