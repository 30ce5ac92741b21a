import type * as tls from 'node:tls';

interface VerifyingHandle {
  verifyError?: () => unknown;
}

/**
 * @internal Node's code for why the peer's certificate did not verify
 * (`'UNABLE_TO_VERIFY_LEAF_SIGNATURE'`, `'CERT_HAS_EXPIRED'`, …), or `null`
 * when it did. Why a handle method: Node checks a client's certificate only
 * for sockets its own `tls.Server` made (the result reaches `authorized` and
 * `authorizationError` there and nowhere else), and OpenSSL keeps the result
 * on the TLS handle. Older Node lines return an `Error`, newer ones its code.
 */
export function peerVerifyCode(socket: tls.TLSSocket): string | null {
  const handle = (socket as unknown as { _handle: VerifyingHandle | null })._handle;
  const result = typeof handle?.verifyError === 'function' ? handle.verifyError() : null;
  if (result === null || result === undefined) return null;
  if (typeof result === 'string') return result;
  const code = (result as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'; // an error without a code: still not verified
}
