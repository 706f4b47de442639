import { lastValueFrom, reduce } from "rxjs";
import type { EventLogPort } from "../../ports/event-log-port.js";
import type { FleetDevice } from "./fleet-device.js";
import type { FleetSummaryRecord, FoldedReading } from "./fleet-plan.js";

/** What the fleet proves at the end, per device and in all. */
export interface FleetAudit {
  /** Readings the devices' pipelines spooled. */
  readonly recorded: number;
  /** Readings the Outboxes had confirmed by JetStream. */
  readonly forwarded: number;
  /** Distinct readings in the folded log (each reading's effect). */
  readonly folded: number;
  /** Recorded readings whose effect is not in the folded log. */
  readonly lost: number;
  /** Effects beyond one per reading: extra folded-log entries plus view counts beyond the readings folded. */
  readonly duplicated: number;
  /** Readings the leader's last summary counted. */
  readonly summarised: number;
  /** Whether the summary's per-device count and temperature sum equal what the spools hold. */
  readonly summaryExact: boolean;
  readonly devices: Readonly<Record<string, { recorded: number; folded: number; summarised: number; sumMatches: boolean }>>;
}

interface SpoolFacts {
  readonly offsets: Set<number>;
  readonly sumCentiCelsius: number;
}

async function spoolFacts(device: FleetDevice, from: number): Promise<SpoolFacts> {
  return lastValueFrom(
    device.spool.replay({ from }).pipe(
      reduce(
        (facts, record) => {
          facts.offsets.add(record.offset);
          const data = record.value.data as { temperature_c?: unknown };
          if (typeof data.temperature_c === "number") facts.sumCentiCelsius += Math.round(data.temperature_c * 100);
          return facts;
        },
        { offsets: new Set<number>(), sumCentiCelsius: 0 },
      ),
    ),
  );
}

async function foldedIds(log: EventLogPort<FoldedReading>): Promise<{ entries: number; ids: Map<string, Set<number>> }> {
  return lastValueFrom(
    log.replay({ from: 0 }).pipe(
      reduce(
        (acc, record) => {
          acc.entries++;
          let offsets = acc.ids.get(record.value.device);
          if (offsets === undefined) acc.ids.set(record.value.device, (offsets = new Set()));
          offsets.add(record.value.offset);
          return acc;
        },
        { entries: 0, ids: new Map<string, Set<number>>() },
      ),
    ),
  );
}

/**
 * Compares three independent records of the run: the devices' spools (what
 * was recorded), the folded log (each reading's effect, appended by
 * whichever worker handled it), and the fenced summary the leader wrote
 * from its view. A reading lost anywhere shows as `lost`; a reading folded
 * twice shows as an extra log entry or as a count and temperature sum in
 * the summary that no longer match the spool.
 */
export async function auditFleet(
  devices: readonly FleetDevice[],
  firstOffsets: ReadonlyMap<string, number>,
  log: EventLogPort<FoldedReading>,
  summary: FleetSummaryRecord | undefined,
): Promise<FleetAudit> {
  const folded = await foldedIds(log);
  const perDevice: Record<string, { recorded: number; folded: number; summarised: number; sumMatches: boolean }> = {};
  let recorded = 0;
  let forwarded = 0;
  let lost = 0;
  let foldedDistinct = 0;
  let summarised = 0;
  let summaryExact = summary !== undefined;
  for (const device of devices) {
    const facts = await spoolFacts(device, firstOffsets.get(device.id) ?? 0);
    const effects = folded.ids.get(device.id) ?? new Set<number>();
    const stats = summary?.devices[device.id];
    const missing = [...facts.offsets].filter((offset) => !effects.has(offset)).length;
    const sumMatches = stats !== undefined && stats.count === facts.offsets.size && stats.sumCentiCelsius === facts.sumCentiCelsius;
    perDevice[device.id] = { recorded: facts.offsets.size, folded: effects.size, summarised: stats?.count ?? 0, sumMatches };
    recorded += facts.offsets.size;
    forwarded += device.forwarded();
    lost += missing;
    foldedDistinct += effects.size;
    summarised += stats?.count ?? 0;
    summaryExact &&= sumMatches;
  }
  const duplicated = Math.max(0, folded.entries - foldedDistinct) + Math.max(0, summarised - foldedDistinct);
  return { recorded, forwarded, folded: foldedDistinct, lost, duplicated, summarised, summaryExact, devices: perDevice };
}
