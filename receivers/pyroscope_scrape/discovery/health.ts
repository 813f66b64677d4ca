/**
 * Health of one discovery mechanism (`kubernetes_sd`, `http_sd`, `file_sd`, static `targets`):
 * whether its last attempt worked, why not, and how many targets it holds. The receiver turns it
 * into the component's health (degraded while a discovery fails), the published `discovery`
 * status and the `profcol_discovery_*` metrics.
 *
 * @module
 */

/** Why a discovery attempt failed: the `reason` label of `profcol_discovery_errors_total`. */
export type DiscoveryFailureReason =
  /** HTTP 401: the token or client certificate is refused. */
  | "unauthorized"
  /** HTTP 403: RBAC does not grant the request. */
  | "forbidden"
  /** Any other HTTP status. */
  | "http_status"
  /** No answer: connection refused, DNS, TLS, reset. */
  | "unreachable"
  /** The request took longer than allowed. */
  | "timeout"
  /** An answer that is not a valid list of targets. */
  | "invalid_response"
  /** A file that cannot be read. */
  | "read"
  /** The discovery cannot start from its config (no in-cluster environment, bad glob). */
  | "config";

/** A failure whose reason is known where it happened. */
export class DiscoveryError extends Error {
  override readonly name = "DiscoveryError";
  constructor(message: string, readonly reason: DiscoveryFailureReason) {
    super(message);
  }
}

/** The reason of an HTTP status that is not a success. */
export function reasonOfStatus(status: number): DiscoveryFailureReason {
  return status === 401 ? "unauthorized" : status === 403 ? "forbidden" : "http_status";
}

/** The reason of anything thrown by a discovery attempt. */
export function reasonOf(error: unknown): DiscoveryFailureReason {
  if (error instanceof DiscoveryError) return error.reason;
  if (error instanceof DOMException && error.name === "TimeoutError") return "timeout";
  if (error instanceof SyntaxError) return "invalid_response";
  const message = error instanceof Error ? error.message : String(error);
  return /timed? ?out/i.test(message) ? "timeout" : "unreachable";
}

/** What a discovery reports (published under `discovery`, one entry per mechanism entry). */
export interface DiscoveryHealthState {
  readonly mechanism: string;
  readonly health: "unknown" | "up" | "down";
  readonly last_error: string;
  readonly targets: number;
}

/** Tracks one discovery entry; `onFailure` counts each failed attempt by reason. */
export class DiscoveryHealth {
  #health: DiscoveryHealthState["health"] = "unknown";
  #lastError = "";
  /** Targets of the last good result. */
  targets = 0;

  constructor(
    readonly mechanism: string,
    readonly onFailure: (reason: DiscoveryFailureReason) => void = () => {},
  ) {}

  /** An attempt failed (the previous targets are kept). */
  failed(reason: DiscoveryFailureReason, message: string): void {
    this.#health = "down";
    this.#lastError = message;
    this.onFailure(reason);
  }

  /** Still failing, for fewer reasons than before (nothing new to count). */
  stillFailing(message: string): void {
    this.#health = "down";
    this.#lastError = message;
  }

  /** An attempt succeeded; `targets`, when given, is the new count. */
  succeeded(targets?: number): void {
    this.#health = "up";
    this.#lastError = "";
    if (targets !== undefined) this.targets = targets;
  }

  get health(): DiscoveryHealthState["health"] {
    return this.#health;
  }

  get lastError(): string {
    return this.#lastError;
  }

  state(): DiscoveryHealthState {
    return {
      mechanism: this.mechanism,
      health: this.#health,
      last_error: this.#lastError,
      targets: this.targets,
    };
  }
}
