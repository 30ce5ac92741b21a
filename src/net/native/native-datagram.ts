import type { Endpoint } from '../endpoint.js';
import { nativeAddon, type NativeAddon } from './native-addon.js';

/** libuv's status for "nothing now" (a read with no datagram waiting, a send with the buffer full). */
export const UV_EAGAIN = -11;
/** libuv's status for an argument the addon could not use (an address it does not parse, a closed descriptor). */
export const UV_EINVAL = -22;

type DatagramAddon = Required<Pick<NativeAddon, 'udpReceive' | 'udpSend' | 'udpSenderName' | 'udpFrom'>>;

function datagramAddon(): DatagramAddon | null {
  const addon = nativeAddon();
  if (addon?.udpReceive === undefined || addon.udpSend === undefined || addon.udpSenderName === undefined || addon.udpFrom === undefined) {
    return null;
  }
  return addon as DatagramAddon;
}

/**
 * @internal One datagram socket's descriptor, read from and sent on at
 * once by the native addon: the speculative half of the native datagram
 * path (the socket's Node UDP handle keeps the bind, the options and the
 * wait for readability). Why: a datagram read this way lands in the
 * caller's buffer with no Node buffer, sender object or JavaScript
 * callback made for it, and a send skips the handle's argument checks.
 * The senders are kept as one endpoint object per peer seen last, so a
 * stream of datagrams from one peer makes no garbage.
 */
export class NativeDatagram {
  readonly #addon: DatagramAddon;
  readonly #fd: number;
  readonly #from: Int32Array;
  /** The last sender, and the words it was made from. */
  #sender: Endpoint = { address: '0.0.0.0', port: 0, family: 'IPv4' };
  #words = new Int32Array(7);

  private constructor(addon: DatagramAddon, fd: number) {
    this.#addon = addon;
    this.#fd = fd;
    this.#from = addon.udpFrom;
  }

  /** The speculative path over descriptor `fd`, or null where the addon does not load or lacks it. */
  static open(fd: number): NativeDatagram | null {
    if (!Number.isInteger(fd) || fd < 0) return null;
    const addon = datagramAddon();
    return addon === null ? null : new NativeDatagram(addon, fd);
  }

  /** One datagram read now into `buf` (its length; `sender()` then names who sent it), or a libuv status (`UV_EAGAIN`: none waiting). */
  receive(buf: Uint8Array): number {
    return this.#addon.udpReceive(this.#fd, buf);
  }

  /** Who sent the datagram `receive` read last: the same object as the time before when it is the same peer. */
  sender(): Endpoint {
    const from = this.#from;
    const words = this.#words;
    let same = true;
    for (let i = 0; i < 7; i++) {
      if (words[i] !== from[i]) {
        same = false;
        words[i] = from[i]!;
      }
    }
    if (!same) {
      this.#sender = Object.freeze({ address: this.#addon.udpSenderName(), port: from[1]!, family: from[0] === 6 ? 'IPv6' : 'IPv4' });
    }
    return this.#sender;
  }

  /** Sends `buf` now to `address:port` (to the connected peer when `address` is ''): the bytes sent, or a libuv status (`UV_EAGAIN`: the send buffer is full). */
  send(buf: Uint8Array, address: string, port: number): number {
    return this.#addon.udpSend(this.#fd, buf, address, port);
  }
}
