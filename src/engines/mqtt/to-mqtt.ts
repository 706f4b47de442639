import { Observable, type Subscription } from "rxjs";
import { legoMeter, withLego, type MonoLegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import { optional, optionalGroup, requireBoolean, requireFunction, requireNonEmptyString, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import type { MessageHeaders } from "../../ports/transport.js";
import { optionalQos, requireMqttConnection, type MqttConnection } from "./mqtt-connection.js";

/** Options of {@link toMqtt}. */
export interface ToMqttOptions<T> {
  connection: MqttConnection;
  /** 0: passed on once written; 1: passed on after the broker's PUBACK. @default 1 */
  qos?: 0 | 1;
  /** @default false */
  retain?: boolean;
  /** Turns an item into the payload. @default bytes and strings as they are, anything else as JSON */
  encode?: (value: T) => Uint8Array | string;
  /** An application message id per item (a user property on MQTT 5, in the envelope on 3.1.1). @default none */
  messageId?: (value: T) => string | undefined;
  /** Headers per item. @default none */
  headers?: (value: T) => MessageHeaders;
  /** Most items published but not yet acknowledged; one more errors with `QUEUE_FULL`. @default 10000 */
  maxPending?: number;
  name?: string;
  group?: string;
}

const encoder = new TextEncoder();

function defaultEncode(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return encoder.encode(typeof value === "string" ? value : JSON.stringify(value));
}

function constant(topic: string): () => string {
  return () => topic;
}

/** One published item waiting for its acknowledgement; items leave in order. */
interface Pending<T> {
  readonly value: T;
  acked: boolean;
}

/**
 * Publishes each item to MQTT and passes it on once the broker has it (after
 * PUBACK with QoS 1), in the order items arrived; publishing is pipelined,
 * so a slow acknowledgement holds back later items, not later publishes.
 *
 * ```
 * source:  --a--b--c------|
 * PUBACK:  ----A-----B-C
 * toMqtt:  ----a-----b-c--|
 * ```
 *
 * Delivery to the broker is at-least-once while the process lives (MQTT.js
 * resends unacknowledged QoS 1 messages after a reconnection); for
 * readings that must survive a crash, record them in a `LocalDurableSpool`
 * and forward it with the `Outbox` over an `MqttTransport`.
 *
 * ## Example
 * ```ts
 * readings$.pipe(toMqtt((r) => `sensors/${r.id}/temperature`, { connection, messageId: (r) => r.id + ":" + r.seq }))
 * ```
 *
 * @see {@link fromMqtt}
 * @lego Transport
 */
export function toMqtt<T>(topic: string | ((value: T) => string), options: ToMqttOptions<T>): MonoLegoOperator<T> {
  const topicOf: (value: T) => string =
    typeof topic === "string" ? constant(requireNonEmptyString("topic", topic)) : requireFunction("topic", topic);
  requireObject("options", options);
  const connection = requireMqttConnection(options.connection);
  const qos = optionalQos(options.qos);
  const retain = optional("retain", options.retain, requireBoolean) ?? false;
  const encode = optional("encode", options.encode, (n, v) => requireFunction(n, v as (value: T) => Uint8Array | string)) ?? defaultEncode;
  const messageIdOf = optional("messageId", options.messageId, (n, v) => requireFunction(n, v as (value: T) => string | undefined));
  const headersOf = optional("headers", options.headers, (n, v) => requireFunction(n, v as (value: T) => MessageHeaders));
  const maxPending = optional("maxPending", options.maxPending, requirePositiveInteger) ?? 10_000;
  const name = optional("name", options.name, requireNonEmptyString);
  const group = optionalGroup(options.group);
  const meter = legoMeter("Transport", { name: name ?? "mqtt.publish", group }, ["published", "acked", "pending"]);

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const queue: Pending<T>[] = [];
      let head = 0;
      let sourceDone = false;

      const release = (): void => {
        while (head < queue.length && queue[head]?.acked === true) {
          const entry = queue[head++] as Pending<T>;
          meter.count("pending", -1);
          subscriber.next(entry.value);
        }
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
        if (sourceDone && head === queue.length) subscriber.complete();
      };

      const publish = (value: T): void => {
        if (queue.length - head >= maxPending) {
          subscriber.error(new LegoError("QUEUE_FULL", `toMqtt: more than ${maxPending} items wait for the broker`, { group }));
          return;
        }
        const entry: Pending<T> = { value, acked: false };
        queue.push(entry);
        meter.count("published");
        meter.count("pending");
        const bytes = encode(value);
        const messageId = messageIdOf?.(value);
        const headers = headersOf?.(value);
        connection
          .publish(topicOf(value), typeof bytes === "string" ? encoder.encode(bytes) : bytes, {
            qos,
            retain,
            ...(messageId === undefined ? {} : { messageId }),
            ...(headers === undefined ? {} : { headers }),
          })
          .then(
            () => {
              entry.acked = true;
              meter.count("acked");
              if (!subscriber.closed) release();
            },
            (error: unknown) => {
              subscriber.error(error);
            },
          );
      };

      const upstream: Subscription = source.subscribe({
        next: (value) => {
          try {
            publish(value);
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          sourceDone = true;
          release();
        },
      });
      return () => {
        upstream.unsubscribe();
      };
    });
  return withLego(operator, meter.descriptor);
}
