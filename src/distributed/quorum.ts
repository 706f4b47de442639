import { optionalGroup, requireNonNegativeInteger, requireObject, requireString } from "../atom/validate.js";

/** A member set: ids, or just their number. */
export type MemberSet = number | Iterable<string>;

/** Options of {@link QuorumTally}. */
export interface QuorumTallyOptions {
  /** The members whose votes count (votes from others are ignored and counted as `ignored`). */
  members: Iterable<string>;
  /** Label linking the tally to the component that owns it. */
  group?: string;
}

function sizeOf(name: string, members: unknown): number {
  if (typeof members === "number") return requireNonNegativeInteger(name, members);
  if (typeof members !== "object" || members === null || typeof (members as Iterable<string>)[Symbol.iterator] !== "function") {
    throw new TypeError(`${name} must be a number or an iterable of member ids`);
  }
  return new Set(members as Iterable<unknown>).size;
}

/**
 * The majority of a member set: ⌊n / 2⌋ + 1 (the catalog's `Quorum`). Any
 * two majorities of the same set share a member, which is why a decision
 * taken by one cannot be contradicted by another. 0 members → 1 (no quorum
 * is reachable).
 *
 * ## Example
 * ```ts
 * quorumSize(3);                  // 2
 * quorumSize(["a", "b", "c", "d"]); // 3
 * ```
 * @see {@link hasQuorum}, {@link QuorumTally}
 * @lego Quorum
 */
export function quorumSize(members: MemberSet): number {
  return Math.floor(sizeOf("members", members) / 2) + 1;
}

/** How many members may fail while a majority remains: ⌈n / 2⌉ − 1. @lego Quorum */
export function faultTolerance(members: MemberSet): number {
  const n = sizeOf("members", members);
  return n === 0 ? 0 : n - quorumSize(n);
}

/**
 * Whether `votes` (ids; duplicates and non-members do not count) reach a
 * majority of `members`.
 *
 * ## Example
 * ```ts
 * hasQuorum(["a", "b"], ["a", "b", "c"]);      // true
 * hasQuorum(["a", "a", "x"], ["a", "b", "c"]); // false: one member voted
 * ```
 * @lego Quorum
 */
export function hasQuorum(votes: Iterable<string>, members: Iterable<string>): boolean {
  const set = new Set(members);
  let counted = 0;
  for (const vote of new Set(votes)) if (set.has(vote)) counted++;
  return counted >= quorumSize(set.size);
}

/**
 * Whether read and write quorums of sizes `r` and `w` over `n` replicas
 * always overlap: `r + w > n` (every read sees the last write) and
 * `2w > n` (two writes never both succeed on disjoint sets).
 * @lego Quorum
 */
export function isStrictQuorum(options: { n: number; r: number; w: number }): boolean {
  requireObject("options", options);
  const n = requireNonNegativeInteger("n", options.n);
  const r = requireNonNegativeInteger("r", options.r);
  const w = requireNonNegativeInteger("w", options.w);
  return r <= n && w <= n && r + w > n && 2 * w > n;
}

/**
 * Collects votes for one decision among a fixed member set and says when a
 * majority is reached (the catalog's `Quorum` as a pure machine).
 *
 * ## Example
 * ```ts
 * const tally = new QuorumTally({ members: ["a", "b", "c"] });
 * tally.vote("a"); // false
 * tally.vote("a"); // false (counted once)
 * tally.vote("c"); // true: 2 of 3
 * ```
 * @lego Quorum
 */
export class QuorumTally {
  readonly members: ReadonlySet<string>;
  /** Votes needed. */
  readonly needed: number;
  group: string | undefined;
  readonly #votes = new Set<string>();
  #ignored = 0;

  constructor(options: QuorumTallyOptions) {
    requireObject("options", options);
    if (typeof options.members === "number") throw new TypeError("members must be an iterable of member ids");
    sizeOf("members", options.members);
    this.members = new Set(options.members);
    for (const member of this.members) requireString("members[]", member);
    this.needed = quorumSize(this.members.size);
    this.group = optionalGroup(options.group);
  }

  /** Records `member`'s vote; returns whether the quorum is reached. Votes of non-members are ignored. */
  vote(member: string): boolean {
    if (this.members.has(member)) this.#votes.add(member);
    else this.#ignored++;
    return this.reached;
  }

  /** Whether a majority has voted. */
  get reached(): boolean {
    return this.#votes.size >= this.needed;
  }

  /** The members who voted. */
  get votes(): ReadonlySet<string> {
    return this.#votes;
  }

  /** Members who have not voted yet. */
  get missing(): string[] {
    return [...this.members].filter((m) => !this.#votes.has(m));
  }

  /** Votes from non-members. */
  get ignored(): number {
    return this.#ignored;
  }

  /** Whether the quorum can still be reached if every missing member votes (false once too many refused). */
  reachableWithout(refused: Iterable<string>): boolean {
    const out = new Set([...refused].filter((m) => this.members.has(m) && !this.#votes.has(m)));
    return this.members.size - out.size >= this.needed;
  }
}
