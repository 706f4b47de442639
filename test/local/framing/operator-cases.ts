/**
 * The standard marble cases every framing operator must pass (CONTRIBUTING:
 * empty, never, error, early unsubscribe, a synchronous source stopped after
 * unsubscribe, one machine per subscription).
 */
import { Observable, take, type OperatorFunction } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, expect, it } from "vitest";
import type { FramingChunk } from "../../../src/index.js";

export interface OperatorCase<T> {
  /** A fresh operator. */
  make: () => OperatorFunction<FramingChunk, T>;
  /** A chunk that completes exactly one frame, and that frame. */
  one: { chunk: FramingChunk; frame: T };
}

export function standardOperatorCases<T>({ make, one }: OperatorCase<T>): void {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("completes on an empty source and never emits on never", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<FramingChunk>("|").pipe(make())).toBe("|");
      expectObservable(cold<FramingChunk>("-").pipe(make())).toBe("-");
    });
  });

  it("passes a source error on", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<FramingChunk>("-a-#", { a: one.chunk }, new Error("port closed"));
      expectObservable(source.pipe(make())).toBe("-x-#", { x: one.frame }, new Error("port closed"));
    });
  });

  it("unsubscribes from the source on early unsubscribe", () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot<FramingChunk>("-a--a--a-|", { a: one.chunk });
      expectObservable(source.pipe(make()), "^----!").toBe("-x--x", { x: one.frame });
      expectSubscriptions(source.subscriptions).toBe("^----!");
    });
  });

  it("gives each subscription its own state", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const framed = cold<FramingChunk>("-a-a-|", { a: one.chunk }).pipe(make());
      expectObservable(framed).toBe("-x-x-|", { x: one.frame });
      expectObservable(framed).toBe("-x-x-|", { x: one.frame });
    });
  });

  it("stops a synchronous source after unsubscribe", () => {
    let produced = 0;
    const source = new Observable<FramingChunk>((subscriber) => {
      for (let i = 0; i < 100 && !subscriber.closed; i++) {
        produced++;
        subscriber.next(one.chunk);
      }
      subscriber.complete();
    });
    const seen: T[] = [];
    source.pipe(make(), take(2)).subscribe((frame) => seen.push(frame));
    expect(seen).toEqual([one.frame, one.frame]);
    expect(produced).toBe(2);
  });
}

/** Cuts `bytes` at the given offsets (taken modulo its length + 1). */
export function cut(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(bytes.slice(start, point));
    start = point;
  }
  pieces.push(bytes.slice(start));
  return pieces;
}

export const bytesOf = (...values: number[]): Uint8Array => new Uint8Array(values);
export const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "utf8"));
