import type { IPublishPacket } from "mqtt";
import { topicMatches } from "./mqtt-topic.js";

/**
 * Receives the PUBLISH packets of one subscription: returns `false` to
 * decline a packet, `true` once it has handled it, or a Promise that holds
 * the packet's acknowledgement until it settles.
 */
export type MqttPacketListener = (packet: IPublishPacket) => Promise<void> | boolean;

interface Entry {
  readonly filter: string;
  readonly id: number;
  readonly shared: boolean;
  readonly listeners: MqttPacketListener[];
  /** Round-robin position among a shared subscription's listeners. */
  next: number;
}

/** MQTT 5 subscription identifiers run from 1 to 268,435,455. */
const MAX_ID = 268_435_455;

/**
 * The subscriptions of one connection: each topic filter is subscribed at
 * the broker once, however many listeners share it, and each packet goes to
 * the listeners of the filters it matched — once, even when filters
 * overlap (MQTT 5 brokers send a copy per matching subscription, tagged
 * with its subscription identifier; 3.1.1 brokers send one copy). Listeners
 * of one shared filter (`$share/…`) take turns, as members of a queue group.
 */
export class MqttSubscriptions {
  readonly #entries = new Map<string, Entry>();

  /**
   * The identifier of a filter: a hash, so the same filter has the same id
   * in every process, and a persistent session's redeliveries (tagged with
   * the id of the process that subscribed) still find their listeners.
   */
  static idOf(filter: string): number {
    let hash = 0x811c9dc5;
    for (let i = 0; i < filter.length; i++) {
      hash ^= filter.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return (hash % MAX_ID) + 1;
  }

  /** Adds a listener; `true` when it is the filter's first (subscribe at the broker). */
  add(filter: string, listener: MqttPacketListener): boolean {
    const existing = this.#entries.get(filter);
    if (existing !== undefined) {
      existing.listeners.push(listener);
      return false;
    }
    const shared = filter.startsWith("$share/");
    this.#entries.set(filter, { filter, id: MqttSubscriptions.idOf(filter), shared, listeners: [listener], next: 0 });
    return true;
  }

  /** Removes a listener; `true` when it was the filter's last (unsubscribe at the broker). */
  remove(filter: string, listener: MqttPacketListener): boolean {
    const entry = this.#entries.get(filter);
    if (entry === undefined) return false;
    const index = entry.listeners.indexOf(listener);
    if (index >= 0) entry.listeners.splice(index, 1);
    if (entry.listeners.length > 0) return false;
    this.#entries.delete(filter);
    return true;
  }

  /** The listeners a packet goes to, each once; for a shared filter, the next member only. */
  listenersFor(packet: IPublishPacket, onlyFilter?: string): MqttPacketListener[] {
    const ids = packet.properties?.subscriptionIdentifier;
    const tagged = ids === undefined ? undefined : new Set(Array.isArray(ids) ? ids : [ids]);
    const chosen = new Set<MqttPacketListener>();
    for (const entry of this.#entries.values()) {
      if (onlyFilter !== undefined && entry.filter !== onlyFilter) continue;
      if (tagged !== undefined && !tagged.has(entry.id)) continue;
      if (!topicMatches(entry.filter, packet.topic)) continue;
      if (entry.shared) {
        const member = entry.listeners[entry.next % entry.listeners.length];
        entry.next += 1;
        if (member !== undefined) chosen.add(member);
      } else {
        for (const listener of entry.listeners) chosen.add(listener);
      }
    }
    return [...chosen];
  }
}
