/**
 * Catalog properties as checkable claims: the law that checks each one (the
 * checkers live in `manyfold-rx/testing`, which needs fast-check), and which
 * legos declare which properties on their descriptor (`lego.properties`).
 */

/** The law in `manyfold-rx/testing` that checks each property, as `laws.<name>(…)`: what it asserts. */
export const PROPERTY_LAWS: Readonly<Record<string, string>> = Object.freeze({
  Idempotent: "laws.idempotent(op, inputs): op applied twice emits what op applied once emits",
  Deterministic: "laws.deterministic(op, inputs): two runs on the same inputs emit the same values at the same virtual frames",
  Ordered: "laws.ordered(op, inputs): the output is an in-order subsequence of the input",
  Monotonic: "laws.monotonic(op, inputs, compare): each emitted value is >= the previous",
  AtMostOnce: "laws.atMostOnce(op, inputs): no value is emitted more often than it was given",
  AtLeastOnce: "laws.atLeastOnce(op, inputs): every input value is emitted at least once",
  BestEffort: "laws.bestEffort(op, inputs): the stream never errors on valid inputs",
  Bounded: "laws.bounded(make, n, inputs): the container's size never exceeds n",
  Commutative: "laws.commutative(f, inputs): f(a, b) = f(b, a)",
  Associative: "laws.associative(f, inputs): f(f(a, b), c) = f(a, f(b, c))",
  Authenticated: "laws.authenticated(signer, verifier): genuine signatures verify, one flipped bit does not",
  Observable: "laws.observable(lego): the value carries a lego descriptor with numeric counters",
  Replayable: "laws.replayable(open, inputs, project): two replays both equal what was appended, in order",
  Durable: "laws.durable(open, inputs, project): what was appended before close is replayed after reopen",
  ExactlyOnceEffect: "laws.exactlyOnceEffect(open): retried runs of a keyed effect perform it once per key",
  Fenced: "laws.fenced(make): after a write under token t, writes under tokens < t are rejected",
});

/**
 * The properties each lego (by catalog name) declares on its descriptor.
 * The single source: the legos read their list from here, and
 * test/laws/declared-properties.test.ts runs each law against them.
 */
export const DECLARED_PROPERTIES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  ChangeFilter: Object.freeze(["Idempotent", "Ordered", "Deterministic"]),
  ThresholdFilter: Object.freeze(["Idempotent", "Ordered", "Deterministic"]),
});

/** The catalog names of the legos that declare `property`, sorted. */
export function legosDeclaring(property: string): string[] {
  return Object.entries(DECLARED_PROPERTIES)
    .filter(([, properties]) => properties.includes(property))
    .map(([name]) => name)
    .sort();
}

/** The properties a value's lego descriptor declares (empty when none). */
export function declaredProperties(value: unknown): readonly string[] {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return [];
  const lego = (value as { lego?: { properties?: unknown } }).lego;
  const properties = lego?.properties;
  return Array.isArray(properties) ? (properties as string[]) : [];
}
