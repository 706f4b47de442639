import { afterEach, describe, expect, it } from "vitest";
import { startInspector, type InspectorServer } from "../../../src/cli/inspect/inspector-server.js";
import type { InspectorSnapshot } from "../../../src/cli/inspect/inspector-snapshot.js";

/**
 * The inspector's server on a real loopback socket: its routes, the
 * Server-Sent Events framing, and a close() that ends every stream so the
 * process can exit.
 */

/** A snapshot whose one counter goes up by one on every call. */
function countingSnapshot(): () => InspectorSnapshot {
  let calls = 0;
  return () => {
    calls++;
    return {
      title: "test",
      at: 1_700_000_000_000 + calls,
      state: "running",
      pipelines: [{ id: "p", title: "lane", stages: [{ id: "p:0", kind: "Source", counters: { seen: calls }, after: [] }] }],
      links: [],
      health: [{ name: "sensor", status: "ok" }],
      queues: [{ name: "spool", depth: calls }],
      envelopes: [],
      events: [],
    };
  };
}

const servers: InspectorServer[] = [];
async function start(options: Partial<Parameters<typeof startInspector>[0]> = {}): Promise<InspectorServer> {
  const server = await startInspector({ snapshot: countingSnapshot(), intervalMs: 20, ...options });
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Reads Server-Sent Events blocks (the text between blank lines) from a streaming response. */
function sseReader(response: Response): { next(): Promise<string | undefined>; cancel(): Promise<void> } {
  if (response.body === null) throw new Error("no body");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return {
    async next() {
      for (;;) {
        const end = buffered.indexOf("\n\n");
        if (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          return block;
        }
        const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
        if (done) return undefined;
        buffered += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

function dataOf(block: string | undefined): InspectorSnapshot {
  expect(block).toMatch(/^data: \{/);
  expect(block?.split("\n")).toHaveLength(1);
  return JSON.parse((block ?? "").slice("data: ".length)) as InspectorSnapshot;
}

describe("startInspector", () => {
  it("listens on loopback and serves the page: one self-contained document", async () => {
    const server = await start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg id="graph"');
    expect(html).toContain('new EventSource("events")');
    // Works offline: nothing is loaded from elsewhere (the SVG namespace is a name, not a fetch).
    expect(html.replace(/"http:\/\/www\.w3\.org\/2000\/svg"/g, "")).not.toMatch(/https?:\/\/|<script src|<link rel="stylesheet"/);
  });

  it("serves the snapshot now as JSON", async () => {
    const server = await start();
    const response = await fetch(new URL("snapshot.json", server.url));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const snapshot = (await response.json()) as InspectorSnapshot;
    expect(snapshot.pipelines[0]?.stages[0]?.counters.seen).toBe(1);
  });

  it("answers 404 for other paths, 405 for other methods and 500 when the snapshot throws", async () => {
    const server = await start();
    expect((await fetch(new URL("nope", server.url))).status).toBe(404);
    const post = await fetch(server.url, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const broken = await start({
      snapshot: () => {
        throw new Error("boom");
      },
    });
    const failed = await fetch(new URL("snapshot.json", broken.url));
    expect(failed.status).toBe(500);
    expect(await failed.text()).toContain("boom");
  });

  it("streams a snapshot per interval as Server-Sent Events, counters moving between events", async () => {
    const server = await start();
    const response = await fetch(new URL("events", server.url));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const events = sseReader(response);
    expect(await events.next()).toBe("retry: 1000");
    const first = dataOf(await events.next());
    const second = dataOf(await events.next());
    expect(first.state).toBe("running");
    const seen = (s: InspectorSnapshot): number | undefined => s.pipelines[0]?.stages[0]?.counters.seen;
    expect(seen(second)).toBeGreaterThan(seen(first) ?? Infinity);
    await events.cancel();
  });

  it("close() sends a last snapshot in state stopped, ends every stream and stops listening", async () => {
    const server = await startInspector({ snapshot: countingSnapshot(), intervalMs: 60_000 });
    const a = sseReader(await fetch(new URL("events", server.url)));
    const b = sseReader(await fetch(new URL("events", server.url)));
    for (const events of [a, b]) {
      expect(await events.next()).toBe("retry: 1000");
      expect(dataOf(await events.next()).state).toBe("running");
    }
    await server.close();
    for (const events of [a, b]) {
      expect(dataOf(await events.next()).state).toBe("stopped");
      expect(await events.next()).toBeUndefined();
    }
    await expect(fetch(server.url)).rejects.toThrow();
    await server.close(); // twice is harmless
  });

  it("takes a given port and host", async () => {
    const first = await start();
    const port = Number(new URL(first.url).port);
    await first.close();
    const again = await start({ port, host: "127.0.0.1" });
    expect(again.url).toBe(`http://127.0.0.1:${port}/`);
  });

  it("rejects when the port is taken", async () => {
    const first = await start();
    await expect(start({ port: Number(new URL(first.url).port) })).rejects.toThrow(/EADDRINUSE/);
  });

  it("validates its options, naming the option", () => {
    const snapshot = countingSnapshot();
    expect(() => startInspector(undefined as unknown as Parameters<typeof startInspector>[0])).toThrow(TypeError);
    expect(() => startInspector({ snapshot: 1 as unknown as () => InspectorSnapshot })).toThrow(new TypeError("snapshot must be a function, got 1"));
    expect(() => startInspector({ snapshot, port: -1 })).toThrow(RangeError);
    expect(() => startInspector({ snapshot, port: 65_536 })).toThrow(/port must be an integer from 0 to 65535/);
    expect(() => startInspector({ snapshot, port: 1.5 })).toThrow(RangeError);
    expect(() => startInspector({ snapshot, port: "80" as unknown as number })).toThrow(new TypeError('port must be a number, got "80"'));
    expect(() => startInspector({ snapshot, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => startInspector({ snapshot, intervalMs: Number.NaN })).toThrow(RangeError);
    expect(() => startInspector({ snapshot, host: "" })).toThrow(/host/);
  });
});
