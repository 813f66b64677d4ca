/**
 * `profcol run --config FILE`: runs the collector until SIGINT/SIGTERM. SIGHUP (and
 * `POST /-/reload`, and a changed file with `--watch-config`) re-read the config; an invalid one
 * keeps the running pipelines.
 *
 * @module
 */

import { Collector } from "../core/service/collector.ts";
import { Logger } from "../core/telemetry/logger.ts";
import { heapLimitLogFields } from "./heap_limit.ts";
import { ConfigWatcher } from "./config_watch.ts";
import { CONFIG_FLAG_USAGE, configFiles, loadForCli } from "./config_flags.ts";
import type { Subcommand } from "./mod.ts";

/** The `run` subcommand. */
export const runCommand: Subcommand = {
  name: "run",
  summary: "Run the collector (SIGHUP reloads, SIGINT/SIGTERM stop gracefully)",
  usage: [
    "Usage: profcol run FILE ... | --config FILE [--config FILE ...]",
    "",
    "Starts every pipeline of the config and the admin server (service::telemetry::http,",
    "default 127.0.0.1:12345). SIGHUP or POST /-/reload re-read the config files: an invalid",
    "config is logged and the running pipelines stay. SIGINT/SIGTERM stop gracefully within",
    "service::shutdown_timeout (default 30s); a second signal exits at once with status 1.",
    "",
    "Flags:",
    CONFIG_FLAG_USAGE,
    "  --watch-config     Reload when a config file's content changes (its directory is watched,",
    "                     so a Kubernetes ConfigMap update is seen); same rules as SIGHUP.",
  ].join("\n"),
  async run(args, context) {
    const { files, booleans } = configFiles(args, ["watch-config"], "run");
    const loaded = await loadForCli(files, context);
    if (!loaded) return 2;
    const logger = new Logger();
    const heap = heapLimitLogFields();
    if (heap) logger.info("V8 heap limit set from the cgroup memory limit", heap);
    const collector = new Collector({
      configFiles: files,
      registry: loaded.registry,
      version: context.version,
      logger,
      preloaders: context.preloaders,
    });
    try {
      await collector.start(loaded.config);
    } catch (error) {
      logger.error("collector failed to start", { err: error });
      return 1;
    }
    const watcher = booleans.has("watch-config")
      ? new ConfigWatcher(files, () => void collector.reload(), logger)
      : undefined;
    const stop = Promise.withResolvers<string>();
    const listeners: [Deno.Signal, () => void][] = [];
    const listen = (signal: Deno.Signal, handler: () => void) => {
      try {
        Deno.addSignalListener(signal, handler);
        listeners.push([signal, handler]);
      } catch {
        // Not every platform has every signal (Windows has no SIGHUP).
      }
    };
    let stopping = false;
    const onStop = (signal: string) => () => {
      if (stopping) {
        logger.warn("second stop signal; exiting without waiting", { signal });
        Deno.exit(1);
      }
      stopping = true;
      stop.resolve(signal);
    };
    listen("SIGINT", onStop("SIGINT"));
    listen("SIGTERM", onStop("SIGTERM"));
    listen("SIGHUP", () => {
      logger.info("SIGHUP received; reloading config");
      void collector.reload();
    });
    const signal = await stop.promise;
    logger.info("shutting down", { signal });
    await watcher?.stop();
    const inTime = await collector.shutdown();
    for (const [name, handler] of listeners) Deno.removeSignalListener(name, handler);
    logger.info(inTime ? "stopped" : "stopped with work left after the deadline");
    return inTime ? 0 : 1;
  },
};
