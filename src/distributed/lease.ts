import {
  asyncScheduler,
  BehaviorSubject,
  distinctUntilChanged,
  map,
  Observable,
  type SchedulerAction,
  type SchedulerLike,
  type Subscription,
} from "rxjs";
import { isLegoError, LegoError } from "../atom/lego-error.js";
import { legoMeter, withLego, type LegoDescriptor, type LegoObservable } from "../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireNonEmptyString,
  requireNonNegative,
  requireObject,
  requirePositive,
} from "../atom/validate.js";
import { requireRegisterKey } from "../ports/register-key.js";
import type { VersionedRegister } from "../ports/versioned-register.js";
import { isClock, type Clock } from "../time/clock.js";
import { schedulerOption } from "../time/scheduler.js";
import { requireRegister } from "./coordination-validate.js";
import type { FencingToken } from "./fencing-token.js";

/** Options of {@link lease}. */
export interface LeaseOptions {
  /** The register key the lease lives under (one key per leased resource). */
  key: string;
  /** This candidate's id, written into the register as the holder. */
  holder: string;
  /**
   * Lease duration in ms. A holder keeps the lease while it renews at least
   * this often; a candidate takes over a lease whose version has not changed
   * for this long on its own clock. Every candidate of a key must use the
   * same `ttl` (with NATS KV, the bucket's `ttl`).
   */
  ttl: number;
  /** How often the holder renews, in ms (must leave room before the step-down). @default ttl / 3 */
  renewEvery?: number;
  /**
   * Clock-drift safety margin in ms: the holder steps down at
   * last successful renew + `ttl` − `margin`, before any candidate may take
   * over. Must cover the clock-rate drift between nodes over one `ttl`
   * (about 2 × drift rate × ttl) plus scheduling lateness.
   * @default ttl / 10
   */
  margin?: number;
  /** Where time and timers come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default `<group>.lease` when a group is given */
  name?: string;
  /** Group label; a `ManualClock` scheduler without a group adopts it. @default undefined */
  group?: string;
}

/** What a lease stores in the register under its key. */
export interface LeaseRecord {
  /** The holder's id. */
  readonly holder: string;
  /** The grant's fencing token (absent on the granting write itself, whose version it is). */
  readonly token?: FencingToken;
  /** The lease duration the holder used, in ms (informative). */
  readonly ttl: number;
}

/** Why a lease was lost. */
export type LeaseLossReason =
  /** A renew found another version in the register: someone else took the lease over. */
  | "conflict"
  /** No renew succeeded before the step-down time (last successful renew + ttl − margin). */
  | "expired";

/** The lease as its holder sees it, reported on {@link Lease.status$}. */
export type LeaseStatus =
  | { readonly state: "standby"; readonly since: number }
  | { readonly state: "held"; readonly token: FencingToken; readonly since: number; readonly expiresAt: number }
  | { readonly state: "lost"; readonly token: FencingToken; readonly reason: LeaseLossReason; readonly since: number };

/** The holder of a lease as recorded in the register. */
export interface LeaseHolder {
  readonly holder: string;
  /** The grant's fencing token. */
  readonly token: FencingToken;
}

/** What a candidate concludes from one look at the register. */
export type LeaseObservation =
  /** Nobody holds the key: create it. */
  | { readonly kind: "free" }
  /** The record at `version` has not changed for `ttl` on this clock: take it over with a conditional update. */
  | { readonly kind: "expired"; readonly version: number }
  /** Someone holds it; it expires (as far as this candidate can tell) at `expiresAt` unless renewed. */
  | { readonly kind: "held"; readonly version: number; readonly expiresAt: number };

/** Options of the pure {@link LeaseMachine}. */
export interface LeaseMachineOptions {
  /** Lease duration, ms (> 0). */
  ttl: number;
  /** Clock-drift safety margin, ms (≥ 0, < ttl). @default ttl / 10 */
  margin?: number;
  /** Where the methods read time when not given `now`. @default none: pass `now` */
  clock?: Clock;
}

