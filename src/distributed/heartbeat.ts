import { asyncScheduler, Observable, type SchedulerAction, type SchedulerLike } from "rxjs";
import { legoMeter, withLego, type LegoObservable } from "../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireNonEmptyString,
  requireObject,
  requirePositive,
  requirePositiveInteger,
} from "../atom/validate.js";
import { requireRegisterKey } from "../ports/register-key.js";
import type { VersionedRegister } from "../ports/versioned-register.js";
import { schedulerOption } from "../time/scheduler.js";
import { requireRegister } from "./coordination-validate.js";

/** The default key prefix of heartbeats and membership. */
export const MEMBERS_PREFIX = "members/";

/** What a member writes under `<prefix><member>` at every beat. */
export interface MemberRecord<M = unknown> {
  /** The member's id. */
  readonly member: string;
  /** Grows each time the member (re)starts, so a restart is told apart from a late beat. */
  readonly incarnation: number;
  /** Beat number within this incarnation, from 1. */
  readonly beat: number;
  /** Whatever the member publishes about itself (address, load, version). */
  readonly metadata?: M;
}

/** Options of {@link heartbeat}. */
export interface HeartbeatOptions<M> {
  /** This member's id (a register key segment: `A–Z a–z 0–9 _ = - .`). */
  member: string;
  /** Period of the beats, ms. Watchers' `ttl` should be several periods. */
  every: number;
  /** Published with every beat; a function is called at each beat (load, queue depth…). @default none */
  metadata?: M | (() => M);
  /** Incarnation to announce. @default the incarnation found in the register + 1 (1 when absent) */
  incarnation?: number;
  /** Key prefix shared with {@link membership}. @default "members/" */
  prefix?: string;
  /** Delete the member's key when unsubscribed (an orderly leave; watchers see it at once). @default true */
  leaveOnStop?: boolean;
  /** Where time and timers come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default `<group>.heartbeat` when a group is given */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

/** One beat written, as {@link heartbeat} reports it. */
export interface HeartbeatBeat {
  readonly member: string;
  readonly incarnation: number;
  readonly beat: number;
  /** Register version of the write. */
  readonly version: number;
  /** When the beat was sent (scheduler time). */
  readonly at: number;
}

/**
 * Announces that this member is alive (the catalog's `Heartbeat`): while
 * subscribed, it writes `{ member, incarnation, beat, metadata }` under
 * `<prefix><member>` of a {@link VersionedRegister} every `every` ms (the
 * first beat at once) and emits each beat once written. The incarnation is
 * one more than the one found in the register, so watchers can tell a
 * restart from a late beat. A failed write is counted (`errors`) and the
 * next beat tries again — a missed beat means "not heard from", never
 * "dead". Unsubscribing deletes the key (an orderly leave) unless
 * `leaveOnStop` is false; a crash leaves the key to expire at watchers
 * (their `ttl`) or by the bucket TTL on NATS KV.
 *
 * ```text
 * beats:  b-----b-----b-----b--   (every: 6)
 * ```
 *
 * ## Example
 * ```ts
 * heartbeat(register, { member: "node-a", every: 1_000, metadata: () => ({ load: os.loadavg()[0] }) })
 *   .subscribe();
 * ```
 * Counters on `lego`: `beats`, `errors`, `skipped` (a beat due while the previous write was still pending).
 * @see {@link membership} which watches the beats.
 * @lego Heartbeat
 */
export function heartbeat<M = unknown>(register: VersionedRegister<MemberRecord<M>>, options: HeartbeatOptions<M>): LegoObservable<HeartbeatBeat> {
  requireRegister("register", register);
  requireObject("options", options);
  const prefix = optional("prefix", options.prefix, (n, v) => requireRegisterKey(n, v, { prefix: true })) ?? MEMBERS_PREFIX;
  const member = requireNonEmptyString("member", options.member);
  if (member.includes("/")) throw new RangeError(`member must not contain "/", got ${JSON.stringify(member)}`);
  const key = requireRegisterKey("member", `${prefix}${member}`);
  const every = requirePositive("every", options.every);
  const given = optional("incarnation", options.incarnation, requirePositiveInteger);
  const leaveOnStop = optional("leaveOnStop", options.leaveOnStop, requireBoolean) ?? true;
  const metadata = options.metadata;
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString) ?? (group === undefined ? undefined : `${group}.heartbeat`);
  const scheduler = options.scheduler === undefined ? asyncScheduler : schedulerOption(options.scheduler, group);
  const meter = legoMeter("Heartbeat", { name, group }, ["beats", "errors", "skipped"]);

  const beats = new Observable<HeartbeatBeat>((subscriber) => {
    let incarnation = given;
    let beat = 0;
    let pending: Promise<void> | undefined;
    let lastVersion: number | undefined;
    let stopped = false;

    const record = (): MemberRecord<M> => {
      const base = { member, incarnation: incarnation as number, beat };
      if (metadata === undefined) return base;
      const value = typeof metadata === "function" ? (metadata as () => M)() : metadata;
      return { ...base, metadata: value };
    };

    const send = async (): Promise<void> => {
      const at = scheduler.now();
      if (incarnation === undefined) {
        const previous = await register.get(key);
        incarnation = (previous?.value.incarnation ?? 0) + 1;
      }
      beat++;
      const version = await register.put(key, record());
      lastVersion = version;
      meter.count("beats");
      if (!stopped) subscriber.next(Object.freeze({ member, incarnation, beat, version, at }));
    };

    const action = scheduler.schedule(function tick(this: SchedulerAction<undefined>) {
      if (pending !== undefined) {
        meter.count("skipped");
      } else {
        pending = send()
          .catch(() => {
            meter.count("errors");
          })
          .finally(() => {
            pending = undefined;
          });
      }
      this.schedule(undefined, every);
    }, 0);

    return () => {
      stopped = true;
      action.unsubscribe();
      if (!leaveOnStop) return;
      // After a write still in flight; conditioned on our last write, so a newer incarnation's record is left alone.
      void (pending ?? Promise.resolve()).then(() =>
        lastVersion === undefined ? undefined : register.delete(key, lastVersion).catch(() => undefined),
      );
    };
  });
  return withLego(beats, meter.descriptor);
}
