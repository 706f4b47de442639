import { requireNonEmptyString } from "../atom/validate.js";

const KEY = /^[A-Za-z0-9_=/.-]+$/;

/**
 * Checks a {@link VersionedRegister} key (or key prefix): the NATS KV key
 * alphabet, so a key valid on one backend is valid on all of them.
 */
export function requireRegisterKey(name: string, value: unknown, { prefix = false } = {}): string {
  const key = requireNonEmptyString(name, value);
  if (!KEY.test(key)) throw new RangeError(`${name} may hold only A-Z a-z 0-9 _ = - / . (got ${JSON.stringify(key)})`);
  if (key.startsWith(".") || (!prefix && key.endsWith("."))) {
    throw new RangeError(`${name} must not start or end with "." (got ${JSON.stringify(key)})`);
  }
  return key;
}
