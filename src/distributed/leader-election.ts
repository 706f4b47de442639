import { distinctUntilChanged, map, type Observable, type SchedulerLike, type Subscription } from "rxjs";
import { isLegoError, LegoError } from "../atom/lego-error.js";
import { legoMeter, type LegoDescriptor } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireNonEmptyString, requireObject, requirePositive } from "../atom/validate.js";
import type { VersionedRegister } from "../ports/versioned-register.js";
import { schedulerOption } from "../time/scheduler.js";
import type { FencingToken } from "./fencing-token.js";
import { lease, type Lease, type LeaseRecord, type LeaseStatus } from "./lease.js";

/** Options of {@link leaderElection}. */
export interface LeaderElectionOptions {
  /** The register key of the election (one key per elected role). */
  key: string;
  /** This candidate's id. */
  id: string;
  /** The leader's lease duration in ms (see {@link LeaseOptions.ttl}); the same for every candidate. */
  ttl: number;
  /** How often the leader renews, ms. @default ttl / 3 */
  renewEvery?: number;
  /** Clock-drift safety margin, ms. @default ttl / 10 */
  margin?: number;
  /**
   * How often a campaigning candidate looks at the register again, ms. It
   * also wakes exactly when the lease it saw would expire, so a crashed
   * leader is replaced within `ttl` + `retryEvery` of its last renew.
   * @default renewEvery
   */
  retryEvery?: number;
  /** Where time and timers come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default `<group>.leader_election` when a group is given */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

/** The leader of an election, with its fencing token. */
export interface Leader {
  readonly id: string;
  readonly token: FencingToken;
}

/** A leader election on one register key (see {@link leaderElection}). */
export interface LeaderElection {
  readonly lego: LegoDescriptor;
  readonly id: string;
  /** The lease this candidate campaigns with. */
  readonly lease: Lease;
  /** Whether {@link campaign} is active (until {@link resign}). */
  readonly campaigning: boolean;
  /**
   * Starts (or joins) campaigning and resolves with the fencing token once
   * this candidate leads. After losing the lease it keeps campaigning until
   * {@link resign}. Rejects with `ABORTED` when resigned first.
   */
  campaign(): Promise<FencingToken>;
  /** Stops campaigning and gives up the lease if held. */
  resign(): Promise<void>;
  /** The leader recorded in the register on subscribe, then every change (`undefined` when there is none). */
  readonly leader$: Observable<Leader | undefined>;
  /** Whether this candidate leads, on subscribe and at every change. */
  readonly isLeader$: Observable<boolean>;
  /** Resigns and closes the lease. */
  close(): Promise<void>;
}

/**
 * Elects at most one leader among candidates sharing a register key (the
 * catalog's `LeaderElection`), on a {@link lease}: the leader is the lease
 * holder, its term is the lease's **fencing token**. A campaigning candidate
 * tries to acquire the lease every `retryEvery` ms and at the moment the
 * lease it saw would expire; the holder renews every `renewEvery` and steps
 * down on its own clock before anyone may take over. The quorum vote the
 * catalog describes is the register's: on NATS KV, JetStream's Raft group
 * orders the conditional writes, so two candidates can never both win a
 * version.
 *
 * `leader$` is the register's view (on NATS 2.9 a bucket TTL expiry sends no
 * event, so a crashed leader stays on `leader$` until a candidate takes
 * over); `isLeader$` is this candidate's own, local-clock view — act on
 * `isLeader$` and send the token with every write to a fenced resource.
 *
 * ```text
 * isLeader$ (a):  f--t--------f        a crashes (stops renewing) at 10
 * isLeader$ (b):  f-----------------t  b takes over at a's last renew + ttl
 * ```
 *
 * ## Example
 * ```ts
 * const election = leaderElection(register, { key: "singleton/compactor", id: "node-a", ttl: 3_000 });
 * election.isLeader$.subscribe((leading) => (leading ? start() : stop()));
 * const token = await election.campaign();
 * ```
 * Counters on `lego`: `attempts`, `elected`, `errors`.
 * @see {@link lease}, {@link fencedRegister}
 * @lego LeaderElection
 */
export function leaderElection(register: VersionedRegister<LeaseRecord>, options: LeaderElectionOptions): LeaderElection {
  requireObject("options", options);
  const id = requireNonEmptyString("id", options.id);
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString) ?? (group === undefined ? undefined : `${group}.leader_election`);
  const scheduler = schedulerOption(options.scheduler, group);
  const leaseOptions = {
    key: options.key,
    holder: id,
    ttl: options.ttl,
    scheduler,
    ...(options.renewEvery === undefined ? {} : { renewEvery: options.renewEvery }),
    ...(options.margin === undefined ? {} : { margin: options.margin }),
    ...(group === undefined ? {} : { group }),
  };
  const held = lease(register, leaseOptions);
  const retryEvery = optional("retryEvery", options.retryEvery, requirePositive) ?? held.renewEvery;
  const meter = legoMeter("LeaderElection", { name, group }, ["attempts", "elected", "errors"]);

