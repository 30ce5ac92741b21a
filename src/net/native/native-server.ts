import type { ClientHandle, ServerHandle } from '../basic-acceptor.js';
import { errnoError, type ErrnoEndpoint } from '../errno.js';
import { EV_ACCEPT, type NativeAddon } from './native-addon.js';
import { registerNative, unregisterNative, type NativeReceiver } from './native-loop.js';

/** @internal A connection the addon accepted, not yet wrapped in a socket. */
export class NativeClientHandle implements ClientHandle {
  readonly addon: NativeAddon;
  readonly id: number;
  #closed = false;

  constructor(addon: NativeAddon, id: number) {
    this.addon = addon;
    this.id = id;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.addon.close(this.id);
  }
}

/**
 * @internal A listening socket of the addon's, with the face of the libuv
 * server handle `BasicAcceptor` drives: `listen`, `close`, `onconnection`
 * (called from a batch), `getsockname`.
 */
export class NativeServerHandle implements ServerHandle, NativeReceiver {
  onconnection: ((status: number, client: ClientHandle | undefined) => void) | null = null;
  readonly #addon: NativeAddon;
  readonly #id: number;
  #closed = false;

  private constructor(addon: NativeAddon, id: number) {
    this.#addon = addon;
    this.#id = id;
    registerNative(id, this);
  }

  /** Binds `endpoint` (an IP address literal and port, or a path); throws the `IoError` naming it on failure. */
  /** `flags`: libuv's TCP bind flags (`UV_TCP_REUSEPORT`), checked by the acceptor against the running libuv. */
  static bind(addon: NativeAddon, endpoint: ErrnoEndpoint, flags = 0): NativeServerHandle {
    const id = 'path' in endpoint ? addon.bind(endpoint.path) : addon.bind(endpoint.address, endpoint.port, flags);
    if (id < 0) throw errnoError(id, 'bind', endpoint);
    return new NativeServerHandle(addon, id);
  }

  listen(backlog: number): number {
    return this.#addon.listen(this.#id, backlog);
  }

  getsockname(out: Record<string, unknown>): number {
    const a = this.#addon.address(this.#id, false);
    if (typeof a === 'number') return a;
    out.address = a.address;
    out.port = a.port;
    out.family = a.family;
    return 0;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    unregisterNative(this.#id);
    this.#addon.close(this.#id);
  }

  nativeEvent(event: number, value: number): void {
    if (event !== EV_ACCEPT || this.#closed) return;
    const onconnection = this.onconnection;
    if (value < 0) {
      onconnection?.(value, undefined);
      return;
    }
    const client = new NativeClientHandle(this.#addon, value);
    if (onconnection === null) client.close();
    else onconnection(0, client);
  }
}
