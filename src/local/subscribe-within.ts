import { Observable, type Observer, type Subscriber, type Subscription } from "rxjs";

/**
 * Subscribes `observer` to `source` so that unsubscribing `owner` closes the
 * upstream subscriber at once — even while `source` is still emitting
 * synchronously inside `subscribe()`. A plain `source.subscribe(observer)`
 * only returns its Subscription after a synchronous source finished, so an
 * operator written with `new Observable` could not stop one early (RxJS's own
 * operators get this from internals we may not import).
 *
 * @internal shared by the local-runtime operators; not part of the package surface.
 */
export function subscribeWithin<T>(owner: Subscriber<unknown>, source: Observable<T>, observer: Partial<Observer<T>>): Subscription {
  return new Observable<T>((upstream) => {
    owner.add(upstream);
    return source.subscribe(upstream);
  }).subscribe(observer);
}
