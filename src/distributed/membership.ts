import { asyncScheduler, map, Observable, startWith, type SchedulerLike, type Subscription } from "rxjs";
import { legoMeter, withLego, type LegoDescriptor, type LegoObservable } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireNonEmptyString, requireObject, requirePositive } from "../atom/validate.js";
import { requireRegisterKey } from "../ports/register-key.js";
import type { RegisterChange, VersionedRegister } from "../ports/versioned-register.js";
import { schedulerOption } from "../time/scheduler.js";
import { requireRegister } from "./coordination-validate.js";
import { FailureDetector, type FailureDetectorOptions } from "./failure-detector.js";
import { MEMBERS_PREFIX, type MemberRecord } from "./heartbeat.js";

/** How a member looks to this watcher. */
export type MemberStatus = "alive" | "suspect";

/** One member in a {@link MembershipView}. */
export interface Member<M = unknown> {
  readonly id: string;
  readonly incarnation: number;
  readonly status: MemberStatus;
  /** When this watcher last saw a beat of it (its own clock). */
  readonly lastSeen: number;
  readonly metadata?: M;
}

/** The members as this watcher sees them; `version` grows by one per event. */
export interface MembershipView<M = unknown> {
  readonly version: number;
  /** Sorted by id. */
  readonly members: readonly Member<M>[];
}

/** What changed. */
export type MembershipEventType =
  /** A new member, or a known one with a higher incarnation (it restarted). */
  | "join"
  /** A member left: deleted its key (`left`) or sent no beat for `ttl` (`timeout`). */
  | "leave"
  /** A member is suspected: its beats are late (phi over the threshold, or `suspectAfter` elapsed). */
  | "suspect"
  /** A suspected member beat again. */
  | "alive";

/** One change of membership with the view after it. */
export interface MembershipEvent<M = unknown> {
  readonly type: MembershipEventType;
  readonly member: Member<M>;
  /** For `leave`: how. */
  readonly reason?: "left" | "timeout";
  /** When this watcher saw the change (scheduler time). */
  readonly at: number;
  readonly view: MembershipView<M>;
}

/** Options of {@link membership}. */
export interface MembershipOptions {
  /** A member with no beat for this many ms has left (`leave`, reason `timeout`). Several heartbeat periods. */
  ttl: number;
  /**
   * A member with no beat for this many ms is suspected, unless
   * `failureDetector` is given (then phi decides). Must be less than `ttl`.
   * @default ttl / 2
   */
  suspectAfter?: number;
  /** Suspect by phi accrual on each member's beat inter-arrival times instead of a fixed `suspectAfter`. @default undefined */
  failureDetector?: Omit<FailureDetectorOptions, "clock" | "group">;
  /** Key prefix shared with {@link heartbeat}. @default "members/" */
  prefix?: string;
  /** Where time and timers come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default `<group>.membership` when a group is given */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

/** A membership watcher (see {@link membership}). */
export interface Membership<M = unknown> {
  readonly lego: LegoDescriptor;
  /** Joins, leaves, suspicions and recoveries, each with the view after it. Each subscription watches the register on its own. */
  readonly events$: LegoObservable<MembershipEvent<M>>;
  /** The view: empty on subscribe, then after every event. */
  readonly members$: Observable<MembershipView<M>>;
}

interface Tracked<M> {
  member: Member<M>;
  detector: FailureDetector | undefined;
}

function isMemberRecord(value: unknown): value is MemberRecord {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Partial<MemberRecord>;
  return (
    typeof record.member === "string" &&
    typeof record.incarnation === "number" &&
    Number.isInteger(record.incarnation) &&
    typeof record.beat === "number"
  );
}

/**
 * Maintains the set of live members from their {@link heartbeat}s (the
 * catalog's `Membership`), on any {@link VersionedRegister}: it watches the
 * keys under `prefix` and turns writes into beats on **this watcher's
 * clock**. A member that beats joins; one that stops beating is suspected
 * (phi accrual per member with `failureDetector`, else after
 * `suspectAfter`), trusted again (`alive`) if it beats, and leaves after
 * `ttl` without a beat — or at once when it deletes its key. A higher
 * incarnation is a restart (`join` again); a record with a lower one is a
 * stale write and ignored. One timer at the next deadline, not polling.
 *
 * Views are local: two watchers can disagree during churn or a partition.
 * Decisions that need agreement go through a {@link Quorum} or a
 * {@link leaderElection}, never one node's view. Members present when a
 * watcher subscribes are seen as beating at that moment (a record carries
 * no time comparable across clocks), so a member that died just before
 * leaves one `ttl` later. Records that are not member records are dropped
 * and counted (`invalid`).
 *
 * ```text
 * beats of a:  a--a--a----------------
 *              membership({ ttl: 12, suspectAfter: 6 })
 * events$:     j--------s-----l          j = join, s = suspect, l = leave (timeout)
 * ```
 *
 * ## Example
 * ```ts
 * const cluster = membership(register, { ttl: 5_000, failureDetector: { threshold: 8 } });
 * cluster.members$.subscribe((view) => render(view.members));
 * ```
 * Counters on `lego`: `joins`, `leaves`, `suspicions`, `invalid`.
 * @see {@link heartbeat}, {@link FailureDetector}
 * @lego Membership
 */
export function membership<M = unknown>(register: VersionedRegister<MemberRecord<M>>, options: MembershipOptions): Membership<M> {
  requireRegister("register", register);
  requireObject("options", options);
  const prefix = optional("prefix", options.prefix, (n, v) => requireRegisterKey(n, v, { prefix: true })) ?? MEMBERS_PREFIX;
  const ttl = requirePositive("ttl", options.ttl);
  const suspectAfter = optional("suspectAfter", options.suspectAfter, requirePositive) ?? ttl / 2;
  if (suspectAfter >= ttl) throw new RangeError(`suspectAfter must be less than ttl (${ttl}), got ${suspectAfter}`);
  const detectorOptions = optional("failureDetector", options.failureDetector, (n, v) => requireObject(n, v)) as
    | Omit<FailureDetectorOptions, "clock" | "group">
    | undefined;
  if (detectorOptions !== undefined) new FailureDetector(detectorOptions); // validates now
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString) ?? (group === undefined ? undefined : `${group}.membership`);
  const scheduler = options.scheduler === undefined ? asyncScheduler : schedulerOption(options.scheduler, group);
  const meter = legoMeter("Membership", { name, group }, ["joins", "leaves", "suspicions", "invalid"]);

