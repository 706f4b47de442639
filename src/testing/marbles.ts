import { deepStrictEqual } from "node:assert/strict";
import { TestScheduler } from "rxjs/testing";

/** The helpers `TestScheduler.run` hands to a marble test. */
export type MarbleHelpers = Parameters<Parameters<TestScheduler["run"]>[0]>[0];

/** Options of {@link createTestScheduler} and {@link marbles}. */
export interface MarbleOptions {
  /**
   * Deep-equality assertion that throws on a mismatch. Pass your runner's
   * (`(a, b) => expect(a).toEqual(b)`) for its diff output.
   * @default node:assert's deepStrictEqual
   */
  assertDeepEqual?: (actual: unknown, expected: unknown) => void;
}

/** A plain record of an error: what a test can state without a stack trace. */
export interface ErrorShape {
  name: string;
  message: string;
  code?: unknown;
}

function errorShape(error: Error): ErrorShape {
  const shape: ErrorShape = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) shape.code = code;
  return shape;
}

/**
 * Replaces every `Error` inside `value` by `{ name, message, code? }`, so two
 * errors compare equal when they say the same thing, whatever their stacks
 * or causes. Other values are copied structurally; typed arrays kept as is.
 */
export function stripErrors(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (value instanceof Error) return errorShape(value);
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(stripErrors(item, seen));
    return copy;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) copy[key] = stripErrors(item, seen);
  return copy;
}

/**
 * A `TestScheduler` whose assertions compare deeply and ignore error
 * stacks: `new Error("boom")` in the expected marble matches any thrown
 * error named `Error` with message `"boom"` (and the same `code`).
 *
 * Works under any runner: by default it throws node's `AssertionError`.
 */
export function createTestScheduler(options: MarbleOptions = {}): TestScheduler {
  const assertDeepEqual: (actual: unknown, expected: unknown) => void = options.assertDeepEqual ?? deepStrictEqual;
  return new TestScheduler((actual, expected) => {
    assertDeepEqual(stripErrors(actual), stripErrors(expected));
  });
}

/**
 * Runs one marble test in virtual time and returns what the callback
 * returns. Inside, every operator that uses `asyncScheduler` (the default
 * of every manyfold-rx lego) runs on virtual time too.
 *
 * ## Example
 * ```ts
 * marbles(({ cold, expectObservable }) => {
 *   const source = cold("a-a-b|");
 *   expectObservable(source.pipe(changeFilter())).toBe("a---b|");
 * });
 * ```
 */
export function marbles<R>(callback: (helpers: MarbleHelpers) => R, options: MarbleOptions = {}): R {
  return createTestScheduler(options).run(callback);
}
