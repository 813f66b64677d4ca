/**
 * The collector runtime: the component graph ({@linkcode Service}) and the process around it
 * ({@linkcode Collector}: config files, admin server, reload, shutdown).
 *
 * @module
 */

export { Collector, type CollectorOptions } from "./collector.ts";
export { ReloadError, Service, type ServiceOptions, type ServiceStatus } from "./service.ts";
