import { afterAll, beforeAll, describe, it } from "vitest";
import { MqttTransport, connectMqtt } from "manyfold-rx/mqtt";
import { startMosquitto, transportConformance, type MosquittoBroker } from "manyfold-rx/testing";

/** The Transport port's shared conformance suite on MQTT 5 and 3.1.1, against a real mosquitto. */
let broker: MosquittoBroker;
beforeAll(async () => {
  broker = await startMosquitto({ persistence: false });
});
afterAll(async () => {
  await broker.stop();
});

for (const protocolVersion of [5, 4] as const) {
  transportConformance(
    { describe, it },
    `MQTT ${protocolVersion === 5 ? "5" : "3.1.1"}`,
    {
      open: async () => new MqttTransport({ connection: await connectMqtt({ url: broker.url, protocolVersion }), ownsConnection: true }),
    },
    { settle: 100, wait: 3000 },
  );
}
