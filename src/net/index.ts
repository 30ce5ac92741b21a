export type { Endpoint, HostPort, ConnectTarget } from './endpoint.js';
export { TcpSocket, READ_RETARGET_LIMIT, READ_LANDING_SIZE, type ShutdownType } from './tcp-socket.js';
export { TcpAcceptor, DEFAULT_BACKLOG, type TcpAcceptorOptions } from './tcp-acceptor.js';
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
