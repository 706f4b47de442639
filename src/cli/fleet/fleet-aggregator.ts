import { join } from "node:path";
import { asyncScheduler, firstValueFrom, interval, retry, timer, type Subscription } from "rxjs";
import { isLegoError, messageOf } from "../../atom/lego-error.js";
import { fencedRegister, type FencedRecord } from "../../distributed/fenced-register.js";
import { leaderElection } from "../../distributed/leader-election.js";
import type { LeaseRecord } from "../../distributed/lease.js";
import { openLevelDatabase } from "../../durable/level-database.js";
import { MaterializedView } from "../../durable/state/materialized-view.js";
import type { NatsClient } from "../../engines/nats/index.js";
import {
  ELECTION_BUCKET,
  ELECTION_KEY,
  foldReading,
  FOLDED_STREAM,
  FOLDED_SUBJECT,
  LEASE_TTL,
  SUMMARY_BUCKET,
  SUMMARY_EVERY,
  SUMMARY_KEY,
  type DeviceStats,
  type FleetSummaryRecord,
  type FoldedReading,
  reportedStage,
  type NodeReport,
} from "./fleet-plan.js";

/** How long an aggregator that reported `at-write` waits for the fleet's SIGSTOP before it writes, ms. */
const AT_WRITE_GRACE = 300;

/** A running aggregator candidate. */
export interface FleetAggregator {
  report(): Promise<NodeReport>;
  /** At the next summary, stop between the leadership check and the write (see {@link startFleetAggregator}). */
  pauseAtWrite(): void;
  close(): Promise<void>;
}

/**
 * An aggregator candidate: it keeps its own MaterializedView of the folded
 * log (per-device latest and running statistics, in LevelDB under `dir`),
 * campaigns for the aggregator role, and while it leads writes the summary
 * every second to a fenced register with its lease's token. A leader
 * paused past its lease between its leadership check and its write sends
 * the write when it wakes, with the old token; the register refuses it
 * (`FENCED`), which is counted and reported. The fleet makes the pause land
 * in that gap ({@link FleetAggregator.pauseAtWrite}); a pause elsewhere is
 * caught by the lease's own step-down and writes nothing.
 */
export async function startFleetAggregator(
  client: NatsClient,
  id: string,
  dir: string,
  tell: (report: NodeReport) => void,
): Promise<FleetAggregator> {
  const { NatsEventLog, NatsVersionedRegister } = await import("../../engines/nats/index.js");
  const leases = await NatsVersionedRegister.open<LeaseRecord>({ client, bucket: ELECTION_BUCKET, group: id });
  const summaries = await NatsVersionedRegister.open<FencedRecord<FleetSummaryRecord>>({ client, bucket: SUMMARY_BUCKET, group: id });
  const folded = await NatsEventLog.open<FoldedReading>({ client, stream: FOLDED_STREAM, subject: FOLDED_SUBJECT, group: id });
  const db = await openLevelDatabase(join(dir, id), { what: `${id} view`, group: id });
  const view = await MaterializedView.open<FoldedReading, DeviceStats>(db, {
    source: folded,
    name: "device-stats",
    keyOf: (reading) => reading.device,
    reduce: (current, reading) => foldReading(current, reading),
    group: id,
  });
  const summary = fencedRegister(summaries, { name: "summary", group: id });
  const election = leaderElection(leases, { key: ELECTION_KEY, id, ttl: LEASE_TTL, group: id });
  const counts = { summaries: 0, fenced: 0, summaryErrors: 0, elected: 0 };
  let leading = false;

  const subscriptions: Subscription[] = [
    // The log is unreachable while the broker restarts: fold on from where the view is.
    view.run().pipe(retry({ delay: 500 })).subscribe(),
    election.isLeader$.subscribe((isLeader) => {
      if (isLeader === leading) return;
      leading = isLeader;
      if (isLeader) counts.elected++;
      const token = election.lease.token;
      tell({ type: "event", id, kind: isLeader ? "ok" : "info", text: isLeader ? `${id} leads (token ${String(token)})` : `${id} stepped down` });
      // A new leader writes at once: the write raises the register's fence to its token,
      // so a deposed leader's late write is refused from then on.
      if (isLeader) void publishSummary();
    }),
  ];
  election.campaign().catch(() => undefined);

  let stopAtWrite = false;

  async function publishSummary(): Promise<void> {
    // The leadership check: the token as this process believes it.
    const token = election.lease.token;
    if (token === undefined) return;
    const devices = Object.fromEntries(await view.entries());
    if (stopAtWrite) {
      // The fleet SIGSTOPs this process now, in the gap between check and write that no
      // check can close (a GC pause, a swapped-out page); the write goes out when it wakes.
      stopAtWrite = false;
      tell({ type: "at-write", id, token });
      await firstValueFrom(timer(AT_WRITE_GRACE));
    }
    try {
      await summary.put(SUMMARY_KEY, { leader: id, token, at: asyncScheduler.now(), devices }, token);
      counts.summaries++;
    } catch (error) {
      if (isLegoError(error, "FENCED")) {
        counts.fenced++;
        tell({ type: "event", id, kind: "ok", text: `fencing rejected ${id}'s late summary (token ${token})` });
      } else {
        counts.summaryErrors++;
        tell({ type: "event", id, kind: "info", text: `${id}: summary not written: ${messageOf(error)}` });
      }
    }
  }
  // After SIGCONT this tick is due before the lease's step-down timer, so a paused leader's
  // first act on waking is a late write, as it would be in a real pause.
  subscriptions.push(interval(SUMMARY_EVERY).subscribe(() => void publishSummary()));

  return {
    pauseAtWrite() {
      stopAtWrite = true;
    },
    async report() {
      return {
        type: "status",
        role: "aggregator",
        id,
        stages: [reportedStage(folded.lego), reportedStage(view.lego), reportedStage(election.lego), reportedStage(summary.lego)],
        leading,
        token: election.lease.token,
        devices: Object.fromEntries(await view.entries()),
        counts,
      };
    },
    async close() {
      for (const subscription of subscriptions) subscription.unsubscribe();
      await election.close();
      await view.close();
      await db.close();
      await folded.close();
    },
  };
}
