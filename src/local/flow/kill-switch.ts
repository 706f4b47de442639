import { isObservable, Observable } from "rxjs";
import { derivedName, legoMeter, withLego, type MonoLegoOperator } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import { optional, optionalGroup, requireNonEmptyString, requireOneOf } from "../../atom/validate.js";
import { hotCounters } from "../hot-counters.js";
import { subscribeWithin } from "../subscribe-within.js";
import { FeatureFlag } from "./feature-flag.js";

/** What the output does when the switch is thrown. */
export type KillAction = "error" | "complete";

/** Options of {@link killSwitch}. */
export interface KillSwitchOptions {
  /** `error`: fail with `LegoError` `KILLED`; `complete`: end quietly. @default "error" */
  action?: KillAction;
  /** Label shown in the pipeline view. @default `<group>.kill_switch` when a group is given */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

/**
 * An emergency off switch on a stream (the catalog's `KillSwitch`): the
 * moment `flag$` emits `true`, the upstream is unsubscribed — tearing down
 * in-flight work there (a `bulkhead`'s running calls, pending timers,
 * open connections) — and the output fails with `LegoError` `KILLED`
 * (`action: "error"`, the default, so a kill is never mistaken for a normal
 * end) or completes (`action: "complete"`). `false` does nothing. `flag$`
 * is subscribed first: a switch already thrown (a `FeatureFlag` or
 * `BehaviorSubject` holding `true`) never subscribes the source. An error
 * on `flag$` goes downstream; its completion changes nothing.
 *
 * ```text
 * source:  -a-b-c-d-e-
 * flag:    f-----t----
 *          killSwitch(flag)
 * result:  -a-b-c#          (# = LegoError KILLED)
 * ```
 *
 * ## Example
 * ```ts
 * const off = featureFlag(false, { name: "uplink.kill" });
 * uploads$.pipe(bulkhead(upload, { limit: 4, queue: 50 }), killSwitch(off));
 * off.set(true); // running uploads are cancelled at once
 * ```
 * Counters on `lego`: `passed`, `killed` (subscriptions killed).
 * @see {@link FeatureFlag}
 * @lego KillSwitch
 */
export function killSwitch<T>(flag$: Observable<boolean> | FeatureFlag<boolean>, options: KillSwitchOptions = {}): MonoLegoOperator<T> {
  const flag = flag$ instanceof FeatureFlag ? flag$.value$ : flag$;
  if (!isObservable(flag)) throw new TypeError("flag$ must be an Observable<boolean> or a FeatureFlag");
  if (typeof options !== "object" || (options as unknown) === null) throw new TypeError("options must be an object");
  const group = optionalGroup(options.group);
  const action = optional("action", options.action, (n, v) => requireOneOf(n, v, ["error", "complete"] as const)) ?? "error";
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "kill_switch");
  const meter = legoMeter("KillSwitch", { name, group }, ["passed", "killed"]);
  const counters = hotCounters(meter, ["passed", "killed"] as const);

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      subscribeWithin(subscriber, flag, {
        next: (value) => {
          if (!value) return;
          counters.killed++;
          if (action === "error") subscriber.error(new LegoError("KILLED", "kill switch thrown", { group }));
          else subscriber.complete();
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
      });
      if (subscriber.closed) return;
      subscribeWithin(subscriber, source, {
        next: (value) => {
          counters.passed++;
          subscriber.next(value);
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          subscriber.complete();
        },
      });
    });
  return withLego(operator, meter.descriptor);
}
