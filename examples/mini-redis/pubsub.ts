/**
 * Channels and patterns, and the fan-out of PUBLISH.
 *
 * A message is encoded once (`*3 message channel payload`, or `*4 pmessage
 * pattern channel payload` once per matching pattern) into one Buffer that
 * every subscriber's next write references: a thousand subscribers cost
 * one encoding, not a thousand. Each subscriber's own output limit, not
 * the publisher, decides what happens to one that does not keep up.
 */
import { globMatch } from './glob.js';

/** Whoever can receive messages: a session in subscribed mode. */
export interface Subscriber {
  /** Queues an encoded message for the client (its bytes are shared with other subscribers). */
  deliver(message: Buffer): void;
}

export class PubSub {
  readonly #channels = new Map<string, Set<Subscriber>>();
  readonly #patterns = new Map<string, Set<Subscriber>>();
  /** Messages published, and deliveries made. */
  published = 0;
  delivered = 0;

  /** Adds `subscriber` to `channel`; false if it already was there. */
  subscribe(subscriber: Subscriber, channel: string): boolean {
    return add(this.#channels, channel, subscriber);
  }

  unsubscribe(subscriber: Subscriber, channel: string): boolean {
    return remove(this.#channels, channel, subscriber);
  }

  psubscribe(subscriber: Subscriber, pattern: string): boolean {
    return add(this.#patterns, pattern, subscriber);
  }

  punsubscribe(subscriber: Subscriber, pattern: string): boolean {
    return remove(this.#patterns, pattern, subscriber);
  }

  /** How many channels have subscribers. */
  get channelCount(): number {
    return this.#channels.size;
  }

  get patternCount(): number {
    return this.#patterns.size;
  }

  /** Sends `message` to the subscribers of `channel` and of every matching pattern; returns how many received it. */
  publish(channel: Buffer, message: Buffer): number {
    this.published++;
    let receivers = 0;
    const name = channel.toString('latin1');
    const direct = this.#channels.get(name);
    if (direct !== undefined) {
      const encoded = encodeMessage([MESSAGE, channel, message]);
      for (const subscriber of direct) subscriber.deliver(encoded);
      receivers += direct.size;
    }
    for (const [pattern, subscribers] of this.#patterns) {
      if (!globMatch(pattern, name)) continue;
      const encoded = encodeMessage([PMESSAGE, Buffer.from(pattern, 'latin1'), channel, message]);
      for (const subscriber of subscribers) subscriber.deliver(encoded);
      receivers += subscribers.size;
    }
    this.delivered += receivers;
    return receivers;
  }
}

const MESSAGE = Buffer.from('message');
const PMESSAGE = Buffer.from('pmessage');

/** A RESP array of bulk strings, in one Buffer. */
function encodeMessage(parts: readonly Buffer[]): Buffer {
  let length = `*${parts.length}\r\n`.length;
  for (const part of parts) length += `$${part.length}\r\n`.length + part.length + 2;
  const out = Buffer.allocUnsafe(length);
  let at = out.write(`*${parts.length}\r\n`, 0, 'latin1');
  for (const part of parts) {
    at += out.write(`$${part.length}\r\n`, at, 'latin1');
    at += part.copy(out, at);
    at += out.write('\r\n', at, 'latin1');
  }
  return out;
}

function add(map: Map<string, Set<Subscriber>>, name: string, subscriber: Subscriber): boolean {
  let subscribers = map.get(name);
  if (subscribers === undefined) {
    subscribers = new Set();
    map.set(name, subscribers);
  }
  if (subscribers.has(subscriber)) return false;
  subscribers.add(subscriber);
  return true;
}

function remove(map: Map<string, Set<Subscriber>>, name: string, subscriber: Subscriber): boolean {
  const subscribers = map.get(name);
  if (subscribers === undefined || !subscribers.delete(subscriber)) return false;
  if (subscribers.size === 0) map.delete(name);
  return true;
}
