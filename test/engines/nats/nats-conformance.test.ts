import { afterAll, beforeAll, describe, it } from "vitest";
import { NatsEventLog, connectNats, type NatsClient } from "manyfold-rx/nats";
import { eventLogConformance, startNatsServer, type NatsServer } from "manyfold-rx/testing";

/**
 * The EventLog port's shared conformance suite on NATS: a JetStream stream
 * per test, on a nats-server this file starts on a free loopback port.
 * (NatsVersionedRegister has its own tests in nats-versioned-register.test.ts;
 * the shared register suite's watch cases do not pass on it yet.)
 */
let server: NatsServer;
let client: NatsClient;
let n = 0;

beforeAll(async () => {
  server = await startNatsServer();
  client = await connectNats(server.url);
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

eventLogConformance({ describe, it }, "JetStream stream", {
  open: () => NatsEventLog.open({ client, stream: `CONFORMANCE_LOG_${++n}` }),
});
