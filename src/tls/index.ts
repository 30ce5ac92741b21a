export { SslContext, type SslContextOptions, type SniCallback } from './ssl-context.js';
export { SslStream, type SslStreamOptions, type HandshakeType, type SslRoute } from './ssl-stream.js';
export type { SslNextLayer } from './next-layer-duplex.js';
