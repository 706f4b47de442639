import { rm } from "node:fs/promises";
import { Level } from "level";
import { EMPTY, NEVER, Subject, from, lastValueFrom, of, throwError, toArray } from "rxjs";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  InProcessTransport,
  Keyspace,
  LevelDeduplicationStore,
  MemoryDeduplicationStore,
  inbox,
  isLegoError,
  type DeduplicationStore,
  type InboxResult,
  type LegoOperator,
  type TransportMessage,
} from "../../../src/index.js";
import { backends, collect, tempLocation, text, untext, type BackendHandle } from "../backends.js";

interface Msg {
  readonly messageId?: string;
  readonly body: string;
}
const msg = (messageId: string | undefined, body: string): Msg => (messageId === undefined ? { body } : { messageId, body });
const statuses = (results: InboxResult<Msg, unknown>[]): string[] => results.map((r) => `${r.id}:${r.status}`);

describe("inbox (operator)", () => {
  let store: MemoryDeduplicationStore;

  beforeEach(() => {
    store = new MemoryDeduplicationStore();
  });

  it("runs the handler once per message id and flags repeats", async () => {
    const effects: string[] = [];
    const op = inbox(store, (m: Msg) => {
      effects.push(m.body);
      return m.body.length;
    });
    const results = await lastValueFrom(of(msg("a", "x"), msg("b", "yy"), msg("a", "x again"), msg("c", "zzz")).pipe(op, toArray()));
    expect(statuses(results)).toEqual(["a:processed", "b:processed", "a:duplicate", "c:processed"]);
    expect(results[1]).toMatchObject({ status: "processed", result: 2 });
    expect(effects).toEqual(["x", "yy", "zzz"]);
    expect(op.lego.counters).toMatchObject({ processed: 3, duplicates: 1, failed: 0 });
  });

  it("reports a failed handler, leaves the id unmarked, and a redelivery runs it again", async () => {
    let failures = 1;
    const op = inbox(store, (m: Msg) => {
      if (failures-- > 0) throw new Error("downstream down");
      return m.body;
    });
    const results = await lastValueFrom(of(msg("a", "1"), msg("a", "1"), msg("a", "1")).pipe(op, toArray()));
    expect(statuses(results)).toEqual(["a:failed", "a:processed", "a:duplicate"]);
    expect((results[0] as { error: Error }).error.message).toBe("downstream down");
  });

  it("awaits async handlers one message at a time, in arrival order", async () => {
    const order: string[] = [];
    const op = inbox(store, async (m: Msg) => {
      order.push(`start ${m.body}`);
      await new Promise((resolve) => setImmediate(resolve));
      order.push(`end ${m.body}`);
    });
    await lastValueFrom(of(msg("1", "a"), msg("2", "b")).pipe(op, toArray()));
    expect(order).toEqual(["start a", "end a", "start b", "end b"]);
  });

  it("drops and reports messages without an id", async () => {
    const invalid: Msg[] = [];
    const op = inbox<Msg, number>(store, () => 1, { onInvalid: ({ message }) => invalid.push(message) });
    const results = await lastValueFrom(of(msg(undefined, "no id"), msg("", "empty"), msg("ok", "fine")).pipe(op, toArray()));
    expect(statuses(results)).toEqual(["ok:processed"]);
    expect(invalid.map((m) => m.body)).toEqual(["no id", "empty"]);
    expect(op.lego.counters.invalid).toBe(2);
  });

  it("takes the id from idOf when given", async () => {
    const op = inbox(store, () => "done", { idOf: (m: { key: string }) => m.key, group: "orders" });
    expect(op.lego).toEqual({ kind: "Inbox", name: "orders.inbox", group: "orders" });
    const results = await lastValueFrom(of({ key: "k1" }, { key: "k1" }).pipe(op, toArray()));
    expect(results.map((r) => r.status)).toEqual(["processed", "duplicate"]);
  });

  it("standard cases: empty completes, error passes after earlier messages, never stays open, unsubscribe stops", async () => {
    expect(await lastValueFrom(EMPTY.pipe(inbox(store, () => 1), toArray()))).toEqual([]);
    const seen: string[] = [];
    let failed: unknown;
    const withError = new Subject<Msg>();
    withError.pipe(inbox(store, (m: Msg) => m.body)).subscribe({ next: (r) => seen.push(r.id), error: (e: unknown) => (failed = e) });
    withError.next(msg("e1", "x"));
    withError.error(new Error("source failed"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(["e1"]);
    expect((failed as Error).message).toBe("source failed");
    let closed = false;
    const subscription = NEVER.pipe(inbox(store, () => 1)).subscribe({ complete: () => (closed = true) });
    expect(closed).toBe(false);
    subscription.unsubscribe();
    const handled: string[] = [];
    const source = new Subject<Msg>();
    const early = source.pipe(inbox(store, (m: Msg) => handled.push(m.body))).subscribe();
    early.unsubscribe();
    source.next(msg("late", "late"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(handled).toEqual([]);
    expect(source.observed).toBe(false);
    const passed: unknown = await lastValueFrom(throwError(() => new Error("x")).pipe(inbox(store, () => 1))).catch((e: unknown) => e);
    expect((passed as Error).message).toBe("x");
  });

  it("errors with QUEUE_FULL when more than maxPending messages wait (a synchronous flood is cut)", async () => {
    const op = inbox(store, () => 1, { maxPending: 2 });
    const error: unknown = await lastValueFrom(of(msg("1", ""), msg("2", ""), msg("3", ""), msg("4", "")).pipe(op, toArray())).catch((e: unknown) => e);
    expect(isLegoError(error, "QUEUE_FULL")).toBe(true);
    expect(op.lego.counters.rejected).toBe(1);
  });

  it("validates its arguments at once", () => {
    expect(() => inbox({} as DeduplicationStore, () => 1)).toThrow(/store.seen/);
    expect(() => inbox(store, 3 as never)).toThrow(TypeError);
    expect(() => inbox(store, () => 1, { maxPending: 0 })).toThrow(RangeError);
    expectTypeOf(inbox(store, (m: TransportMessage) => m.subject.length)).toEqualTypeOf<LegoOperator<TransportMessage, InboxResult<TransportMessage, number>>>();
  });

  it("dedupes messages from a Transport by their messageId", async () => {
    const transport = new InProcessTransport();
    const bodies: string[] = [];
    const results: InboxResult<TransportMessage, void>[] = [];
    transport
      .subscribe("orders")
      .pipe(inbox(store, (m: TransportMessage) => void bodies.push(untext(m.data))))
      .subscribe((r) => results.push(r));
    await transport.publish("orders", text("one"), { messageId: "p:0" });
    await transport.publish("orders", text("one"), { messageId: "p:0" });
    await transport.publish("orders", text("two"), { messageId: "p:1" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(bodies).toEqual(["one", "two"]);
    expect(results.map((r) => r.status)).toEqual(["processed", "duplicate", "processed"]);
  });
});

describe.each(backends)("inbox with LevelDeduplicationStore on $name (effect atomic with the mark)", (backend) => {
  let handle: BackendHandle;

  beforeEach(async () => {
    handle = await backend.create();
  });

  afterEach(async () => {
    await handle.dispose();
  });

  it("commits the effect queued in context.batch with the mark, and nothing when the handler throws", async () => {
    const store = await LevelDeduplicationStore.open(handle.db);
    const orders = new Keyspace(handle.db, { name: "orders" });
    const op = inbox(store, (m: Msg, { batch }) => {
      if (m.body === "bad") throw new Error("refused");
      batch?.in(orders).put(m.messageId ?? "", text(m.body));
    });
    const results = await lastValueFrom(of(msg("o1", "pizza"), msg("o2", "bad"), msg("o1", "pizza")).pipe(op, toArray()));
    expect(statuses(results)).toEqual(["o1:processed", "o2:failed", "o1:duplicate"]);
    expect(untext((await orders.get("o1")) ?? new Uint8Array())).toBe("pizza");
    expect(await orders.get("o2")).toBeUndefined();
    expect(await store.has("o2")).toBe(false);
    await store.close();
  });

  it("recognises ids handled before a restart", async () => {
    const first = await LevelDeduplicationStore.open(handle.db, { name: "inbox" });
    await lastValueFrom(of(msg("a", "1"), msg("b", "2")).pipe(inbox(first, () => 1), toArray()));
    await first.close();
    await handle.reopen();
    const second = await LevelDeduplicationStore.open(handle.db, { name: "inbox" });
    const results = await lastValueFrom(of(msg("b", "2"), msg("c", "3")).pipe(inbox(second, () => 1), toArray()));
    expect(statuses(results)).toEqual(["b:duplicate", "c:processed"]);
    await second.close();
  });
});

describe("inbox on classic-level, the store closed and its directory reopened", () => {
  it("keeps effects exactly once across the reopen", async () => {
    const location = await tempLocation("manyfold-inbox-");
    const effects: string[] = [];
    try {
      for (const round of [["m1", "m2"], ["m2", "m3", "m1"]]) {
        const db = new Level<string, Uint8Array>(location, { keyEncoding: "utf8", valueEncoding: "view" });
        await db.open();
        const store = await LevelDeduplicationStore.open(db, { sync: true });
        const ledger = new Keyspace(db, { name: "ledger" });
        await lastValueFrom(
          from(round.map((id) => msg(id, id))).pipe(
            inbox(store, (m: Msg, { batch }) => {
              effects.push(m.body);
              batch?.in(ledger).put(m.body, text("applied"));
            }),
            toArray(),
          ),
        );
        await store.close();
        expect((await collect(ledger.keys())).sort()).toEqual([...new Set(effects)].sort());
        await db.close();
      }
      expect(effects).toEqual(["m1", "m2", "m3"]);
    } finally {
      await rm(location, { recursive: true, force: true });
    }
  });
});
