import { messageOf } from "../../atom/lego-error.js";
import type { FencedRecord } from "../../distributed/fenced-register.js";
import type { NatsClient, NatsEventLog, NatsVersionedRegister } from "../../engines/nats/index.js";
import {
  ELECTION_BUCKET,
  FOLDED_STREAM,
  FOLDED_SUBJECT,
  INBOX_BUCKET,
  INBOX_TTL,
  READINGS_STREAM,
  READINGS_SUBJECT,
  SUMMARY_BUCKET,
  type FleetSummaryRecord,
  type FoldedReading,
} from "./fleet-plan.js";

/** The parent's handles on what the fleet keeps in JetStream. */
export interface FleetStreams {
  readonly folded: NatsEventLog<FoldedReading>;
  readonly summaries: NatsVersionedRegister<FencedRecord<FleetSummaryRecord>>;
}

const FLEET_STREAMS = [READINGS_STREAM, FOLDED_STREAM, `KV_${INBOX_BUCKET}`, `KV_${ELECTION_BUCKET}`, `KV_${SUMMARY_BUCKET}`];

/**
 * Starts the fleet's JetStream state afresh (a server given with `--nats`
 * may hold an earlier run's) and creates every stream and bucket before the
 * nodes start, so they only open what exists.
 */
export async function prepareFleetStreams(client: NatsClient): Promise<FleetStreams> {
  const { NatsDeduplicationStore, NatsEventLog, NatsVersionedRegister } = await import("../../engines/nats/index.js");
  const jsm = await client.jetstreamManager();
  for (const name of FLEET_STREAMS) {
    await jsm.streams.delete(name).catch((error: unknown) => {
      if (!/stream not found/i.test(messageOf(error))) throw error;
    });
  }
  await jsm.streams.add({ name: READINGS_STREAM, subjects: [`${READINGS_SUBJECT}.*`] });
  const folded = await NatsEventLog.open<FoldedReading>({ client, stream: FOLDED_STREAM, subject: FOLDED_SUBJECT });
  await (await NatsDeduplicationStore.open({ client, bucket: INBOX_BUCKET, ttl: INBOX_TTL })).close();
  await (await NatsVersionedRegister.open({ client, bucket: ELECTION_BUCKET })).close();
  const summaries = await NatsVersionedRegister.open<FencedRecord<FleetSummaryRecord>>({ client, bucket: SUMMARY_BUCKET });
  return { folded, summaries };
}
