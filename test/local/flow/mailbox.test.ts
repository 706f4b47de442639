import { from, map, Observable, of, range, timer } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { Mailbox, mailbox, type LegoOperator } from "../../../src/index.js";
import { standardCases } from "./standard-cases.js";

describe("Mailbox", () => {
  it("one message at a time per owner, in arrival order (doc example)", () => {
    const m = new Mailbox<string>({ capacity: 10 });
    expect(m.post("door", "open")).toBe("run");
    expect(m.post("door", "close")).toBe("queued");
    expect(m.post("fan", "on")).toBe("run");
    expect([m.owners, m.waiting]).toEqual([2, 1]);
    expect(m.done("door")).toBe(true);
    expect(m.next).toBe("close");
    expect(m.done("door")).toBe(false);
    expect(m.owners).toBe(1);
  });

  it("bounds each inbox and the number of owners", () => {
    const m = new Mailbox<number>({ capacity: 1, maxOwners: 1, overflow: "drop_oldest" });
    m.post("a", 1);
    m.post("a", 2);
    expect(m.post("a", 3)).toBe("evicted");
    expect(m.post("b", 1)).toBe("refused");
    expect([m.dropped, m.rejected]).toEqual([1, 1]);
    m.done("a");
    expect(m.next).toBe(3);
    expect(() => new Mailbox({ capacity: -1 })).toThrow(/capacity/);
  });
});

describe("mailbox", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardCases(
    () => mailbox((v: string) => timer(2).pipe(map(() => v)), { key: (v) => v, capacity: 2 }),
    () => mailbox((v: number) => of(v), { key: (v) => v % 2, capacity: 2 }),
  );

  it("serial per owner, concurrent across owners (doc example)", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values = { a: "a1", b: "a2", c: "b1" };
      const op = mailbox((m: string) => timer(4).pipe(map(() => m)), { key: (m) => m[0]!, capacity: 4 });
      expectObservable(cold("a-b-c-------|", values).pipe(op)).toBe("----a---(cb)|", values);
      testScheduler.flush();
      expect(op.lego.counters).toEqual({ owners: 0, waiting: 0, handled: 3, dropped: 0, rejected: 0, invalid: 0 });
    });
  });

  it("a full inbox refuses (counted) or errors with QUEUE_FULL", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const work = (m: string): Observable<string> => timer(3).pipe(map(() => m));
      const op = mailbox(work, { key: () => "k", capacity: 1 });
      expectObservable(cold("abc|").pipe(op)).toBe("---a--(b|)");
      const failing = mailbox(work, { key: () => "k", capacity: 1, overflow: "error" });
      expectObservable(cold("abc|").pipe(failing)).toBe("--#", undefined, expect.objectContaining({ code: "QUEUE_FULL" }));
      testScheduler.flush();
      expect(op.lego.counters.rejected).toBe(1);
    });
  });

  it("unsubscribing cancels running handlers", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const inner = cold("----x|");
      expectObservable(cold("ab|").pipe(mailbox(() => inner, { key: (v: string) => v, capacity: 1 })), "^--!").toBe("---");
      expectSubscriptions(inner.subscriptions).toBe(["^--!", "-^-!"]);
    });
  });

  it("long runs of synchronous handlers do not grow the stack; bad keys are dropped and reported", () => {
    let n = 0;
    const invalid: unknown[] = [];
    range(0, 50_000)
      .pipe(mailbox((v: number) => of(v), { key: (v) => (v === 7 ? (null as never) : "one"), capacity: 100_000, onInvalid: (i) => invalid.push(i.value) }))
      .subscribe(() => n++);
    expect(n).toBe(49_999);
    expect(invalid).toEqual([7]);
  });

  it("takes Promises", async () => {
    const out: number[] = [];
    await new Promise<void>((resolve) => {
      from([1, 2, 3])
        .pipe(mailbox((v: number) => Promise.resolve(v), { key: () => "k", capacity: 5 }))
        .subscribe({ next: (v) => out.push(v), complete: resolve });
    });
    expect(out).toEqual([1, 2, 3]);
  });

  it("descriptor and types", () => {
    const op = mailbox((v: number) => of(String(v)), { key: (v) => v, capacity: 1, group: "devices" });
    expect(op.lego).toEqual({ kind: "Mailbox", name: "devices.mailbox", group: "devices" });
    expectTypeOf(op).toEqualTypeOf<LegoOperator<number, string>>();
    expect(() => mailbox(() => of(1), { key: 1 as never, capacity: 1 })).toThrow(TypeError);
  });
});
