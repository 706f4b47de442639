import { Observable, Subject, type SchedulerLike, type Subscription } from "rxjs";
import { legoMeter, withLego, type LegoDescriptor, type LegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import { optional, optionalGroup, requireFunction, requireNonEmptyString, requireObject, requirePositive } from "../../atom/validate.js";
import type { MessageHeaders, PublishOptions, RequestOptions, Transport, TransportMessage } from "../../ports/transport.js";
import { schedulerOption } from "../../time/scheduler.js";
import { sleep } from "../../time/sleep.js";

/** Options of {@link confirmByReceipt}. */
export interface ConfirmByReceiptOptions {
  /** The subject this producer hears receipts on (the receiver's {@link sendReceipts} publishes there). */
  receipts: string;
  /** How long (ms) a publish waits for its receipt before it fails with `TIMEOUT` (the Outbox then retries it). */
  timeout: number;
  /** Receipt deadlines run here. @default asyncScheduler */
  scheduler?: SchedulerLike;
  group?: string;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A {@link Transport} whose `publish` resolves only when the **receiver**
 * confirms the message — a receipt carrying its message id, sent by
 * {@link sendReceipts} after the receiver's Inbox handled it — instead of
 * when the broker acknowledged it. An Outbox over it moves its cursor on
 * end-to-end confirmation, so what a broker acknowledged from memory and
 * then lost in a crash (mosquitto saves its state after it has sent
 * PUBACK) is published again: delivery no longer depends on the broker's
 * durability. A lost receipt only causes a republish, which the Inbox
 * removes. Every publish must carry a `messageId`.
 *
 * ```
 * publish(m1):  ──broker──▶ receiver (Inbox) ──receipt m1──▶ resolves
 * publish(m2):  ──broker──✗ (lost)            … timeout ──▶ rejects (TIMEOUT), Outbox republishes
 * ```
 *
 * ## Example
 * ```ts
 * const transport = confirmByReceipt(new MqttTransport({ connection }), { receipts: "receipts.dev-7", timeout: 2000 });
 * const outbox = await Outbox.open({ spool, transport, subject: "readings.dev-7", checkpoints: spool.checkpoints, name: "uplink", producerId: "dev-7" });
 * ```
 *
 * @see {@link sendReceipts}, {@link Outbox}, {@link inbox}
 * @lego Outbox
 */
export function confirmByReceipt(inner: Transport, options: ConfirmByReceiptOptions): Transport & { readonly lego: LegoDescriptor } {
  requireObject("options", options);
  const receipts = requireNonEmptyString("receipts", options.receipts);
  const timeout = requirePositive("timeout", options.timeout);
  const group = optionalGroup(options.group);
  const scheduler = schedulerOption(options.scheduler, group);
  const meter = legoMeter("Outbox", { name: `receipts:${receipts}`, group }, ["confirmed", "timedOut", "receipts", "relistens"]);
  const waiting = new Map<string, () => void>();
  let listening: Subscription | undefined;

  // A receipt subscription can fail (MQTT: the connection closed before
  // SUBACK, e.g. the broker restarting while a device starts). It is made
  // again on the next publish: without that, the error went unhandled
  // (crashing the process) and, if survived, every later publish timed out
  // for want of a listener — a forwarder stuck on one record. Receipts
  // missed meanwhile end in TIMEOUT, a republish and a fresh receipt.
  const listen = (): void => {
    if (listening !== undefined) return;
    // Only one subscription lives at a time: a new one is made once the last ended.
    const state = { ended: false };
    const end = (): void => {
      state.ended = true;
      listening = undefined;
    };
    const subscription = inner.subscribe(receipts).subscribe({
      next: (message) => {
        meter.count("receipts");
        const id = message.messageId ?? decoder.decode(message.data);
        waiting.get(id)?.();
      },
      error: () => {
        meter.count("relistens");
        end();
      },
      complete: end,
    });
    if (!state.ended) listening = subscription;
  };

  const publish = async (subject: string, data: Uint8Array, publishOptions: PublishOptions = {}): Promise<void> => {
    const id = publishOptions.messageId;
    if (id === undefined) throw new TypeError("confirmByReceipt: publish needs options.messageId to match its receipt");
    listen();
    const abort = new AbortController();
    const receipt = new Promise<void>((resolve) => {
      waiting.set(id, () => {
        abort.abort();
        resolve();
      });
    });
    try {
      await inner.publish(subject, data, publishOptions);
      const expired = sleep(timeout, scheduler, abort.signal).then(
        () => {
          throw new LegoError("TIMEOUT", `no receipt for ${id} within ${timeout} ms`, { group });
        },
        () => undefined,
      );
      await Promise.race([receipt, expired]);
      meter.count("confirmed");
    } catch (error) {
      if (error instanceof LegoError && error.code === "TIMEOUT") meter.count("timedOut");
      throw error;
    } finally {
      abort.abort();
      waiting.delete(id);
    }
  };

  const transport = {
    guarantee: "at-least-once" as const,
    status$: inner.status$,
    publish,
    subscribe: (subject: string, subscribeOptions?: { queue?: string }): Observable<TransportMessage> =>
      inner.subscribe(subject, subscribeOptions),
    request: (subject: string, data: Uint8Array, requestOptions: RequestOptions): Promise<TransportMessage> =>
      inner.request(subject, data, requestOptions),
    close: async (): Promise<void> => {
      listening?.unsubscribe();
      await inner.close();
    },
  };
  return withLego(transport, meter.descriptor);
}

/** Options of {@link sendReceipts}. */
export interface SendReceiptsOptions<T> {
  /** The message id a result confirms; results without one pass on unconfirmed. @default `result.id` */
  idOf?: (result: T) => string | undefined;
  /** Whether a result is confirmed. @default results whose `status` is not `"failed"` */
  confirms?: (result: T) => boolean;
  /** Extra headers on each receipt. @default none */
  headers?: MessageHeaders;
  group?: string;
}

function defaultId(result: unknown): string | undefined {
  const id = typeof result === "object" && result !== null ? (result as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id : undefined;
}

function defaultConfirms(result: unknown): boolean {
  return typeof result !== "object" || result === null || (result as { status?: unknown }).status !== "failed";
}

/**
 * Publishes a receipt for each handled message (an Inbox's `processed` and
 * `duplicate` results: a duplicate is confirmed again, since its first
 * receipt may be what was lost) to the subject `receiptsFor(messageId)`,
 * then passes the result on — so acknowledge the incoming message after
 * this operator. A failed receipt publish is counted and the stream goes
 * on: the producer's timeout republishes and a later receipt confirms it.
 *
 * ```
 * inbox results: --P1--D1--F2--|
 * receipts:      --r1--r1------     (F2 failed: no receipt, so it comes again)
 * sendReceipts:  --P1--D1--F2--|
 * ```
 *
 * @see {@link confirmByReceipt}
 * @lego Inbox
 */
export function sendReceipts<T>(
  transport: Transport,
  receiptsFor: (messageId: string) => string,
  options: SendReceiptsOptions<T> = {},
): LegoOperator<T, T> {
  requireFunction("receiptsFor", receiptsFor);
  requireObject("options", options);
  const idOf = optional("idOf", options.idOf, (n, v) => requireFunction(n, v as (result: T) => string | undefined)) ?? defaultId;
  const confirms = optional("confirms", options.confirms, (n, v) => requireFunction(n, v as (result: T) => boolean)) ?? defaultConfirms;
  const group = optionalGroup(options.group);
  const headers = options.headers;
  const meter = legoMeter("Inbox", { name: "receipts", group }, ["sent", "failed"]);
  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const results = new Subject<T>();
      let chain = Promise.resolve();
      const sendThenPass = (result: T): void => {
        const id = idOf(result);
        chain = chain.then(async () => {
          if (id !== undefined && confirms(result)) {
            try {
              await transport.publish(receiptsFor(id), encoder.encode(id), { messageId: id, ...(headers === undefined ? {} : { headers }) });
              meter.count("sent");
            } catch {
              meter.count("failed");
            }
          }
          results.next(result);
        });
      };
      const out = results.subscribe(subscriber);
      const upstream = source.subscribe({
        next: sendThenPass,
        error: (error: unknown) => {
          void chain.then(() => {
            results.error(error);
          });
        },
        complete: () => {
          void chain.then(() => {
            results.complete();
          });
        },
      });
      return () => {
        upstream.unsubscribe();
        out.unsubscribe();
      };
    });
  return withLego(operator, meter.descriptor);
}
