import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { faultTolerance, hasQuorum, isStrictQuorum, QuorumTally, quorumSize } from "../../src/index.js";

describe("Quorum helpers", () => {
  it.each([
    [0, 1, 0],
    [1, 1, 0],
    [2, 2, 0],
    [3, 2, 1],
    [4, 3, 1],
    [5, 3, 2],
    [7, 4, 3],
  ])("%d members: quorum %d, tolerates %d failures", (n, size, tolerated) => {
    expect(quorumSize(n)).toBe(size);
    expect(faultTolerance(n)).toBe(tolerated);
  });

  it("counts distinct member ids of a set", () => {
    expect(quorumSize(["a", "b", "c", "d"])).toBe(3);
    expect(quorumSize(new Set(["a", "b", "a"]))).toBe(2);
  });

  it("hasQuorum counts each member once and ignores non-members", () => {
    expect(hasQuorum(["a", "b"], ["a", "b", "c"])).toBe(true);
    expect(hasQuorum(["a", "a", "x", "y"], ["a", "b", "c"])).toBe(false);
    expect(hasQuorum([], [])).toBe(false);
    expect(hasQuorum(["a"], ["a"])).toBe(true);
    expect(hasQuorum(["a", "b"], ["a", "b", "c", "d"])).toBe(false);
  });

  it("property: any two quorums of the same member set intersect", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.infiniteStream(fc.boolean()), (n, coin) => {
        const members = Array.from({ length: n }, (_, i) => `m${i}`);
        const pick = (): string[] => members.filter(() => coin.next().value);
        const a = pick();
        const b = pick();
        if (!hasQuorum(a, members) || !hasQuorum(b, members)) return true;
        return a.some((m) => b.includes(m));
      }),
    );
  });

  it("isStrictQuorum: R + W > N and 2W > N", () => {
    expect(isStrictQuorum({ n: 3, r: 2, w: 2 })).toBe(true);
    expect(isStrictQuorum({ n: 3, r: 1, w: 3 })).toBe(true);
    expect(isStrictQuorum({ n: 3, r: 1, w: 2 })).toBe(false);
    expect(isStrictQuorum({ n: 4, r: 3, w: 2 })).toBe(false);
    expect(isStrictQuorum({ n: 3, r: 4, w: 2 })).toBe(false);
    expect(() => isStrictQuorum({ n: -1, r: 1, w: 1 })).toThrow(/^n/);
  });

  it("validates member sets", () => {
    expect(() => quorumSize(-1)).toThrow(RangeError);
    expect(() => quorumSize(1.5)).toThrow(RangeError);
    expect(() => quorumSize(null as never)).toThrow(new TypeError("members must be a number or an iterable of member ids"));
  });
});

describe("QuorumTally", () => {
  it("reaches the quorum at a majority of distinct member votes", () => {
    const tally = new QuorumTally({ members: ["a", "b", "c"], group: "votes" });
    expect(tally.needed).toBe(2);
    expect(tally.vote("a")).toBe(false);
    expect(tally.vote("a")).toBe(false);
    expect(tally.vote("x")).toBe(false);
    expect(tally.ignored).toBe(1);
    expect(tally.missing).toEqual(["b", "c"]);
    expect(tally.vote("c")).toBe(true);
    expect(tally.reached).toBe(true);
    expect([...tally.votes]).toEqual(["a", "c"]);
    expect(tally.group).toBe("votes");
  });

  it("says whether the quorum is still reachable given refusals", () => {
    const tally = new QuorumTally({ members: ["a", "b", "c", "d", "e"] });
    tally.vote("a");
    expect(tally.reachableWithout(["b", "c"])).toBe(true);
    expect(tally.reachableWithout(["b", "c", "d"])).toBe(false);
    expect(tally.reachableWithout(["a", "b", "c"])).toBe(true); // a already voted
  });

  it("validates", () => {
    expect(() => new QuorumTally({ members: 3 as never })).toThrow(new TypeError("members must be an iterable of member ids"));
    expect(() => new QuorumTally({ members: [1 as never] })).toThrow(TypeError);
  });
});
