export { UnixSocket } from './unix-socket.js';
export { UnixAcceptor, type UnixAcceptorOptions } from './unix-acceptor.js';
export { MAX_LOCAL_PATH, type LocalEndpoint } from './local-endpoint.js';