  // An object, not a `let`: it changes while an attempt awaits, which flow analysis cannot see.
  const run = { campaigning: false };
  const stillCampaigning = (): boolean => run.campaigning;
  let closed = false;
  let retryTimer: Subscription | undefined;
  let waiters: { resolve: (token: FencingToken) => void; reject: (error: unknown) => void }[] = [];

  function settle(status: LeaseStatus): void {
    if (status.state === "held") {
      meter.count("elected");
      const pending = waiters;
      waiters = [];
      for (const waiter of pending) waiter.resolve(status.token);
    } else if (status.state === "lost" && run.campaigning) {
      schedule(0);
    }
  }
  const statusSubscription = held.status$.subscribe(settle);

  function schedule(delay: number): void {
    retryTimer?.unsubscribe();
    retryTimer = scheduler.schedule(() => {
      retryTimer = undefined;
      void attempt();
    }, Math.max(0, delay));
  }

  async function attempt(): Promise<void> {
    if (!run.campaigning || held.status.state === "held") return;
    meter.count("attempts");
    try {
      await held.acquire();
    } catch (error) {
      if (!stillCampaigning()) return;
      // Held: wake when the lease seen would expire, if that is sooner. Anything
      // else (the register unreachable, a lost race): wait a full retryEvery.
      const isHeld = isLegoError(error, "LEASE_HELD");
      if (!isHeld) meter.count("errors");
      const expiry = held.observedExpiry;
      const untilExpiry = expiry === undefined ? retryEvery : expiry - scheduler.now();
      schedule(isHeld && untilExpiry > 0 ? Math.min(retryEvery, untilExpiry) : retryEvery);
    }
  }

  const leader$ = held.holder$.pipe(
    map((holder): Leader | undefined => (holder === undefined ? undefined : { id: holder.holder, token: holder.token })),
  );
  const isLeader$ = held.status$.pipe(
    map((status) => status.state === "held"),
    distinctUntilChanged(),
  );

  const election: LeaderElection = {
    lego: meter.descriptor,
    id,
    lease: held,
    get campaigning() {
      return run.campaigning;
    },
    campaign() {
      if (closed) return Promise.reject(new LegoError("STORE_CLOSED", `election ${held.key} is closed`, { group }));
      const status = held.status;
      if (status.state === "held") return Promise.resolve(status.token);
      const elected = new Promise<FencingToken>((resolve, reject) => waiters.push({ resolve, reject }));
      if (!run.campaigning) {
        run.campaigning = true;
        void attempt();
      }
      return elected;
    },
    async resign() {
      run.campaigning = false;
      retryTimer?.unsubscribe();
      retryTimer = undefined;
      const pending = waiters;
      waiters = [];
      for (const waiter of pending) waiter.reject(new LegoError("ABORTED", `candidate ${id} resigned`, { group }));
      await held.release();
    },
    leader$,
    isLeader$,
    async close() {
      if (closed) return;
      closed = true;
      await election.resign();
      statusSubscription.unsubscribe();
      await held.close();
    },
  };
  return election;
}
