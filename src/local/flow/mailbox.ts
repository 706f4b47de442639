import { from, Observable, type ObservableInput, type Subscription } from "rxjs";
import { derivedName, legoMeter, withLego, type LegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonEmptyString,
  requireNonNegativeInteger,
  requireObject,
  requireOneOf,
  requirePositiveInteger,
} from "../../atom/validate.js";
import { QUEUE_OVERFLOWS, type QueueOverflow } from "../../policy/concurrency-policy.js";
import { hotCounters } from "../hot-counters.js";
import { subscribeWithin } from "../subscribe-within.js";
import type { InvalidItem } from "./cost.js";
import type { FairKey } from "./fair-queue.js";
import { Ring } from "./ring.js";

/** Options of the {@link Mailbox} machine. */
export interface MailboxOptions {
  /** Most messages waiting per owner (besides the one being handled), an integer >= 0. */
  capacity: number;
  /** Most owners busy at once, a positive integer (a message for a new owner beyond it is refused). @default 1024 */
  maxOwners?: number;
  /** What a full inbox does with one more message (`error` refuses it like `drop_newest`). @default "drop_newest" */
  overflow?: QueueOverflow;
  /** Group label. @default undefined */
  group?: string;
}

/** What {@link Mailbox.post} did: `run` means the owner was idle and should handle the message now. */
export type PostResult = "run" | "queued" | "evicted" | "refused";

interface Inbox<T> {
  readonly ring: Ring<T>;
}

/**
 * The catalog's `Mailbox` as a pure machine: one bounded inbox per owner
 * key; an owner handles one message at a time in arrival order (`post`
 * says `run` when the owner was idle; `done(owner)` hands over the next
 * message). An idle owner's inbox is forgotten, so `maxOwners` bounds memory.
 *
 * ## Example
 * ```ts
 * const m = new Mailbox<string>({ capacity: 10 });
 * m.post("door", "open");  // "run"
 * m.post("door", "close"); // "queued"
 * m.done("door");          // true: m.next is "close"
 * m.done("door");          // false: door is idle
 * ```
 * @see `mailbox` the operator.
 * @lego Mailbox
 */
export class Mailbox<T> {
  readonly capacity: number;
  readonly maxOwners: number;
  readonly overflow: QueueOverflow;
  group: string | undefined;
  /** Messages evicted by `drop_oldest`. */
  dropped = 0;
  /** Messages refused: a full inbox, or a new owner beyond `maxOwners`. */
  rejected = 0;
  /** The message `done()` handed over. */
  next: T | undefined = undefined;
  private readonly busy = new Map<FairKey, Inbox<T>>();
  private waitingCount = 0;

  constructor(options: MailboxOptions) {
    requireObject("options", options);
    this.capacity = requireNonNegativeInteger("capacity", options.capacity);
    this.maxOwners = optional("maxOwners", options.maxOwners, requirePositiveInteger) ?? 1024;
    this.overflow = optional("overflow", options.overflow, (n, v) => requireOneOf(n, v, QUEUE_OVERFLOWS)) ?? "drop_newest";
    this.group = optionalGroup(options.group);
  }

  /** Owners busy now. */
  get owners(): number {
    return this.busy.size;
  }

  /** Messages waiting now, over all owners. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Posts `message` to `owner`. */
  post(owner: FairKey, message: T): PostResult {
    const inbox = this.busy.get(owner);
    if (inbox === undefined) {
      if (this.busy.size >= this.maxOwners) {
        this.rejected++;
        return "refused";
      }
      this.busy.set(owner, { ring: new Ring<T>(Math.max(this.capacity, 1)) });
      return "run";
    }
    if (inbox.ring.size < this.capacity) {
      inbox.ring.push(message);
      this.waitingCount++;
      return "queued";
    }
    if (this.overflow === "drop_oldest" && inbox.ring.size > 0) {
      inbox.ring.shift();
      inbox.ring.push(message);
      this.dropped++;
      return "evicted";
    }
    this.rejected++;
    return "refused";
  }

  /**
   * `owner` finished a message: true when another waits (it is in `next`
   * and the owner stays busy), false when the owner is now idle.
   */
  done(owner: FairKey): boolean {
    const inbox = this.busy.get(owner);
    if (inbox === undefined) return false;
    if (inbox.ring.size === 0) {
      this.busy.delete(owner);
      this.next = undefined;
      return false;
    }
    this.next = inbox.ring.shift();
    this.waitingCount--;
    return true;
  }

  /** Forgets every owner and message; returns how many messages were waiting. */
  clear(): number {
    const n = this.waitingCount;
    this.busy.clear();
    this.waitingCount = 0;
    this.next = undefined;
    return n;
  }
}

/** Options of {@link mailbox}. */
export interface MailboxOperatorOptions<T> extends MailboxOptions {
  /** The owner of each message; a throw or a non-string/number result is invalid data (dropped, counted). */
  key: (message: T) => FairKey;
  /** Called for a message whose key is invalid. */
  onInvalid?: (item: InvalidItem<T>) => void;
  /** Label shown in the pipeline view. @default `<group>.mailbox` when a group is given */
  name?: string;
}