/**
 * The timing rules of a `Lease` as a pure state machine (no RxJS, no IO):
 * the holder's step-down deadline and a candidate's expiry observation.
 *
 * Holder side: {@link granted} / {@link renewed} take the time a write was
 * **sent** (not when it was acknowledged), and the holder stops acting at
 * `lastSent + ttl − margin` ({@link stepDownAt}).
 *
 * Candidate side: {@link observe} records when a version was first seen;
 * the lease is expired once the same version has been seen for `ttl`.
 *
 * ## Safety argument
 * Let the holder's last successful write W be sent at `s` and applied by the
 * register at `w ≥ s`. The holder stops at `s + ttl − margin` on its clock.
 * A candidate first sees W's version at `o ≥ w` and takes over only at
 * `o + ttl` on its clock, with a compare-and-swap on that version (so a
 * renew that lands in between makes the takeover fail). With clock rates
 * within ±ρ of real time, the holder has stopped by real time
 * `s + (ttl − margin)(1 + ρ)` and the takeover happens after
 * `w + ttl(1 − ρ) ≥ s + ttl(1 − ρ)`; the two never overlap while
 * `margin ≥ 2ρ·ttl` (roughly). Nothing here depends on the clocks agreeing
 * on the time of day, only on their rates. A holder that is *paused*
 * (GC, swap) past its step-down time is not covered by any clock rule: that
 * is what the {@link FencingToken} (the granting version) is for — the
 * resource refuses its writes. On a register with a server TTL (a NATS KV
 * bucket `ttl`), the key also vanishes at `w + ttl` on the server's clock,
 * which the same argument covers.
 *
 * @lego Lease
 */
export class LeaseMachine {
  readonly ttl: number;
  readonly margin: number;
  readonly #clock: Clock | undefined;
  #token: FencingToken | undefined;
  #version: number | undefined;
  #lastSent: number | undefined;
  #seenVersion: number | undefined;
  #seenAt = 0;

  constructor(options: LeaseMachineOptions) {
    requireObject("options", options);
    this.ttl = requirePositive("ttl", options.ttl);
    this.margin = optional("margin", options.margin, requireNonNegative) ?? this.ttl / 10;
    if (this.margin >= this.ttl) throw new RangeError(`margin must be less than ttl (${this.ttl}), got ${this.margin}`);
    this.#clock = optional("clock", options.clock, (name, value) => {
      if (!isClock(value)) throw new TypeError(`${name} must be a Clock (with now())`);
      return value;
    });
  }

  /** The token of the grant held, or `undefined`. */
  get token(): FencingToken | undefined {
    return this.#token;
  }

  /** The register version of the holder's last successful write, or `undefined` when not holding. */
  get version(): number | undefined {
    return this.#version;
  }

  /** When the holder must stop acting (`lastSent + ttl − margin`), or `undefined` when not holding. */
  get stepDownAt(): number | undefined {
    return this.#lastSent === undefined ? undefined : this.#lastSent + this.ttl - this.margin;
  }

  /** Whether the holder may act at `now`. */
  holds(now: number = this.#now()): boolean {
    const deadline = this.stepDownAt;
    return deadline !== undefined && now < deadline;
  }

  /** Records a grant: the write sent at `sentAt` got `version`, which is the grant's token. */
  granted(version: number, sentAt: number): void {
    this.#token = version;
    this.#version = version;
    this.#lastSent = sentAt;
  }

  /** Records a successful renew sent at `sentAt` that got `version`. */
  renewed(version: number, sentAt: number): void {
    if (this.#token === undefined) return;
    this.#version = version;
    this.#lastSent = sentAt;
  }

  /** Forgets the grant (lost or released). */
  drop(): void {
    this.#token = undefined;
    this.#version = undefined;
    this.#lastSent = undefined;
  }

  /**
   * A candidate's look at the register at `now`: `version` is the key's
   * current version (`undefined` when absent).
   */
  observe(version: number | undefined, now: number = this.#now()): LeaseObservation {
    if (version === undefined) {
      this.#seenVersion = undefined;
      return { kind: "free" };
    }
    if (version !== this.#seenVersion) {
      this.#seenVersion = version;
      this.#seenAt = now;
    }
    const expiresAt = this.#seenAt + this.ttl;
    return now >= expiresAt ? { kind: "expired", version } : { kind: "held", version, expiresAt };
  }

  #now(): number {
    if (this.#clock === undefined) throw new TypeError("now must be given when the machine has no clock");
    return this.#clock.now();
  }
}

/**
 * A lease on one register key (see {@link lease}). Status and holder are
 * streams; `acquire`, `renew` and `release` are Promises.
 */
export interface Lease {
  readonly lego: LegoDescriptor;
  readonly key: string;
  readonly holder: string;
  readonly ttl: number;
  readonly renewEvery: number;
  readonly margin: number;
  /** The current status, synchronously. */
  readonly status: LeaseStatus;
  /** The fencing token while held, else `undefined`. */
  readonly token: FencingToken | undefined;
  /**
   * When the lease last seen held by another candidate expires on this
   * candidate's clock unless renewed (set by a refused {@link acquire}).
   */
  readonly observedExpiry: number | undefined;
  /**
   * One attempt to take the lease: creates the key when absent, takes over a
   * record whose version did not change for `ttl` on this clock, else
   * rejects with `LEASE_HELD`. While held it renews every `renewEvery` and
   * steps down on its own at the step-down time. Resolves to the fencing
   * token (the granting write's version); resolves at once when already held.
   */
  acquire(): Promise<FencingToken>;
  /** Renews now; `LEASE_LOST` when not held or when the register shows another version (then the lease is lost). */
  renew(): Promise<void>;
  /** Stops acting, then deletes the key if it is still this grant's. */
  release(): Promise<void>;
  /** The status on subscribe, then every change: standby → held → lost/standby. */
  readonly status$: LegoObservable<LeaseStatus>;
  /** The holder recorded in the register on subscribe, then every change (`undefined` when free). */
  readonly holder$: Observable<LeaseHolder | undefined>;
  /** Releases the lease and completes `status$`. */
  close(): Promise<void>;
}

