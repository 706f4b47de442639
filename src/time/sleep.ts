import { asyncScheduler, type SchedulerLike } from "rxjs";

/**
 * A Promise that resolves after `ms` on `scheduler` — the awaitable form of
 * `timer(ms, scheduler)` for async code that must take its time from a
 * scheduler (DESIGN.md §1.2). Aborting `signal` cancels the timer and
 * rejects with the signal's reason.
 */
export function sleep(ms: number, scheduler: SchedulerLike = asyncScheduler, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      timer.unsubscribe();
      reject(signal?.reason as Error);
    };
    const timer = scheduler.schedule(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
