/**
 * Option checks shared by every lego. Each throws at construction with a
 * message that names the option: `TypeError` for a wrong type, `RangeError`
 * for a value of the right type that is not allowed (DESIGN.md §3).
 */

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value;
}

export function requireNumber(name: string, value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  return value;
}

export function requireFinite(name: string, value: unknown): number {
  const n = requireNumber(name, value);
  if (!Number.isFinite(n)) throw new RangeError(`${name} must be a finite number, got ${describe(n)}`);
  return n;
}

export function requireNonNegative(name: string, value: unknown): number {
  const n = requireFinite(name, value);
  if (n < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${describe(n)}`);
  return n;
}

export function requirePositive(name: string, value: unknown): number {
  const n = requireFinite(name, value);
  if (n <= 0) throw new RangeError(`${name} must be a finite number > 0, got ${describe(n)}`);
  return n;
}

export function requirePositiveInteger(name: string, value: unknown): number {
  const n = requireNumber(name, value);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`${name} must be a positive integer, got ${describe(n)}`);
  return n;
}

export function requireNonNegativeInteger(name: string, value: unknown): number {
  const n = requireNumber(name, value);
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${describe(n)}`);
  }
  return n;
}

/** A whole number, or `Infinity` (for "no limit" counts such as `maxAttempts`). */
export function requireCount(name: string, value: unknown): number {
  const n = requireNumber(name, value);
  if (n === Infinity) return n;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer or Infinity, got ${describe(n)}`);
  return n;
}

export function requireString(name: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  return value;
}

export function requireNonEmptyString(name: string, value: unknown): string {
  const s = requireString(name, value);
  if (s.length === 0) throw new RangeError(`${name} must not be empty`);
  return s;
}

export function requireBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

export function requireFunction<F extends (...args: never[]) => unknown>(name: string, value: F | undefined | null): F {
  if (typeof value !== "function") throw new TypeError(`${name} must be a function, got ${describe(value)}`);
  return value;
}

export function requireObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${Array.isArray(value) ? "array" : describe(value)}`);
  }
  return value as Record<string, unknown>;
}

export function requireOneOf<const V extends string>(name: string, value: unknown, allowed: readonly V[]): V {
  if (typeof value !== "string") throw new TypeError(`${name} must be one of ${allowed.join(" | ")}, got ${describe(value)}`);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`${name} must be one of ${allowed.join(" | ")}, got ${describe(value)}`);
  }
  return value as V;
}

/** Runs `check` only when `value` is not `undefined`. */
export function optional<T>(name: string, value: unknown, check: (name: string, value: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(name, value);
}

/** The optional `group` label every lego accepts. */
export function optionalGroup(value: unknown, name = "group"): string | undefined {
  return optional(name, value, requireNonEmptyString);
}

/**
 * Rejects an options object that has a key the lego does not know, so a
 * JavaScript caller's typo (or an option another library spells
 * differently) fails loudly instead of being ignored: `TypeError` naming the
 * key. Keys whose value is `undefined` are ignored.
 */
export function requireKnownOptions(owner: string, options: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (options[key] !== undefined && !known.includes(key)) {
      throw new TypeError(`${owner}: unknown option ${JSON.stringify(key)} (known: ${known.join(", ")})`);
    }
  }
}