/**
 * A time-bounded exclusive grant on one key of a {@link VersionedRegister}
 * (the catalog's `Lease`), written once on the port: it runs the same on
 * the memory register, LevelDB or a NATS KV bucket.
 *
 * - **acquire**: `create(key)` when free; a record whose version has not
 *   changed for `ttl` on this candidate's clock is taken over with
 *   `update(key, …, version)`. The version of that granting write is the
 *   **fencing token**; it only grows across the register, so a later grant
 *   always carries a larger token.
 * - **renew**: `update(key, …, lastVersion)` every `renewEvery` (about
 *   ttl / 3). A `REGISTER_CONFLICT` means someone else took the lease: the
 *   status turns `lost` (`conflict`) at once.
 * - **step down**: on the local scheduler, at last successful renew (send
 *   time) + `ttl` − `margin`, the status turns `lost` (`expired`) — before
 *   any candidate may take over (see {@link LeaseMachine} for the safety
 *   argument). No server TTL is needed; with a NATS KV bucket `ttl` the key
 *   also vanishes.
 * - **release**: status `standby` first, then `delete(key, version)`.
 *
 * ```text
 * status$:  s---h----------------l      (ttl 30, renews fail from 20 on)
 *           s = standby, h = held (token), l = lost (expired) at lastRenew + ttl − margin
 * ```
 *
 * ## Example
 * ```ts
 * const register = new MemoryVersionedRegister<LeaseRecord>();
 * const job = lease(register, { key: "jobs/compactor", holder: "node-a", ttl: 3_000 });
 * const token = await job.acquire();           // LEASE_HELD if someone holds it
 * job.status$.subscribe((s) => { if (s.state !== "held") stopWorking(); });
 * await store.put("output", result, token);     // a fencedRegister refuses stale tokens
 * ```
 * Counters on `lego`: `acquired`, `refused`, `renewed`, `renewErrors`, `lost`, `released`.
 * @see {@link leaderElection} which campaigns with it, {@link fencedRegister} which checks its tokens.
 * @lego Lease
 */
