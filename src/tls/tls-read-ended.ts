import type * as tls from 'node:tls';

/**
 * @internal Whether the TLS socket has taken in the end of its peer's
 * stream (its readable side was pushed its end), which Node does
 * synchronously while TLSWrap reads a close_notify. Node's public
 * `readableEnded` turns true only once `'end'` has been emitted, a tick
 * later, too late to tell which came first: close_notify or the end of the
 * connection under TLS. So this reads the readable state's `ended` flag,
 * which every supported Node sets in `push(null)`.
 */
export function tlsReadEnded(socket: tls.TLSSocket): boolean {
  const state = (socket as unknown as { _readableState?: { ended?: unknown } })._readableState;
  return state?.ended === true;
}
