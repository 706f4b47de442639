import { requireBoolean, requireObject, requireOneOf, requireString } from "../atom/validate.js";
import { requireSequenceNumber, requireTimestamp, orDefault, type FieldNamer } from "./fields.js";

/** The three health states a sensor can be in. */
export const HEALTH_STATES = Object.freeze(["ok", "stale", "error"] as const);
export type HealthState = (typeof HEALTH_STATES)[number];

/**
 * A sensor's health at `observedAt`: its state, a human-readable message,
 * whether its last value is older than the stale limit, and how many errors
 * it has reported.
 */
export interface HealthStatus {
  readonly status: HealthState;
  readonly observedAt: number;
  readonly message: string;
  /** True when the last value is older than the stale limit (or there was none). */
  readonly stale: boolean;
  /** Errors seen so far, a non-negative integer. */
  readonly errorCount: number;
}

/** What {@link healthStatus} accepts. */
export interface HealthStatusInit {
  status: HealthState;
  observedAt: number;
  /** @default "" */
  message?: string | undefined;
  /** @default status === "stale" */
  stale?: boolean | undefined;
  /** @default 0 */
  errorCount?: number | undefined;
}

/** @internal */
export function buildHealthStatus(init: unknown, name: FieldNamer): HealthStatus {
  const fields = requireObject(name(""), init);
  const status = requireOneOf(name("status"), fields.status, HEALTH_STATES);
  return Object.freeze({
    status,
    observedAt: requireTimestamp(name("observedAt"), fields.observedAt),
    message: requireString(name("message"), orDefault(fields.message, "")),
    stale: requireBoolean(name("stale"), orDefault(fields.stale, status === "stale")),
    errorCount: requireSequenceNumber(name("errorCount"), orDefault(fields.errorCount, 0)),
  });
}

/**
 * Makes a validated, frozen {@link HealthStatus}; a wrong field throws a
 * `TypeError`/`RangeError` naming it.
 *
 * ```ts
 * healthStatus({ status: "stale", observedAt: 5_000, message: "sensor input is stale" });
 * ```
 * @lego HealthStatus
 */
export function healthStatus(init: HealthStatusInit): HealthStatus {
  return buildHealthStatus(init, (field) => (field === "" ? "health" : field));
}