export function lease(register: VersionedRegister<LeaseRecord>, options: LeaseOptions): Lease {
  requireRegister("register", register);
  requireObject("options", options);
  const key = requireRegisterKey("key", options.key);
  const holder = requireNonEmptyString("holder", options.holder);
  const ttl = requirePositive("ttl", options.ttl);
  const margin = optional("margin", options.margin, requireNonNegative) ?? ttl / 10;
  if (margin >= ttl) throw new RangeError(`margin must be less than ttl (${ttl}), got ${margin}`);
  const renewEvery = optional("renewEvery", options.renewEvery, requirePositive) ?? ttl / 3;
  if (renewEvery >= ttl - margin) {
    throw new RangeError(`renewEvery must be less than ttl − margin (${ttl - margin}), got ${renewEvery}`);
  }
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString) ?? (group === undefined ? undefined : `${group}.lease`);
  const scheduler = options.scheduler === undefined ? asyncScheduler : schedulerOption(options.scheduler, group);
  const meter = legoMeter("Lease", { name, group }, ["acquired", "refused", "renewed", "renewErrors", "lost", "released"]);

  const machine = new LeaseMachine({ ttl, margin, clock: scheduler });
  const status = new BehaviorSubject<LeaseStatus>(Object.freeze({ state: "standby", since: scheduler.now() }));
  let renewTimer: Subscription | undefined;
  let stepDownTimer: Subscription | undefined;
  let renewing: Promise<void> | undefined;
  let acquiring: Promise<FencingToken> | undefined;
  let observedExpiry: number | undefined;
  let closed = false;

  const record = (token?: FencingToken): LeaseRecord => (token === undefined ? { holder, ttl } : { holder, token, ttl });

  function setStatus(next: LeaseStatus): void {
    status.next(Object.freeze(next));
  }

  function stopTimers(): void {
    renewTimer?.unsubscribe();
    stepDownTimer?.unsubscribe();
    renewTimer = undefined;
    stepDownTimer = undefined;
  }

  function lose(reason: LeaseLossReason): void {
    const token = machine.token;
    if (token === undefined) return;
    stopTimers();
    machine.drop();
    meter.count("lost");
    setStatus({ state: "lost", token, reason, since: scheduler.now() });
  }

  /** (Re)arms the step-down at the machine's deadline. */
  function armStepDown(): void {
    stepDownTimer?.unsubscribe();
    const deadline = machine.stepDownAt;
    if (deadline === undefined) return;
    stepDownTimer = scheduler.schedule(() => {
      if (!machine.holds(scheduler.now())) lose("expired");
    }, Math.max(0, deadline - scheduler.now()));
  }

  function armRenew(): void {
    renewTimer?.unsubscribe();
    renewTimer = scheduler.schedule(function tick(this: SchedulerAction<undefined>) {
      if (machine.token === undefined) return;
      void renewOnce().catch(() => undefined);
      this.schedule(undefined, renewEvery);
    }, renewEvery);
  }

  function grant(version: number, sentAt: number): FencingToken {
    machine.granted(version, sentAt);
    observedExpiry = undefined;
    meter.count("acquired");
    const deadline = machine.stepDownAt as number;
    setStatus({ state: "held", token: version, since: scheduler.now(), expiresAt: deadline });
    armStepDown();
    armRenew();
    return version;
  }

  async function attempt(): Promise<FencingToken> {
    const current = await register.get(key);
    const now = scheduler.now();
    const seen = machine.observe(current?.version, now);
    const sentAt = scheduler.now();
    try {
      if (seen.kind === "free") return grant(await register.create(key, record()), sentAt);
      if (seen.kind === "expired") return grant(await register.update(key, record(), seen.version), sentAt);
    } catch (error) {
      if (!isLegoError(error, "REGISTER_CONFLICT")) throw error;
      meter.count("refused");
      throw new LegoError("LEASE_HELD", `lease ${key} was taken by another candidate meanwhile`, { cause: error, group });
    }
    observedExpiry = seen.expiresAt;
    meter.count("refused");
    const other = current?.value.holder ?? "another candidate";
    throw new LegoError("LEASE_HELD", `lease ${key} is held by ${other} (version ${seen.version})`, { group });
  }

  async function renewOnce(): Promise<void> {
    if (renewing !== undefined) return renewing;
    const token = machine.token;
    const version = machine.version;
    if (token === undefined || version === undefined) {
      return Promise.reject(new LegoError("LEASE_LOST", `lease ${key} is not held by ${holder}`, { group }));
    }
    const sentAt = scheduler.now();
    renewing = (async () => {
      try {
        const next = await register.update(key, record(token), version);
        if (machine.token !== token) return; // stepped down or released meanwhile: the write changes nothing for us
        machine.renewed(next, sentAt);
        meter.count("renewed");
        const current = status.value;
        if (current.state === "held") setStatus({ ...current, expiresAt: machine.stepDownAt as number });
        armStepDown();
      } catch (error) {
        if (isLegoError(error, "REGISTER_CONFLICT")) {
          if (machine.token === token) lose("conflict");
          throw new LegoError("LEASE_LOST", `lease ${key} was taken over: ${error.message}`, { cause: error, group });
        }
        meter.count("renewErrors");
        throw error;
      } finally {
        renewing = undefined;
      }
    })();
    return renewing;
  }

  const status$ = withLego(status.asObservable(), meter.descriptor);

  const holder$ = register.watch(key).pipe(
    map((entry): LeaseHolder | undefined =>
      entry === undefined ? undefined : { holder: entry.value.holder, token: entry.value.token ?? entry.version },
    ),
    distinctUntilChanged((a, b) => a?.holder === b?.holder && a?.token === b?.token),
  );

  return {
    lego: meter.descriptor,
    key,
    holder,
    ttl,
    renewEvery,
    margin,
    get status() {
      return status.value;
    },
    get token() {
      return machine.token;
    },
    get observedExpiry() {
      return observedExpiry;
    },
    acquire() {
      if (closed) return Promise.reject(new LegoError("STORE_CLOSED", `lease ${key} is closed`, { group }));
      const held = machine.token;
      if (held !== undefined && machine.holds(scheduler.now())) return Promise.resolve(held);
      acquiring ??= attempt().finally(() => {
        acquiring = undefined;
      });
      return acquiring;
    },
    renew() {
      return renewOnce();
    },
    async release() {
      const version = machine.version;
      const token = machine.token;
      if (token === undefined || version === undefined) return;
      stopTimers();
      machine.drop();
      meter.count("released");
      setStatus({ state: "standby", since: scheduler.now() });
      try {
        await register.delete(key, version);
      } catch (error) {
        // Someone took it over already: nothing of ours is left to delete.
        if (!isLegoError(error, "REGISTER_CONFLICT")) throw error;
      }
    },
    status$,
    holder$,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await this.release();
      } finally {
        status.complete();
      }
    },
  };
}
