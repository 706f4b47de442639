import { optional, requireObject, requireOneOf, requirePositive, requirePositiveInteger } from "../atom/validate.js";

/** What `admission` does with work it sheds: drop and count it, or fail the stream with `LOAD_SHED`. */
export type ShedAction = "drop" | "error";

/**
 * The catalog's `AdmissionPolicy`: shed load when the waiting line is
 * `maxDepth` deep (the newcomer is refused) or an item has waited longer
 * than `maxAge` ms (it is shed instead of served). Pure, frozen data,
 * applied by `admission`.
 */
export interface AdmissionPolicy {
  /** Most items waiting; a newcomer beyond it is shed. */
  readonly maxDepth: number;
  /** Most ms an item may wait; older items are shed when their turn comes (`Infinity`: no age limit). */
  readonly maxAge: number;
  /** Drop (counted) or error with `LegoError` `LOAD_SHED`. */
  readonly shed: ShedAction;
}

/** Options of {@link AdmissionPolicy.of}. */
export interface AdmissionPolicyOptions {
  /** Most items waiting, a positive integer. */
  maxDepth: number;
  /** Most ms an item may wait, > 0. @default Infinity */
  maxAge?: number;
  /** @default "drop" */
  shed?: ShedAction;
}

function make(options: AdmissionPolicyOptions, name: string): AdmissionPolicy {
  requireObject(name, options);
  const maxDepth = requirePositiveInteger(`${name}.maxDepth`, options.maxDepth);
  const maxAge =
    options.maxAge === Infinity ? Infinity : (optional(`${name}.maxAge`, options.maxAge, requirePositive) ?? Infinity);
  const shed = optional(`${name}.shed`, options.shed, (n, v) => requireOneOf(n, v, ["drop", "error"] as const)) ?? "drop";
  return Object.freeze({ maxDepth, maxAge, shed });
}

export const AdmissionPolicy = Object.freeze({
  /** Shed beyond `maxDepth` waiting or `maxAge` ms waited. */
  of(options: AdmissionPolicyOptions): AdmissionPolicy {
    return make(options, "admission");
  },
  /** Validates a structural policy and returns a frozen copy. */
  from(policy: AdmissionPolicy, name = "admission"): AdmissionPolicy {
    return make(policy, name);
  },
});
