import type { LegoDescriptor } from "../../atom/lego-descriptor.js";

/**
 * What every process of `manyfold fleet` agrees on: the JetStream names,
 * the record the workers fold, the statistics the view keeps, and the
 * messages a node process sends its parent.
 */

/** The stream the devices' Outboxes forward to (one subject per device). */
export const READINGS_STREAM = "FLEET_READINGS";
export const READINGS_SUBJECT = "fleet.readings";
/** The durable consumer the workers share (the consumer group). */
export const WORKERS_CONSUMER = "fleet-workers";
/** The log the workers' Inbox appends each reading's effect to; the view folds it. */
export const FOLDED_STREAM = "FLEET_FOLDED";
export const FOLDED_SUBJECT = "fleet.folded";
/** KV buckets: the Inbox's seen ids, the aggregator election, the fenced summary. */
export const INBOX_BUCKET = "FLEET_INBOX";
/** How long the Inbox remembers a reading's id, ms (far beyond any redelivery of a run). */
export const INBOX_TTL = 3_600_000;
export const ELECTION_BUCKET = "FLEET_ELECTION";
export const ELECTION_KEY = "aggregator";
export const SUMMARY_BUCKET = "FLEET_SUMMARY";
export const SUMMARY_KEY = "summary";

/** The aggregator's lease, ms: a paused leader loses it after this (plus one renew interval at most). */
export const LEASE_TTL = 3_000;
/** How long a worker may hold a message before JetStream gives it to the other worker, ms. */
export const ACK_WAIT = 3_000;
/**
 * What folding one reading costs a worker, ms: a real worker would call a
 * database here. It keeps a few readings in flight at any moment, so the
 * worker SIGKILL catches some and the group has something to redeliver.
 */
export const FOLD_COST = 100;
/** How often the leader publishes its summary, ms. */
export const SUMMARY_EVERY = 1_000;

export function readingSubject(device: string): string {
  return `${READINGS_SUBJECT}.${device}`;
}

/** A reading's message id: the device (the Outbox's producer id) and its spool offset. */
export function parseMessageId(id: string): { device: string; offset: number } | undefined {
  const colon = id.lastIndexOf(":");
  const digits = id.slice(colon + 1);
  if (colon <= 0 || !/^\d+$/.test(digits)) return undefined;
  return { device: id.slice(0, colon), offset: Number(digits) };
}

/**
 * One reading's effect, as the workers append it to the folded log.
 * Temperatures are kept in hundredths of a degree so sums are exact and a
 * reading counted twice would show in the totals.
 */
export interface FoldedReading {
  readonly id: string;
  readonly device: string;
  readonly offset: number;
  readonly centiCelsius: number;
  readonly humidity: number | undefined;
}

/** The view's value per device: the latest reading and running statistics. */
export interface DeviceStats {
  readonly count: number;
  readonly sumCentiCelsius: number;
  readonly minCentiCelsius: number;
  readonly maxCentiCelsius: number;
  readonly latestOffset: number;
  readonly latestCelsius: number;
  readonly latestHumidity: number | undefined;
}

/** Folds one reading into a device's statistics (the MaterializedView's reduce). */
export function foldReading(current: DeviceStats | undefined, reading: FoldedReading): DeviceStats {
  if (current === undefined) {
    return {
      count: 1,
      sumCentiCelsius: reading.centiCelsius,
      minCentiCelsius: reading.centiCelsius,
      maxCentiCelsius: reading.centiCelsius,
      latestOffset: reading.offset,
      latestCelsius: reading.centiCelsius / 100,
      latestHumidity: reading.humidity,
    };
  }
  // Two workers fold in parallel, so readings arrive out of order: the latest is the highest offset.
  const newest = reading.offset >= current.latestOffset;
  return {
    count: current.count + 1,
    sumCentiCelsius: current.sumCentiCelsius + reading.centiCelsius,
    minCentiCelsius: Math.min(current.minCentiCelsius, reading.centiCelsius),
    maxCentiCelsius: Math.max(current.maxCentiCelsius, reading.centiCelsius),
    latestOffset: newest ? reading.offset : current.latestOffset,
    latestCelsius: newest ? reading.centiCelsius / 100 : current.latestCelsius,
    latestHumidity: newest ? reading.humidity : current.latestHumidity,
  };
}

/** What the leader writes to the fenced summary every second. */
export interface FleetSummaryRecord {
  readonly leader: string;
  readonly token: number;
  readonly at: number;
  readonly devices: Readonly<Record<string, DeviceStats>>;
}

/** A stage of a node's pipeline as it reports it (the inspector draws these). */
export interface ReportedStage {
  readonly kind: string;
  readonly name?: string;
  readonly counters: Readonly<Record<string, number>>;
}

/** A lego's descriptor as a node reports it: a plain copy, counters as they are now. */
export function reportedStage(lego: LegoDescriptor): ReportedStage {
  return { kind: lego.kind, ...(lego.name === undefined ? {} : { name: lego.name }), counters: { ...lego.counters } };
}

/** What a node process tells its parent over the IPC channel. */
export type NodeReport =
  | {
      readonly type: "status";
      readonly role: "worker" | "aggregator";
      readonly id: string;
      readonly stages: readonly ReportedStage[];
      /** Aggregators: whether this one leads, its token, and what its view holds. */
      readonly leading?: boolean;
      readonly token?: number | undefined;
      readonly devices?: Readonly<Record<string, DeviceStats>>;
      /** Counters the summary adds up (redeliveries, fenced, summaries…). */
      readonly counts: Readonly<Record<string, number>>;
    }
  | { readonly type: "event"; readonly id: string; readonly text: string; readonly kind: "fault" | "info" | "ok" }
  /** An aggregator asked to stop at its next write has checked it leads and is about to write with `token`. */
  | { readonly type: "at-write"; readonly id: string; readonly token: number };

/** What the fleet tells a node process. */
export type NodeCommand =
  /** Aggregators: at the next summary, after the leadership check, report `at-write` and wait a moment before writing. */
  { readonly type: "pause-at-write" };
