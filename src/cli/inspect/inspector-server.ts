import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { interval, type Subscription } from "rxjs";
import { requireFunction, requireNonEmptyString, requireNumber, requirePositive } from "../../atom/validate.js";
import { INSPECTOR_PAGE } from "./inspector-page.js";
import type { InspectorSnapshot } from "./inspector-snapshot.js";

/**
 * The live inspector's HTTP server (node:http only): `/` is the page,
 * `/snapshot.json` the snapshot now, `/events` a Server-Sent Events stream
 * of snapshots every `intervalMs`. Loopback by default: the page shows
 * payloads and topology, which is nobody else's business.
 */

export interface InspectorServer {
  /** `http://HOST:PORT/` of the page. */
  readonly url: string;
  /** Sends a last snapshot (state `stopped`) to every client, ends their streams and stops listening. */
  close(): Promise<void>;
}

export interface InspectorServerOptions {
  /** Called once per tick (shared by all clients) and per `/snapshot.json` request. */
  snapshot: () => InspectorSnapshot;
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** How often the stream pushes a snapshot, in ms. @default 500 */
  intervalMs?: number;
}

/** How long a browser waits before reconnecting a dropped stream, in ms. */
const RETRY_MS = 1_000;

function requirePort(value: unknown): number {
  const port = requireNumber("port", value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
  return port;
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
  response.end(body);
}

function frame(snapshot: InspectorSnapshot): string {
  // JSON.stringify never emits a raw newline, so one `data:` line carries the whole snapshot.
  return `data: ${JSON.stringify(snapshot)}\n\n`;
}

/**
 * Starts the inspector; resolves once it listens. Bad options throw at the
 * call (TypeError / RangeError naming the option); a port in use rejects.
 */
export function startInspector(options: InspectorServerOptions): Promise<InspectorServer> {
  if (typeof options !== "object" || (options as unknown) === null) throw new TypeError("options must be an object");
  const snapshot = requireFunction("snapshot", options.snapshot);
  const host = options.host === undefined ? "127.0.0.1" : requireNonEmptyString("host", options.host);
  const port = options.port === undefined ? 0 : requirePort(options.port);
  const intervalMs = options.intervalMs === undefined ? 500 : requirePositive("intervalMs", options.intervalMs);

  const clients = new Set<ServerResponse>();
  let ticker: Subscription | undefined;
  let closing: Promise<void> | undefined;

  const broadcast = (): void => {
    let text: string;
    try {
      text = frame(snapshot());
    } catch (error) {
      // A snapshot that failed this tick is skipped; a comment line keeps the reason visible in the stream.
      text = `: snapshot failed: ${String(error).replace(/\n/g, " ")}\n\n`;
    }
    for (const client of clients) client.write(text);
  };

  const stream = (request: IncomingMessage, response: ServerResponse): void => {
    response.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      // The socket goes when the stream ends, so close() is not held up by an idle keep-alive connection.
      Connection: "close",
      "X-Accel-Buffering": "no",
    });
    response.write(`retry: ${RETRY_MS}\n\n`);
    clients.add(response);
    request.socket.setNoDelay(true);
    response.on("close", () => {
      clients.delete(response);
      if (clients.size === 0 && ticker !== undefined) {
        ticker.unsubscribe();
        ticker = undefined;
      }
    });
    try {
      response.write(frame(snapshot()));
    } catch {
      // the next tick tries again
    }
    ticker ??= interval(intervalMs).subscribe(broadcast);
  };

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://inspector").pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("Allow", "GET, HEAD");
      send(response, 405, "text/plain; charset=utf-8", "method not allowed\n");
      return;
    }
    if (closing !== undefined) {
      send(response, 503, "text/plain; charset=utf-8", "the inspector is stopping\n");
      return;
    }
    if (path === "/" || path === "/index.html") {
      send(response, 200, "text/html; charset=utf-8", INSPECTOR_PAGE);
    } else if (path === "/snapshot.json") {
      try {
        send(response, 200, "application/json; charset=utf-8", JSON.stringify(snapshot()));
      } catch (error) {
        send(response, 500, "text/plain; charset=utf-8", `snapshot failed: ${String(error)}\n`);
      }
    } else if (path === "/events") {
      stream(request, response);
    } else {
      send(response, 404, "text/plain; charset=utf-8", "not found: try / , /snapshot.json or /events\n");
    }
  });

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolveClose) => {
      ticker?.unsubscribe();
      ticker = undefined;
      let last: string | undefined;
      try {
        last = frame({ ...snapshot(), state: "stopped" });
      } catch {
        last = undefined;
      }
      for (const client of clients) client.end(last);
      clients.clear();
      server.close(() => {
        resolveClose();
      });
      // Idle keep-alive sockets would otherwise hold the process open for their timeout.
      server.closeIdleConnections();
    });
    return closing;
  };

  return new Promise((resolveStart, rejectStart) => {
    server.once("error", rejectStart);
    server.listen(port, host, () => {
      server.off("error", rejectStart);
      const address = server.address() as AddressInfo;
      const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
      resolveStart({ url: `http://${shown}:${address.port}/`, close });
    });
  });
}
