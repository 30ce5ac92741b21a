import { fromNodeError } from '../errors/from-node-error.js';
import { IoError } from '../errors/io-error.js';

/** Node's codes for a certificate that failed verification (OpenSSL's X509 verify results, and the host-name check). */
const VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * @internal The error a failed handshake completes with: `certificate_verify_failed`
 * when the peer's certificate was refused, else `handshake_failed`; the
 * message carries OpenSSL's (or Node's) reason, `nodeCode` Node's code, and
 * `cause` the original error. An `IoError` already (an abort) passes through.
 */
export function handshakeError(err: unknown): IoError {
  if (err instanceof IoError && err.code !== 'unknown') return err;
  const e = fromNodeError(err);
  const nodeCode = e.nodeCode ?? '';
  const reason = (err as { reason?: unknown } | null)?.reason;
  const why = typeof reason === 'string' && reason !== '' ? reason : e.message;
  const details = { cause: err, ...(e.nodeCode === undefined ? {} : { nodeCode: e.nodeCode }) };
  if (VERIFY_CODES.has(nodeCode)) return new IoError('certificate_verify_failed', `certificate verify failed: ${why} (${nodeCode})`, details);
  return new IoError('handshake_failed', `TLS handshake failed: ${why}${nodeCode === '' ? '' : ` (${nodeCode})`}`, details);
}
