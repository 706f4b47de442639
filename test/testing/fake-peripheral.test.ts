import { describe, expect, it } from "vitest";
import { fakePeripheral, marbles } from "manyfold-rx/testing";

describe("fakePeripheral", () => {
  it("hot: emits its items to subscribers when run() is called, synchronously", () => {
    const peripheral = fakePeripheral({ items: [1, 2, 3] });
    const seen: unknown[] = [];
    peripheral.observe.subscribe((v) => seen.push(v));
    expect(seen).toEqual([]);
    peripheral.run();
    expect(seen).toEqual([1, 2, 3]);
    expect(peripheral.calls.run).toBe(1);
  });

  it("hot: items emitted before anyone subscribes are lost (as on a real hot device)", () => {
    const peripheral = fakePeripheral({ items: [1] });
    peripheral.run();
    const seen: unknown[] = [];
    peripheral.observe.subscribe((v) => seen.push(v));
    peripheral.emit(2);
    expect(seen).toEqual([2]);
  });

  it("cold: replays its items to each subscriber", () => {
    const peripheral = fakePeripheral({ items: ["a", "b"], mode: "cold" });
    const first: unknown[] = [];
    const second: unknown[] = [];
    peripheral.observe.subscribe((v) => first.push(v));
    peripheral.observe.subscribe((v) => second.push(v));
    expect(first).toEqual(["a", "b"]);
    expect(second).toEqual(["a", "b"]);
  });

  it("wraps items in Heart envelopes with the given info and key", () => {
    const info = { id: "thermo-1", tags: [{ name: "kind", variant: "temperature" }] };
    const snake = fakePeripheral({ items: [21.5], peripheralInfo: info, mode: "cold" });
    const camel = fakePeripheral({ items: [21.5], peripheralInfo: info, infoKey: "peripheralInfo", mode: "cold" });
    const seen: unknown[] = [];
    snake.observe.subscribe((v) => seen.push(v));
    camel.observe.subscribe((v) => seen.push(v));
    expect(seen).toEqual([
      { data: 21.5, peripheral_info: info },
      { data: 21.5, peripheralInfo: info },
    ]);
  });

  it("counts lifecycle calls, subscriptions and records inputs", () => {
    const peripheral = fakePeripheral<number, string>({ inputMethod: "both" });
    const subscription = peripheral.observe.subscribe();
    expect(peripheral.subscribers).toBe(1);
    peripheral.handleInput?.("on");
    peripheral.handle_input?.("off");
    peripheral.stop();
    peripheral.close();
    subscription.unsubscribe();
    expect(peripheral.inputs).toEqual(["on", "off"]);
    expect(peripheral.calls).toEqual({ run: 0, stop: 1, close: 1, subscribe: 1, unsubscribe: 1 });
    expect(peripheral.subscribers).toBe(0);
  });

  it("exposes only the input method asked for", () => {
    const methods = (p: object): string[] => ["handleInput", "handle_input"].filter((m) => m in p);
    expect(methods(fakePeripheral())).toEqual(["handleInput"]);
    expect(methods(fakePeripheral({ inputMethod: "handle_input" }))).toEqual(["handle_input"]);
    expect(methods(fakePeripheral({ inputMethod: "both" }))).toEqual(["handleInput", "handle_input"]);
    expect(methods(fakePeripheral({ inputMethod: "none" }))).toEqual([]);
  });

  it("fails run() and observe on demand, and heals", () => {
    const peripheral = fakePeripheral({ items: [1] });
    const boom = new Error("no device");
    peripheral.failRunWith(boom);
    expect(() => peripheral.run()).toThrow(boom);
    peripheral.failRunWith(undefined);
    expect(() => peripheral.run()).not.toThrow();

    peripheral.failObserveWith(boom);
    let caught: unknown;
    peripheral.observe.subscribe({ error: (e: unknown) => (caught = e) });
    expect(caught).toBe(boom);
    expect(peripheral.subscribers).toBe(0);
  });

  it("completes after run() when asked, and errors on demand", () => {
    const done = fakePeripheral({ items: [1], completeOnRun: true });
    let completed = false;
    done.observe.subscribe({ complete: () => (completed = true) });
    done.run();
    expect(completed).toBe(true);

    const failing = fakePeripheral();
    let error: unknown;
    failing.observe.subscribe({ error: (e: unknown) => (error = e) });
    failing.error("unplugged");
    expect(error).toBe("unplugged");
  });

  it("plays a marble stream as its observe", () => {
    marbles(({ cold, expectObservable }) => {
      const peripheral = fakePeripheral({ observe: cold("a-b|") });
      expectObservable(peripheral.observe).toBe("a-b|");
    });
  });
});
