import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import { sleep } from "../../time/sleep.js";

/** Options of {@link DemandPuller}. */
export interface DemandPullerOptions {
  /** Most messages held at once: received and not yet released, plus those requested. */
  capacity: number;
  /** How long one pull request waits on the server for messages, ms. @default 5000 */
  expires?: number;
  /** Called for each message pulled; the slot is held until {@link DemandPuller.release}. */
  onMessage: (message: JsMsg) => void;
  /** Called when a pull fails for another reason than an expiry (the puller goes on after `retryDelay`). */
  onError?: (error: unknown) => void;
  /** Wait after a failed pull (the server is down, say) before the next, ms. @default 250 */
  retryDelay?: number;
  /** Where the retry wait is scheduled. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * Pulls from a JetStream pull consumer only as much as its holder can take:
 * it never has more than `capacity` messages requested or held, and asks
 * for more only when slots are released (in batches of at least a quarter
 * of the capacity, or at once when nothing is requested). This is pulling
 * on downstream demand; the client's `consume()` instead refills its buffer
 * as messages are *processed*, whether or not they were acknowledged.
 *
 * Messages arriving after `stop()` are handed back (`nak`) at once.
 */
export class DemandPuller {
  readonly #consumer: Consumer;
  readonly #capacity: number;
  readonly #expires: number;
  readonly #onMessage: (message: JsMsg) => void;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #retryDelay: number;
  readonly #scheduler: SchedulerLike;
  readonly #batches = new Set<ConsumerMessages>();
  /** Messages requested and not yet received. */
  #requested = 0;
  /** Messages received and not yet released. */
  #held = 0;
  #stopped = false;

  constructor(consumer: Consumer, options: DemandPullerOptions) {
    this.#consumer = consumer;
    this.#capacity = options.capacity;
    this.#expires = options.expires ?? 5000;
    this.#onMessage = options.onMessage;
    this.#onError = options.onError;
    this.#retryDelay = options.retryDelay ?? 250;
    this.#scheduler = options.scheduler ?? asyncScheduler;
  }

  get held(): number {
    return this.#held;
  }

  /** Starts pulling. */
  start(): void {
    this.#pump();
  }

  /** One held message was settled: its slot is free again. */
  release(): void {
    if (this.#held > 0) this.#held--;
    this.#pump();
  }

  /** Stops pulling; messages still arriving are handed back. */
  stop(): void {
    this.#stopped = true;
    for (const batch of this.#batches) batch.stop();
  }

  #pump(): void {
    if (this.#stopped) return;
    const free = this.#capacity - this.#held - this.#requested;
    if (free <= 0) return;
    if (this.#requested > 0 && free < Math.max(1, Math.floor(this.#capacity / 4))) return;
    void this.#pull(free);
  }

  async #pull(count: number): Promise<void> {
    this.#requested += count;
    let received = 0;
    let failed = false;
    try {
      const batch = await this.#consumer.fetch({ max_messages: count, expires: this.#expires });
      this.#batches.add(batch);
      try {
        if (this.#stopped) batch.stop();
        for await (const message of batch) {
          received++;
          this.#requested--;
          if (this.#stopped) {
            message.nak();
            continue;
          }
          this.#held++;
          this.#onMessage(message);
        }
      } finally {
        this.#batches.delete(batch);
      }
    } catch (error) {
      failed = true;
      if (!this.#stopped) this.#onError?.(error);
    } finally {
      this.#requested -= count - received;
    }
    if (failed) await sleep(this.#retryDelay, this.#scheduler);
    this.#pump();
  }
}
