import { afterAll, beforeAll, describe, it } from "vitest";
import { NatsEventLog, NatsVersionedRegister, connectNats, type NatsClient } from "manyfold-rx/nats";
import { eventLogConformance, startNatsServer, versionedRegisterConformance, type NatsServer } from "manyfold-rx/testing";

/**
 * The shared conformance suites of the EventLog and VersionedRegister ports
 * on NATS: a fresh JetStream stream or KV bucket per test, on a nats-server
 * this file starts on a free loopback port. (The DeduplicationStore and
 * IdempotencyStore suites run on NATS in nats-stores.test.ts.)
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

versionedRegisterConformance({ describe, it }, "NATS KV", {
  open: () => NatsVersionedRegister.open({ client, bucket: `conformance_register_${++n}` }),
});