const COUNTERS = ["owners", "waiting", "handled", "dropped", "rejected", "invalid"] as const;

/**
 * Actor-style handling (the catalog's `Mailbox`): `handler` runs for one
 * message at a time **per owner key**, in arrival order, while different
 * owners run concurrently (like `groupBy` + `concatMap`, but each owner's
 * inbox is bounded by `capacity` with an overflow policy, and idle owners
 * are forgotten). `overflow: "error"` fails with `LegoError` `QUEUE_FULL`.
 * Unsubscribing cancels running handlers. Results merge in completion order.
 *
 * ```text
 * source:  a-b-c-------|          (a = "a1", b = "a2", c = "b1")
 *          mailbox(m => timer(4).pipe(map(() => m)), { key: m => m[0], capacity: 4 })
 * result:  ----a---(cb)|          (a2 waits for a1; b1 runs beside it)
 * ```
 *
 * ## Example
 * ```ts
 * commands$.pipe(mailbox((cmd) => device(cmd.deviceId).send(cmd), { key: (c) => c.deviceId, capacity: 16 }));
 * ```
 * Counters on `lego`: `owners`, `waiting` (now), `handled`, `dropped`, `rejected`, `invalid`.
 * @see {@link Mailbox} the machine, `bulkhead` (a limit over all keys).
 * @lego Mailbox
 */
export function mailbox<T, R>(
  handler: (message: T, owner: FairKey) => ObservableInput<R>,
  options: MailboxOperatorOptions<T>,
): LegoOperator<T, R> {
  requireFunction("handler", handler);
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const keyOf = requireFunction("key", options.key);
  const machineOptions: MailboxOptions = { capacity: options.capacity };
  if (options.maxOwners !== undefined) machineOptions.maxOwners = options.maxOwners;
  if (options.overflow !== undefined) machineOptions.overflow = options.overflow;
  if (group !== undefined) machineOptions.group = group;
  const overflow = new Mailbox<T>(machineOptions).overflow; // validates now
  const onInvalid = optional("onInvalid", options.onInvalid, (n, v) => requireFunction(n, v as (item: InvalidItem<T>) => void));
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "mailbox");
  const meter = legoMeter("Mailbox", { name, group }, COUNTERS);
  const counters = hotCounters(meter, COUNTERS);

  const operator = (source: Observable<T>): Observable<R> =>
    new Observable<R>((subscriber) => {
      const box = new Mailbox<T>(machineOptions);
      let sourceDone = false;
      let owners = 0;
      let waiting = 0;
      const sync = (): void => {
        counters.owners += box.owners - owners;
        owners = box.owners;
        counters.waiting += box.waiting - waiting;
        waiting = box.waiting;
      };
      const finishIfDone = (): void => {
        if (sourceDone && box.owners === 0) subscriber.complete();
      };

      // Runs `message` for `owner`, then its next ones; loops (no recursion) while handlers finish synchronously.
      const run = (owner: FairKey, message: T): void => {
        for (;;) {
          let async = false;
          let inner: Subscription | undefined;
          let input: ObservableInput<R>;
          try {
            input = handler(message, owner);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          inner = from(input).subscribe({
            next: (result) => {
              subscriber.next(result);
            },
            error: (error: unknown) => {
              subscriber.error(error);
            },
            complete: () => {
              counters.handled++;
              if (!async) return; // finished synchronously: the loop below goes on
              if (inner !== undefined) subscriber.remove(inner);
              if (box.done(owner)) {
                sync();
                run(owner, box.next as T);
              } else {
                sync();
                finishIfDone();
              }
            },
          });
          if (subscriber.closed) {
            inner.unsubscribe();
            return;
          }
          if (!inner.closed) {
            async = true;
            subscriber.add(inner);
            return;
          }
          inner = undefined;
          if (!box.done(owner)) {
            sync();
            finishIfDone();
            return;
          }
          sync();
          message = box.next as T;
        }
      };

      subscribeWithin(subscriber, source, {
        next: (message) => {
          let owner: unknown;
          try {
            owner = keyOf(message);
          } catch (error) {
            owner = error;
          }
          if (typeof owner !== "string" && typeof owner !== "number") {
            counters.invalid++;
            onInvalid?.({ reason: "bad-key", value: message, detail: owner });
            return;
          }
          const result = box.post(owner, message);
          sync();
          if (result === "run") run(owner, message);
          else if (result === "evicted") counters.dropped++;
          else if (result === "refused") {
            counters.rejected++;
            if (overflow === "error") {
              subscriber.error(new LegoError("QUEUE_FULL", `mailbox of ${String(owner)} is full (capacity ${box.capacity})`, { group }));
            }
          }
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          sourceDone = true;
          finishIfDone();
        },
      });

      return () => {
        box.clear();
        sync();
      };
    });
  return withLego(operator, meter.descriptor);
}
