export type { Endpoint, HostPort, ConnectTarget } from './endpoint.js';
export { BasicStreamSocket } from './basic-stream-socket.js';
export { BasicAcceptor, DEFAULT_BACKLOG } from './basic-acceptor.js';
export type { ShutdownType, TransportStats } from './stream-core.js';
export type { TransportKind } from './stream-transport.js';
export { READ_RETARGET_LIMIT, READ_LANDING_SIZE, IDLE_READ_LIMIT } from './handle-transport.js';
export { transportFallbacks } from './transport-diagnostics.js';
export * from './ip/index.js';
export * from './local/index.js';
export { Resolver } from './resolver.js';
export { DynamicBuffer } from './dynamic-buffer.js';
export {
  asyncWrite,
  asyncRead,
  asyncReadUntil,
  transferAll,
  transferAtLeast,
  transferExactly,
  DEFAULT_MAX_TRANSFER,
  type AsyncReadStream,
  type AsyncWriteStream,
  type CompletionCondition,
} from './composed.js';