  const events = new Observable<MembershipEvent<M>>((subscriber) => {
    const tracked = new Map<string, Tracked<M>>();
    let version = 0;
    let timer: Subscription | undefined;
    subscriber.add(() => timer?.unsubscribe());

    const view = (): MembershipView<M> =>
      Object.freeze({
        version,
        members: Object.freeze(
          [...tracked.values()].map((t) => t.member).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
        ),
      });

    const emit = (type: MembershipEventType, member: Member<M>, at: number, reason?: "left" | "timeout"): void => {
      version++;
      const event = reason === undefined ? { type, member, at, view: view() } : { type, member, reason, at, view: view() };
      subscriber.next(Object.freeze(event));
    };

    const suspectAt = (t: Tracked<M>): number =>
      t.detector === undefined ? t.member.lastSeen + suspectAfter : (t.detector.suspectAt() as number);

    /** Runs every deadline due by now, then arms one timer for the next. */
    const check = (): void => {
      const now = scheduler.now();
      let next = Infinity;
      for (const [id, t] of [...tracked]) {
        const leaveAt = t.member.lastSeen + ttl;
        if (now >= leaveAt) {
          tracked.delete(id);
          meter.count("leaves");
          emit("leave", t.member, now, "timeout");
          continue;
        }
        next = Math.min(next, leaveAt);
        if (t.member.status === "alive") {
          const at = Math.min(suspectAt(t), leaveAt);
          if (now >= at) {
            t.member = Object.freeze({ ...t.member, status: "suspect" });
            meter.count("suspicions");
            emit("suspect", t.member, now);
          } else {
            next = Math.min(next, at);
          }
        }
      }
      timer?.unsubscribe();
      timer = next === Infinity ? undefined : scheduler.schedule(check, Math.max(0, next - now));
    };

    const seen = (change: RegisterChange<MemberRecord<M>>): void => {
      const now = scheduler.now();
      const id = change.key.slice(prefix.length);
      const known = tracked.get(id);
      if (change.operation === "delete") {
        if (known !== undefined) {
          tracked.delete(id);
          meter.count("leaves");
          emit("leave", known.member, now, "left");
        }
        check();
        return;
      }
      const record = change.value;
      if (!isMemberRecord(record) || record.member !== id) {
        meter.count("invalid");
        return;
      }
      const member = (status: MemberStatus): Member<M> =>
        Object.freeze({
          id,
          incarnation: record.incarnation,
          status,
          lastSeen: now,
          ...(record.metadata === undefined ? {} : { metadata: record.metadata }),
        });
      if (known === undefined || record.incarnation > known.member.incarnation) {
        const detector = detectorOptions === undefined ? undefined : new FailureDetector({ ...detectorOptions, clock: scheduler });
        detector?.heartbeat(now);
        const t: Tracked<M> = { member: member("alive"), detector };
        tracked.set(id, t);
        meter.count("joins");
        emit("join", t.member, now);
      } else if (record.incarnation === known.member.incarnation) {
        known.detector?.heartbeat(now);
        const wasSuspect = known.member.status === "suspect";
        known.member = member("alive");
        if (wasSuspect) emit("alive", known.member, now);
      } else {
        meter.count("invalid"); // a late write of an older incarnation
        return;
      }
      check();
    };

    const watch = register.watchAll(prefix).subscribe({
      next: seen,
      error: (error: unknown) => {
        subscriber.error(error);
      },
      complete: () => {
        subscriber.complete();
      },
    });
    subscriber.add(watch);
  });

  const events$ = withLego(events, meter.descriptor);
  const members$ = events.pipe(
    map((event) => event.view),
    startWith(Object.freeze({ version: 0, members: Object.freeze([]) }) as MembershipView<M>),
  );
  return { lego: meter.descriptor, events$, members$ };
}
