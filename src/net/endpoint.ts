import * as net from 'node:net';
import { describeValue } from '../errors/describe-value.js';

/**
 * An IP endpoint: what `localEndpoint()`, `remoteEndpoint()` and `Resolver` report.
 *
 * @example
 * ```ts
 * const endpoints: Endpoint[] = await resolver.asyncResolve('localhost', 8080, usePromise);
 * const v4 = endpoints.find((e) => e.family === 'IPv4');
 * if (v4) await socket.asyncConnect(v4, usePromise);
 * ```
 *
 * @category Stream sockets
 */
export interface Endpoint {
  /** The IP address, for example `'127.0.0.1'` or `'::1'`. */
  readonly address: string;
  /** The port, 0 to 65535. */
  readonly port: number;
  /** The address family. */
  readonly family: 'IPv4' | 'IPv6';
}

/**
 * Where to connect or listen: a host (name or IP address) and a port.
 *
 * @example
 * ```ts
 * const server: HostPort = { host: '127.0.0.1', port: 5555 };
 * const acceptor = new TcpAcceptor(ctx, server);
 * await new TcpSocket(ctx).asyncConnect(server, usePromise);
 * ```
 *
 * @category Stream sockets
 */
export interface HostPort {
  /** A host name or an IP address (`TcpAcceptor` requires an address). */
  readonly host: string;
  /** The port, 0 to 65535 (0 when listening: any free port). */
  readonly port: number;
}

/**
 * `asyncConnect` takes `{ host, port }` or an `Endpoint` from a `Resolver`.
 *
 * @example
 * ```ts
 * async function connect(ctx: IoContext, target: ConnectTarget): Promise<TcpSocket> {
 *   const socket = new TcpSocket(ctx);
 *   await socket.asyncConnect(target, usePromise);
 *   return socket;
 * }
 * await connect(ctx, { host: 'localhost', port: 80 });
 * await connect(ctx, { address: '::1', port: 80, family: 'IPv6' });
 * ```
 *
 * @category Stream sockets
 */
export type ConnectTarget = HostPort | Endpoint;

/** @internal Throws a TypeError unless `port` is an integer in 0..65535. */
export function checkPort(port: unknown, what: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`${what}: port must be an integer from 0 to 65535, got ${describeValue(port)}`);
  }
  return port;
}

/** @internal Reads `{ host, port }` or `{ address, port }`, throwing a TypeError when malformed. */
export function hostOf(target: unknown, what: string): string {
  if (typeof target !== 'object' || target === null) throw new TypeError(`${what}: expected { host, port }, got ${describeValue(target)}`);
  const t = target as { host?: unknown; address?: unknown };
  const host = t.host ?? t.address;
  if (typeof host !== 'string' || host.length === 0) throw new TypeError(`${what}: host must be a non-empty string, got ${describeValue(host)}`);
  return host;
}

/** @internal Node's family string (or number, on older versions) as an `Endpoint` family. */
export function familyOf(family: unknown, address: string): 'IPv4' | 'IPv6' {
  if (family === 'IPv6' || family === 6) return 'IPv6';
  if (family === 'IPv4' || family === 4) return 'IPv4';
  return net.isIPv6(address) ? 'IPv6' : 'IPv4';
}
