import { optionalGroup, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import type { DeadLetter } from "../../ports/durable-queue.js";

/** Options of {@link DeadLetterQueue}. */
export interface DeadLetterQueueOptions {
  /**
   * Dead letters kept at most; when full, the oldest is dropped (counted in
   * {@link DeadLetterQueue.dropped}) to make room — alert on depth well
   * before that. @default 100000
   */
  capacity?: number;
  /** Label linking the queue to the component that owns it. */
  group?: string;
}

/** A dead letter with what a redrive needs: its log offset (where its backend keeps it) and priority. */
export interface StoredDeadLetter<T> {
  readonly letter: DeadLetter<T>;
  readonly offset: number;
  readonly priority: number;
}

/**
 * The jobs a queue gave up on, with the reason, the last error and how
 * many attempts they had (the catalog's `DeadLetterQueue`): listed oldest
 * first, and taken out again to be redriven into the queue. A pure,
 * bounded structure; a {@link DurableQueue} backend persists what it holds.
 *
 * ## Example
 * ```ts
 * const dead = await queue.deadLetters({ limit: 10 }); // [{ id, value, attempts, reason, lastError, … }]
 * await queue.redrive(dead.map((letter) => letter.id)); // back to ready, attempts reset
 * ```
 * @see {@link DurableQueue}
 * @lego DeadLetterQueue
 */
export class DeadLetterQueue<T> {
  readonly capacity: number;
  readonly group: string | undefined;
  readonly #letters = new Map<string, StoredDeadLetter<T>>();
  #dropped = 0;

  constructor(options: DeadLetterQueueOptions = {}) {
    requireObject("options", options);
    this.capacity = requirePositiveInteger("capacity", options.capacity ?? 100_000);
    this.group = optionalGroup(options.group);
  }

  /** Dead letters held. */
  get size(): number {
    return this.#letters.size;
  }

  /** Dead letters dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  has(id: string): boolean {
    return this.#letters.has(id);
  }

  /** Adds a dead letter (replacing one with the same id); answers the one dropped to make room, if any. */
  add(entry: StoredDeadLetter<T>): StoredDeadLetter<T> | undefined {
    this.#letters.delete(entry.letter.id);
    let dropped: StoredDeadLetter<T> | undefined;
    if (this.#letters.size >= this.capacity) {
      for (const [id, oldest] of this.#letters) {
        this.#letters.delete(id);
        dropped = oldest;
        this.#dropped++;
        break;
      }
    }
    this.#letters.set(entry.letter.id, entry);
    return dropped;
  }

  /** The dead letters, oldest first (at most `limit`). */
  list(limit = Infinity): DeadLetter<T>[] {
    const letters: DeadLetter<T>[] = [];
    for (const { letter } of this.#letters.values()) {
      if (letters.length >= limit) break;
      letters.push(letter);
    }
    return letters;
  }

  /** Removes and answers the dead letters named by `ids` (all when absent), oldest first; unknown ids are skipped. */
  take(ids?: readonly string[]): StoredDeadLetter<T>[] {
    const taken: StoredDeadLetter<T>[] = [];
    if (ids === undefined) {
      taken.push(...this.#letters.values());
      this.#letters.clear();
      return taken;
    }
    for (const id of new Set(ids)) {
      const entry = this.#letters.get(id);
      if (entry === undefined) continue;
      this.#letters.delete(id);
      taken.push(entry);
    }
    return taken;
  }
}
