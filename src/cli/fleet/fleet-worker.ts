import { concatMap, delay, map, of, retry, type Subscription } from "rxjs";
import { inbox, type InboxResult } from "../../durable/handoff/inbox.js";
import type { ConsumerGroupMessage, NatsClient } from "../../engines/nats/index.js";
import { sensorEventCodec } from "../../sensor/sensor-codecs.js";
import type { SensorEvent } from "../../sensor/sensor-event.js";
import {
  ACK_WAIT,
  FOLDED_STREAM,
  FOLDED_SUBJECT,
  FOLD_COST,
  INBOX_BUCKET,
  INBOX_TTL,
  parseMessageId,
  READINGS_STREAM,
  WORKERS_CONSUMER,
  type FoldedReading,
  reportedStage,
  type NodeReport,
} from "./fleet-plan.js";

type Message = ConsumerGroupMessage<SensorEvent>;

/** A running fleet worker. */
export interface FleetWorker {
  report(): NodeReport;
  pauseAtWrite?: undefined;
  close(): Promise<void>;
}

/** The reading's effect: what the folded log stores for it. */
export function foldedReadingOf(message: Message, id: string): FoldedReading {
  const parsed = parseMessageId(id);
  if (parsed === undefined) throw new TypeError(`message id ${JSON.stringify(id)} is not <device>:<offset>`);
  const data = message.value.data as { temperature_c?: unknown; humidity_pct?: unknown };
  if (typeof data.temperature_c !== "number") throw new TypeError(`reading ${id} has no temperature_c`);
  return {
    id,
    device: parsed.device,
    offset: parsed.offset,
    centiCelsius: Math.round(data.temperature_c * 100),
    humidity: typeof data.humidity_pct === "number" ? data.humidity_pct : undefined,
  };
}

/**
 * One member of the fleet's consumer group: it shares the readings stream's
 * durable consumer with the other worker, and runs each reading through an
 * Inbox (seen ids in KV) whose effect is an append to the folded log with
 * the reading's message id. The append is idempotent within the stream's
 * duplicate window and the Inbox catches repeats after it, so a worker
 * killed between effect and ack (the message then goes to the other worker
 * after `ack_wait`) never folds a reading twice.
 */
export async function startFleetWorker(client: NatsClient, id: string): Promise<FleetWorker> {
  const { NatsDeduplicationStore, NatsEventLog, natsConsumerGroup } = await import("../../engines/nats/index.js");
  const seen = await NatsDeduplicationStore.open({ client, bucket: INBOX_BUCKET, ttl: INBOX_TTL, group: id });
  const folded = await NatsEventLog.open<FoldedReading>({ client, stream: FOLDED_STREAM, subject: FOLDED_SUBJECT, group: id });
  let redeliveries = 0;
  const once = inbox<Message, unknown>(seen, (message, context) => folded.append(foldedReadingOf(message, context.id), { id: context.id }), {
    idOf: (message) => message.messageId,
    group: id,
  });
  const group$ = natsConsumerGroup<SensorEvent, InboxResult<Message, unknown>>(
    { client, stream: READINGS_STREAM, consumer: WORKERS_CONSUMER, ackWait: ACK_WAIT, concurrency: 16, codec: sensorEventCodec(), retryDelay: 200, group: id },
    (message) => {
      if (message.attempt > 1) redeliveries++;
      return of(message).pipe(
        concatMap((m) => of(m).pipe(delay(FOLD_COST))),
        once,
        // A failed effect is handed back to the group (nak), not acknowledged.
        map((result) => {
          if (result.status === "failed") throw result.error;
          return result;
        }),
      );
    },
  );
  // The group errors when it cannot reach the server at start (a broker restart); start again.
  const running: Subscription = group$.pipe(retry({ delay: 500 })).subscribe();
  return {
    report: () => ({
      type: "status",
      role: "worker",
      id,
      stages: [reportedStage(group$.lego), reportedStage(once.lego), reportedStage(folded.lego)],
      counts: {
        inFlight: (group$.lego.counters.delivered ?? 0) - (group$.lego.counters.acked ?? 0) - (group$.lego.counters.failed ?? 0) - (group$.lego.counters.invalid ?? 0),
        redeliveries,
        processed: once.lego.counters.processed ?? 0,
        duplicates: once.lego.counters.duplicates ?? 0,
        appendDuplicates: folded.lego.counters.duplicates ?? 0,
      },
    }),
    async close() {
      running.unsubscribe();
      await folded.close();
    },
  };
}
