import * as tls from 'node:tls';
import { describeValue } from '../errors/describe-value.js';
import { fromNodeError } from '../errors/from-node-error.js';
import { IoError } from '../errors/io-error.js';

/**
 * How a server picks the context for the name a client asked for (SNI):
 * call `done(null, context)` with the `SslContext` to use (or
 * `done(null)` to keep the default), or `done(err)` to refuse the
 * handshake.
 *
 * @example
 * ```ts
 * const byName = new Map([['a.example', contextA], ['b.example', contextB]]);
 * const sni: SniCallback = (servername, done) => done(null, byName.get(servername));
 * ```
 *
 * @category TLS
 */
export type SniCallback = (servername: string, done: (err: Error | null, context?: SslContext) => void) => void;

/**
 * The options of `new SslContext(options)`: Node's secure-context options
 * (`key`, `cert`, `ca`, `pfx`/`passphrase`, `minVersion`/`maxVersion`,
 * `ciphers`, `ecdhCurve`, `sessionTimeout`, `ticketKeys`, …, exactly as
 * `tls.createSecureContext` takes them), plus the ALPN protocols to offer
 * (clients) or accept (servers), a server's SNI callback, and whether a
 * server asks its clients for certificates (`requestCert`).
 *
 * @example
 * ```ts
 * const options: SslContextOptions = { key, cert, minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] };
 * ```
 *
 * @category TLS
 */
export interface SslContextOptions extends tls.SecureContextOptions {
  /** ALPN protocols, most preferred first. */
  ALPNProtocols?: readonly string[];
  /** Servers: picks a context by the name the client asked for. */
  SNICallback?: SniCallback;
  /**
   * Servers: ask every client for a certificate and verify it against `ca`
   * (asio's `verify_peer | verify_fail_if_no_peer_cert`). A client without
   * one, or whose certificate does not verify, fails the server's handshake
   * with `certificate_verify_failed`, unless the stream was made with
   * `rejectUnauthorized: false` (then `peerVerifyError()` tells). Default `false`.
   */
  requestCert?: boolean;
}

/**
 * The TLS configuration many `SslStream`s share (asio's `ssl::context`):
 * keys and certificates, trusted CAs, protocol versions, ciphers, ALPN,
 * session tickets. Build it once; each stream refers to it.
 *
 * Throws `TypeError` for options that are not an object, and `IoError`
 * `invalid_argument` (Node's code in `nodeCode`, OpenSSL's reason in the
 * message) for a key or certificate OpenSSL refuses.
 *
 * @example
 * ```ts
 * const server = new SslContext({ key: fs.readFileSync('key.pem'), cert: fs.readFileSync('cert.pem') });
 * const client = new SslContext({ ca: fs.readFileSync('ca.pem') }); // verifies against this CA
 * ```
 *
 * @category TLS
 */
export class SslContext {
  /** @internal Node's secure context, built once from the options. */
  readonly secureContext: tls.SecureContext;
  /** @internal The ALPN protocols, or `undefined`. */
  readonly alpnProtocols: string[] | undefined;
  /** @internal Servers: whether clients are asked for a certificate. */
  readonly requestCert: boolean;
  /** @internal Node's form of the SNI callback, or `undefined`. */
  readonly sniCallback: ((servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => void) | undefined;

  constructor(options: SslContextOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`SslContext: the options must be an object, got ${describeValue(options)}`);
    const { ALPNProtocols: alpn, SNICallback: sni, requestCert, ...secure } = options;
    if (requestCert !== undefined && typeof requestCert !== 'boolean') throw new TypeError(`SslContext: requestCert must be a boolean, got ${describeValue(requestCert)}`);
    if (alpn !== undefined && (!Array.isArray(alpn) || !alpn.every((p) => typeof p === 'string'))) {
      throw new TypeError(`SslContext: ALPNProtocols must be an array of strings, got ${describeValue(alpn)}`);
    }
    if (sni !== undefined && typeof sni !== 'function') throw new TypeError(`SslContext: SNICallback must be a function, got ${describeValue(sni)}`);
    try {
      this.secureContext = tls.createSecureContext(secure);
    } catch (err) {
      const e = fromNodeError(err);
      throw new IoError('invalid_argument', `SslContext: ${e.message}`, { cause: err, ...(e.nodeCode === undefined ? {} : { nodeCode: e.nodeCode }) });
    }
    this.requestCert = requestCert ?? false;
    this.alpnProtocols = alpn === undefined ? undefined : [...alpn];
    this.sniCallback =
      sni === undefined
        ? undefined
        : (servername, cb): void => {
            sni(servername, (err, context) => {
              cb(err, context?.secureContext);
            });
          };
  }
}
