import type { Observable } from "rxjs";
import { derivedName, legoMeter, withLego, type LegoOperator } from "../../atom/lego-descriptor.js";
import { optional, optionalGroup, requireFunction, requireNonEmptyString, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import type { DeduplicationStore } from "../../ports/deduplication-store.js";
import type { KeyspaceBatch } from "../keyspace.js";
import { requireMethods } from "../durable-validate.js";
import { SKIP, orderedAsync } from "../ordered-async.js";
import { isTransactionalDeduplicationStore } from "../state/level-deduplication-store.js";

/** What the handler learns besides the message. */
export interface InboxContext {
  /** The message id the inbox dedupes on. */
  readonly id: string;
  /**
   * Present when the store is transactional (LevelDB): queue the effect's
   * writes here (`batch.in(myKeyspace).put(…)`); they commit in one atomic
   * write with the id's mark, after the handler returned. Do not write the
   * batch yourself.
   */
  readonly batch?: KeyspaceBatch;
}

/** What {@link inbox} emits for each message with an id. */
export type InboxResult<T, R> =
  | { readonly status: "processed"; readonly id: string; readonly message: T; readonly result: R }
  | { readonly status: "duplicate"; readonly id: string; readonly message: T }
  | { readonly status: "failed"; readonly id: string; readonly message: T; readonly error: unknown };

/** Options of {@link inbox}. */
export interface InboxOptions<T> {
  /**
   * The message id of a message; a message without one (`undefined` or `""`)
   * is dropped, counted `invalid` and reported.
   * @default (message) => message.messageId (a `TransportMessage`'s)
   */
  idOf?: (message: T) => string | undefined;
  /**
   * Messages waiting for the handler at most; one more errors the stream
   * with `QUEUE_FULL` (messages are never dropped silently). @default 1000
   */
  maxPending?: number;
  /** Told about each message dropped for having no id. */
  onInvalid?: (report: { readonly reason: "no-id"; readonly message: T }) => void;
  /** Label shown in the pipeline view. @default `<group>.inbox` */
  name?: string;
  /** Label linking the inbox to the component that owns it. @default undefined */
  group?: string;
}

function defaultIdOf(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const id = (message as { messageId?: unknown }).messageId;
  return typeof id === "string" ? id : undefined;
}

const COUNTERS = ["processed", "duplicates", "failed", "invalid", "raced", "rejected"] as const;

/**
 * The catalog's `Inbox` (EventLog + DeduplicationStore): runs `handler`
 * **once per message id** — an exactly-once effect on top of at-least-once
 * delivery (an {@link Outbox}, a broker's redelivery). Messages are handled
 * one at a time in arrival order; each emits one {@link InboxResult}:
 * `processed` (with the handler's result), `duplicate` (skipped) or
 * `failed` (the handler threw; the id is not marked, so a redelivery runs
 * it again — the stream goes on). Ack an at-least-once source downstream of
 * the result, not before.
 *
 * **When the effect is exactly once.**
 * - The id is marked only after the handler succeeded, so a failure or a
 *   crash before the effect never loses the message.
 * - With a plain store (memory, NATS KV) the effect and the mark are two
 *   writes: a crash *between* them repeats the effect on redelivery
 *   (at-least-once for that window). Make such effects idempotent.
 * - With a {@link TransactionalDeduplicationStore} (the LevelDB store) the
 *   handler gets `context.batch`; effects queued there commit in **one
 *   atomic LevelDB write with the mark**: a crash leaves both or neither,
 *   so those effects happen exactly once. Effects outside the batch (an
 *   HTTP call) stay at-least-once.
 * - A repeat is caught only while its id is in the store's window (count
 *   and/or ttl): one arriving after its id expired runs again.
 * - Two inboxes sharing a plain store may both run one id delivered to
 *   both at once (the second mark is counted `raced`); a transactional
 *   store serialises check, effect and mark, so they cannot.
 *
 * ```text
 * source:   --a--b--a'--c--|         (a' repeats a's message id)
 * inbox():  --A--B--d---C--|         A, B, C processed; d = { status: "duplicate" }
 * ```
 *
 * ## Example
 * ```ts
 * const store = await LevelDeduplicationStore.open(db, { ttl: 86_400_000 });
 * transport.subscribe("orders.>").pipe(
 *   inbox(store, (message, { batch }) => {
 *     batch?.in(orders).put(orderKey(message), message.data); // the effect, atomic with the mark
 *   }),
 * ).subscribe();
 * ```
 * Counters on `lego`: `processed`, `duplicates`, `failed`, `invalid`,
 * `raced`, `rejected` (over `maxPending`).
 * @see {@link Outbox}, {@link dedupe}, {@link DeduplicationStore}
 * @lego Inbox
 */
export function inbox<T, R>(
  store: DeduplicationStore,
  handler: (message: T, context: InboxContext) => R | Promise<R>,
  options: InboxOptions<T> = {},
): LegoOperator<T, InboxResult<T, R>> {
  requireMethods("store", store, ["seen", "has"]);
  requireFunction("handler", handler);
  requireObject("options", options);
  const idOf = optional("idOf", options.idOf, (n, v) => requireFunction(n, v as (message: T) => string | undefined)) ?? defaultIdOf;
  const maxPending = requirePositiveInteger("maxPending", options.maxPending ?? 1000);
  const onInvalid = optional("onInvalid", options.onInvalid, (n, v) => requireFunction(n, v as (report: { reason: "no-id"; message: T }) => void));
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "inbox");
  const meter = legoMeter("Inbox", { name, group }, COUNTERS);
  const transactional = isTransactionalDeduplicationStore(store) ? store : undefined;

  /** Handles one message; never throws (a failure is a result). */
  const handle = async (message: T, id: string): Promise<InboxResult<T, R>> => {
    try {
      if (transactional !== undefined) {
        let result: R | undefined;
        const duplicate = await transactional.seenWith(id, async (batch) => {
          result = await handler(message, { id, batch });
        });
        if (duplicate) {
          meter.count("duplicates");
          return { status: "duplicate", id, message };
        }
        meter.count("processed");
        return { status: "processed", id, message, result: result as R };
      }
      if (await store.has(id)) {
        meter.count("duplicates");
        return { status: "duplicate", id, message };
      }
      const result = await handler(message, { id });
      if (await store.seen(id)) meter.count("raced");
      meter.count("processed");
      return { status: "processed", id, message, result };
    } catch (error) {
      meter.count("failed");
      return { status: "failed", id, message, error };
    }
  };

  const step = (message: T): Promise<InboxResult<T, R> | typeof SKIP> => {
    let id: string | undefined;
    try {
      id = idOf(message);
    } catch {
      id = undefined;
    }
    if (typeof id !== "string" || id.length === 0) {
      meter.count("invalid");
      onInvalid?.({ reason: "no-id", message });
      return Promise.resolve(SKIP);
    }
    return handle(message, id);
  };
  const operator = (source: Observable<T>): Observable<InboxResult<T, R>> =>
    orderedAsync(source, step, {
      maxPending,
      what: "inbox",
      group,
      onRejected: () => {
        meter.count("rejected");
      },
    });
  return withLego(operator, meter.descriptor);
}
