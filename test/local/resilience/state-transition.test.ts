import { describe, expect, it } from "vitest";
import { CIRCUIT_TRANSITIONS, ManualClock, StateTransition, type Transition } from "../../../src/index.js";

type Light = "red" | "green" | "amber";
const table = { red: ["green"], green: ["amber"], amber: ["red"] } as const satisfies Record<Light, readonly Light[]>;

describe("StateTransition", () => {
  it("moves along listed transitions and reports each with its time", () => {
    const clock = new ManualClock(5);
    const m = new StateTransition<Light>({ transitions: table, initial: "red", clock });
    const seen: Transition<Light>[] = [];
    m.listen((t) => seen.push(t));
    expect([m.state, m.since]).toEqual(["red", 5]);
    clock.advance(3);
    expect(m.to("green")).toEqual({ from: "red", to: "green", at: 8 });
    expect(m.to("amber", 20)).toEqual({ from: "green", to: "amber", at: 20 });
    expect([m.state, m.since]).toEqual(["amber", 20]);
    expect(seen.map((t) => t.to)).toEqual(["green", "amber"]);
    expect(Object.isFrozen(seen[0])).toBe(true);
    expect(m.states).toEqual(["red", "green", "amber"]);
  });

  it("rejects an unlisted transition loudly, or quietly with tryTo", () => {
    const m = new StateTransition<Light>({ transitions: table, initial: "red", since: 0 });
    expect(m.can("amber")).toBe(false);
    expect(() => m.to("amber")).toThrow(new RangeError('transition "red" -> "amber" is not allowed'));
    expect(m.tryTo("amber", 1)).toBeUndefined();
    expect([m.state, m.since]).toEqual(["red", 0]);
  });

  it("removes a listener; listeners added during a notification hear from the next one", () => {
    const m = new StateTransition<Light>({ transitions: table, initial: "red", since: 0 });
    const log: string[] = [];
    const stop = m.listen((t) => {
      log.push(`a:${t.to}`);
      m.listen((u) => log.push(`b:${u.to}`));
    });
    m.to("green", 1);
    stop();
    m.to("amber", 2);
    expect(log).toEqual(["a:green", "b:amber"]);
  });

  it("carries the circuit breaker's table", () => {
    const m = new StateTransition({ transitions: CIRCUIT_TRANSITIONS, initial: "closed", since: 0 });
    expect(m.can("half-open")).toBe(false);
    m.to("open", 1);
    expect(m.can("closed")).toBe(false);
    m.to("half-open", 2);
    expect(m.can("closed") && m.can("open")).toBe(true);
  });

  it("validates its table", () => {
    expect(() => new StateTransition({ transitions: { a: ["b"] } as never, initial: "a" })).toThrow(
      new RangeError('transitions.a lists "b", which is not a state'),
    );
    expect(() => new StateTransition({ transitions: { a: [] }, initial: "z" as "a" })).toThrow(
      new RangeError('initial must be one of the states, got "z"'),
    );
    expect(() => new StateTransition({ transitions: { a: "b" } as never, initial: "a" })).toThrow(TypeError);
    expect(() => new StateTransition({ transitions: null as never, initial: "a" })).toThrow(TypeError);
    expect(() => new StateTransition({ transitions: { a: [] }, initial: "a", since: NaN })).toThrow(RangeError);
    const m = new StateTransition({ transitions: { a: [] }, initial: "a" });
    expect(() => m.listen(3 as never)).toThrow(new TypeError("listener must be a function, got 3"));
  });
});
