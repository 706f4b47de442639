/**
 * A test double of a Heart peripheral that mirrors Heart's shapes exactly
 * (heart/peripheral/core: `Peripheral`, `PeripheralMessageEnvelope`,
 * `PeripheralInfo`, `PeripheralLocation`, `PeripheralTag`, and
 * subscriptions.`CallbackObservable`), transcribed to TypeScript with
 * Heart's snake_case names:
 *
 * - `observe` is a (cached) property holding a callback observable whose
 *   `subscribe(observer?, on_error?, on_completed?, scheduler?, { on_next }?)`
 *   takes a function or an `{ on_next, on_error, on_completed }` observer and
 *   returns a subscription with `dispose()` — no `unsubscribe()`;
 * - Heart's `observe` only ever calls the observer's `on_next` (its graph
 *   callback), never `next`;
 * - each item is a `PeripheralMessageEnvelope { peripheral_info, data }`,
 *   the info `{ id: string | null, tags, location: { x, y, z, time: Date | null } }`;
 * - the base class has `run()` and a no-op `handle_input(input)`, and no
 *   `stop` or `close`.
 */

export interface PeripheralTag {
  name: string;
  variant: string;
  metadata: Record<string, string>;
}

export interface PeripheralLocation {
  x: number;
  y: number;
  z: number;
  time: Date | null;
}

export interface PeripheralInfo {
  id: string | null;
  tags: PeripheralTag[];
  location: PeripheralLocation;
}

export interface PeripheralMessageEnvelope<A> {
  peripheral_info: PeripheralInfo;
  data: A;
}

export interface ObserverLike<T> {
  on_next(value: T): void;
  on_error(error: unknown): void;
  on_completed(): void;
}

/** Heart's `CallbackSubscription`: `dispose()` runs its teardown once. */
export class CallbackSubscription {
  private disposed = false;
  constructor(private readonly teardown: () => void) {}
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.teardown();
  }
}

class CallbackObserverShim<T> implements ObserverLike<T> {
  constructor(
    readonly on_next: (value: T) => void,
    readonly on_error: (error: unknown) => void = () => undefined,
    readonly on_completed: () => void = () => undefined,
  ) {}
}

type SubscribeCallback<T> = (observer: ObserverLike<T>, scheduler: unknown) => CallbackSubscription;

/** Heart's `CallbackObservable`. */
export class CallbackObservable<T> {
  constructor(private readonly subscribeCallback: SubscribeCallback<T>) {}

  subscribe(
    observer?: ObserverLike<T> | ((value: T) => void) | null,
    on_error?: (error: unknown) => void,
    on_completed?: () => void,
    scheduler?: unknown,
    keywords: { on_next?: (value: T) => void } = {},
  ): CallbackSubscription {
    const callback = keywords.on_next ?? observer;
    let resolved: ObserverLike<T>;
    if (callback === undefined || callback === null) resolved = new CallbackObserverShim<T>(() => undefined, on_error, on_completed);
    else if (typeof callback === "function") resolved = new CallbackObserverShim<T>(callback, on_error, on_completed);
    else resolved = callback;
    return this.subscribeCallback(resolved, scheduler);
  }
}

/** Heart's abstract `Peripheral`, with a scriptable event stream for tests. */
export class HeartPeripheral<A> {
  /** What happened, in order: subscribe, dispose, run, handle_input:<json>. */
  readonly log: string[] = [];
  /** The observers `observe`'s subscribe callback got (after Heart's resolution of a function). */
  readonly received: unknown[] = [];
  private readonly observers = new Set<ObserverLike<PeripheralMessageEnvelope<A>>>();
  private cachedObserve: CallbackObservable<PeripheralMessageEnvelope<A>> | undefined;

  constructor(private readonly info: PeripheralInfo = { id: null, tags: [], location: { x: 0, y: 0, z: 0, time: null } }) {}

  peripheral_info(): PeripheralInfo {
    return this.info;
  }

  /** A cached property, as `@cached_property def observe`. */
  get observe(): CallbackObservable<PeripheralMessageEnvelope<A>> {
    this.cachedObserve ??= new CallbackObservable<PeripheralMessageEnvelope<A>>((observer) => {
      this.log.push("subscribe");
      this.received.push(observer);
      this.observers.add(observer);
      return new CallbackSubscription(() => {
        this.log.push("dispose");
        this.observers.delete(observer);
      });
    });
    return this.cachedObserve;
  }

  /** Emits `data` wrapped as Heart does: only `on_next` is called. */
  emit(data: A): void {
    const envelope: PeripheralMessageEnvelope<A> = { data, peripheral_info: this.peripheral_info() };
    for (const observer of [...this.observers]) observer.on_next(envelope);
  }

  get subscribers(): number {
    return this.observers.size;
  }

  run(): void {
    this.log.push("run");
  }

  handle_input(input: unknown): void {
    this.log.push(`handle_input:${JSON.stringify(input)}`);
  }
}
