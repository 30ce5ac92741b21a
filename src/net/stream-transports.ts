import * as net from 'node:net';
import { NativeClientHandle } from './native/native-server.js';
import { NativeTransport } from './native/native-transport.js';
import { ChunkTransport } from './chunk-transport.js';
import { HandleTransport } from './handle-transport.js';
import type { StreamSink, StreamTransport, TransportKind } from './stream-transport.js';
import { nativeAddonFor } from './transport-choice.js';
import { publishTransportFallback } from './transport-diagnostics.js';

/**
 * @internal The transport a connect opens, of the kind asked for: the
 * stream core calls this without asking which one it gets.
 */
export function connectingTransport(sink: StreamSink, target: net.NetConnectOpts, kind: TransportKind, what: string): StreamTransport {
  const addon = nativeAddonFor(kind, what);
  if (addon !== null) return NativeTransport.connect(sink, addon, target);
  if (kind === 'chunk') return ChunkTransport.connect(sink, target);
  return HandleTransport.connect(sink, target);
}

/**
 * @internal The transport of an accepted connection: the addon's (a native
 * acceptor), or a Node handle's, on the handle transport or, when `kind`
 * is `'chunk'`, through a `net.Socket` over it.
 */
export function acceptedTransport(sink: StreamSink, client: unknown, kind: TransportKind): StreamTransport {
  if (client instanceof NativeClientHandle) return NativeTransport.accepted(sink, client.addon, client.id);
  if (kind === 'chunk') return new ChunkTransport(sink, new net.Socket({ handle: client, readable: true, writable: true, allowHalfOpen: true } as net.SocketConstructorOpts));
  return HandleTransport.accepted(sink, client);
}

/**
 * @internal The transport over a `tls.TLSSocket`: the handle transport where
 * Node lets its reads land in user buffers, else the chunk transport (said
 * once on the `proactor:transport` channel).
 */
export function tlsTransport(sink: StreamSink, tlsSocket: net.Socket): StreamTransport {
  const transport = HandleTransport.overTls(sink, tlsSocket);
  if (transport !== null) return transport;
  publishTransportFallback('tls reads', `Node ${process.versions.node} gives TLS sockets no user-buffer reads: TLS reads are copied from chunks`);
  return new ChunkTransport(sink, tlsSocket);
}
