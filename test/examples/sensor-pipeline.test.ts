import { map } from "rxjs";
import { describe, it } from "vitest";
import { marbles } from "manyfold-rx/testing";
import { ambientReadings } from "../../examples/sensor-pipeline.js";

const line = (celsius: number): string => `{"data":{"celsius":${celsius}}}\n`;

describe("the README's sensor pipeline, in virtual time", () => {
  it("frames split chunks, drops garbage and noise, and hands on the newest reading per pulse", () => {
    marbles(({ cold, hot, expectObservable }) => {
      const bytes = cold("a-b-c-d-e-f---|", {
        a: line(21.0),
        b: '{"data":{"cel', // a line split across chunks…
        c: 'sius":21.05}}\n', // …within the 0.1 deadband: suppressed
        d: "\u0000\u00ff garbage\n", // line noise: dropped, the stream goes on
        e: line(21.5),
        f: line(22.0),
      });
      const demand = hot("---x-------x---x-|");
      const celsius = ambientReadings(bytes, demand).pipe(map((event) => (event.data as { celsius: number }).celsius));
      expectObservable(celsius).toBe("---a-------b--|", { a: 21.0, b: 22.0 });
    });
  });
});
