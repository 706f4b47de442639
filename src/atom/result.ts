/**
 * `Result`: a small frozen ok/error union, so a failure is a value a stream
 * can carry rather than an exception that ends it.
 */
export interface Ok<T> {
  readonly ok: true;
  readonly value: T;
}
export interface Err<E> {
  readonly ok: false;
  readonly error: E;
}
export type Result<T, E = Error> = Ok<T> | Err<E>;

/** A frozen success. @lego Result */
export function ok<T>(value: T): Ok<T> {
  return Object.freeze({ ok: true, value });
}
/** A frozen failure. @lego Result */
export function err<E>(error: E): Err<E> {
  return Object.freeze({ ok: false, error });
}
/** @lego Result */
export function isOk<T, E>(result: Result<T, E>): result is Ok<T> {
  return result.ok;
}
/** @lego Result */
export function isErr<T, E>(result: Result<T, E>): result is Err<E> {
  return !result.ok;
}
/** True when `value` is shaped like a `Result`. @lego Result */
export function isResult(value: unknown): value is Result<unknown, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const r = value as { ok?: unknown };
  return (r.ok === true && "value" in value) || (r.ok === false && "error" in value);
}
/** Maps the value of a success; a failure passes through. */
export function mapResult<T, U, E>(result: Result<T, E>, fn: (value: T) => U): Result<U, E> {
  return result.ok ? ok(fn(result.value)) : result;
}
/** Maps the error of a failure; a success passes through. */
export function mapErr<T, E, F>(result: Result<T, E>, fn: (error: E) => F): Result<T, F> {
  return result.ok ? result : err(fn(result.error));
}
/** Chains a Result-returning step onto a success. */
export function andThen<T, U, E>(result: Result<T, E>, fn: (value: T) => Result<U, E>): Result<U, E> {
  return result.ok ? fn(result.value) : result;
}
/** The value of a success; throws the error of a failure (wrapped in an Error when it is not one). */
export function unwrap<T, E>(result: Result<T, E>): T {
  if (result.ok) return result.value;
  throw result.error instanceof Error ? result.error : new Error(String(result.error), { cause: result.error });
}
/** The value of a success, or `fallback`. */
export function unwrapOr<T, E>(result: Result<T, E>, fallback: T): T {
  return result.ok ? result.value : fallback;
}
/** Runs `fn`, catching a throw into `err`. */
export function tryResult<T>(fn: () => T): Result<T, unknown> {
  try {
    return ok(fn());
  } catch (error: unknown) {
    return err(error);
  }
}
