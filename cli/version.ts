/**
 * The collector's version, from `deno.json`.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** The version string printed by `--version` and sent in `User-Agent` headers. */
export const VERSION: string = (denoJson as { version?: string }).version ?? "0.0.0-dev";
