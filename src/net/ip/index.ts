export { TcpSocket } from './tcp-socket.js';
export { TcpAcceptor, type TcpAcceptorOptions } from './tcp-acceptor.js';
export { UdpSocket, type UdpSocketOptions } from './udp-socket.js';
