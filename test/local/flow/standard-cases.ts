/**
 * The standard marble cases every operator gets (empty, never, error, early
 * unsubscribe, stops a synchronous source after unsubscribe), shared by the
 * flow-lego tests.
 */
import { Observable, take, type OperatorFunction } from "rxjs";
import { TestScheduler, type RunHelpers } from "rxjs/testing";
import { beforeEach, describe, expect, it } from "vitest";

export function standardCases(
  makeOp: (helpers: RunHelpers) => OperatorFunction<string, unknown>,
  /** An operator that lets values through at once, for the synchronous-source case. */
  makeSyncOp: () => OperatorFunction<number, unknown>,
): void {
  describe("standard cases", () => {
    let testScheduler: TestScheduler;
    beforeEach(() => {
      testScheduler = new TestScheduler((actual, expected) => {
        expect(actual).toEqual(expected);
      });
    });

    it("empty completes at once", () => {
      testScheduler.run((helpers) => {
        const source = helpers.cold("|");
        helpers.expectObservable(source.pipe(makeOp(helpers))).toBe("|");
        helpers.expectSubscriptions(source.subscriptions).toBe("(^!)");
      });
    });

    it("never stays silent", () => {
      testScheduler.run((helpers) => {
        const source = helpers.cold("-");
        helpers.expectObservable(source.pipe(makeOp(helpers))).toBe("-");
        helpers.expectSubscriptions(source.subscriptions).toBe("^");
      });
    });

    it("a source error goes downstream at once", () => {
      testScheduler.run((helpers) => {
        const source = helpers.cold("--#", undefined, new Error("boom"));
        helpers.expectObservable(source.pipe(makeOp(helpers))).toBe("--#", undefined, new Error("boom"));
        helpers.expectSubscriptions(source.subscriptions).toBe("^-!");
      });
    });

    it("early unsubscribe unsubscribes the source", () => {
      testScheduler.run((helpers) => {
        const source = helpers.cold("--a--b--c--|");
        // what passed by frame 4 is checked by each lego's own tests
        const subscription = source.pipe(makeOp(helpers)).subscribe();
        testScheduler.schedule(() => {
          subscription.unsubscribe();
        }, 4);
        helpers.expectSubscriptions(source.subscriptions).toBe("^---!");
      });
    });

    it("stops a synchronous source after unsubscribe", () => {
      let emitted = 0;
      const infinite = new Observable<number>((subscriber) => {
        for (let i = 0; !subscriber.closed && i < 1_000_000; i++) {
          emitted++;
          subscriber.next(i);
        }
      });
      const seen: unknown[] = [];
      infinite.pipe(makeSyncOp(), take(3)).subscribe((v) => seen.push(v));
      expect(seen).toHaveLength(3);
      expect(emitted).toBeLessThan(10);
    });
  });
}
