/** Option checks shared by the coordination legos (see src/atom/validate.ts for the general ones). */
import { requireFunction, requireObject } from "../atom/validate.js";
import type { VersionedRegister } from "../ports/versioned-register.js";

const REGISTER_METHODS = ["get", "create", "update", "put", "delete", "keys", "watch", "watchAll"] as const;

/** Something shaped like a {@link VersionedRegister} (every method of the port present). */
export function requireRegister<T>(name: string, value: unknown): VersionedRegister<T> {
  const register = requireObject(name, value);
  for (const method of REGISTER_METHODS) {
    requireFunction(`${name}.${method}`, register[method] as (() => unknown) | undefined);
  }
  return register as unknown as VersionedRegister<T>;
}
