// A small Node program profiled by the real Pyroscope SDK (@pyroscope/nodejs), pushing to the
// address in PYROSCOPE_URL. It burns CPU and allocates for RUN_MS, then stops the SDK, which
// uploads what is left, and exits. Used by tests/interop/receive_http_node_test.ts.
"use strict";
const Pyroscope = require("@pyroscope/nodejs");

const runMs = Number(process.env.RUN_MS ?? "3000");
Pyroscope.init({
  serverAddress: process.env.PYROSCOPE_URL,
  appName: "node-interop",
  tags: { team: "interop", region: "loopback" },
  flushIntervalMs: 1000,
  wall: { samplingDurationMs: 1000 },
});
Pyroscope.start();

function fibonacci(n) {
  return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);
}

const kept = [];
const started = Date.now();
function work() {
  fibonacci(22);
  kept.push(new Array(1000).fill(Math.random()));
  if (kept.length > 200) kept.splice(0, 100);
  if (Date.now() - started < runMs) {
    setImmediate(work);
  } else {
    Pyroscope.stop().then(() => process.exit(0), (error) => {
      console.error(error);
      process.exit(1);
    });
  }
}
work();
