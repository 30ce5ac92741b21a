import type * as net from 'node:net';
import * as tls from 'node:tls';
import { getAssociatedAllocator } from '../associations/associate.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import { CancellationType } from '../cancellation/cancellation-type.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { describeValue as describe } from '../errors/describe-value.js';
import { fromNodeError } from '../errors/from-node-error.js';
import { IoError } from '../errors/io-error.js';
import { checkIoContext } from '../io-context/check-context.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import { checkNotDetached } from '../io/detached.js';
import { HandshakeOp } from '../ops/handshake-op.js';
import type { Operation } from '../ops/operation.js';
import { ShutdownOp } from '../ops/shutdown-op.js';
import type { StatusOp } from '../ops/status-op.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';
import { BasicStreamSocket, totalLength } from '../net/basic-stream-socket.js';
import { StreamCore, type TransportStats } from '../net/stream-core.js';
import { NextLayerDuplex, type SslNextLayer } from './next-layer-duplex.js';
import type { SslContext } from './ssl-context.js';
import { peerVerifyCode } from './peer-verification.js';
import { handshakeError } from './tls-error.js';
import { tlsReadEnded } from './tls-read-ended.js';

/**
 * Which side of the handshake a stream takes.
 *
 * @example
 * ```ts
 * const side: HandshakeType = isServer ? 'server' : 'client';
 * stream.asyncHandshake(side, onHandshake);
 * ```
 *
 * @category TLS
 */
export type HandshakeType = 'client' | 'server';

/**
 * Per-stream options of `new SslStream(next, context, options)`.
 *
 * @example
 * ```ts
 * const options: SslStreamOptions = { servername: 'example.com' }; // SNI and the name the certificate must carry
 * ```
 *
 * @category TLS
 */
export interface SslStreamOptions {
  /**
   * Clients: the server name sent in SNI and checked against the server's
   * certificate. Without it the certificate is checked against the host
   * the next layer connected to (`asyncConnect({ host })`).
   */
  servername?: string;
  /**
   * Refuse a peer whose certificate does not verify (default `true`):
   * clients check the server's; servers whose context has `requestCert`
   * check the client's. `false` lets the handshake succeed anyway, and
   * `peerVerifyError()` says what was wrong.
   */
  rejectUnauthorized?: boolean;
}

/**
 * How an `SslStream` moves its bytes (`stream.route`):
 * - `'native'`: Node's TLS runs in C++ straight on the next layer's socket
 *   handle, and decrypted bytes land in the caller's read buffer;
 * - `'bridge'`: Node's TLS runs over the next layer's `asyncReadSome` and
 *   `asyncWriteSome` (any proactor stream, or a socket that could not be
 *   lent: bytes pending on it, or not a Node socket).
 *
 * @example
 * ```ts
 * await stream.asyncHandshake('server', usePromise);
 * console.log(stream.route); // 'native' for an accepted TcpSocket
 * ```
 *
 * @category TLS
 */
export type SslRoute = 'native' | 'bridge';

type State = 'idle' | 'handshaking' | 'open' | 'closed';

function initiateHandshake(handler: Handler, stream: SslStream, type: HandshakeType): void {
  stream.startHandshake(handler, type);
}

function initiateShutdown(handler: Handler, stream: SslStream): void {
  stream.startShutdown(handler);
}

function initiateReadSome(handler: Handler<[number]>, core: StreamCore, buf: Uint8Array): void {
  core.startReadSome(handler, buf);
}

function initiateWriteSome(handler: Handler<[number]>, core: StreamCore, bufs: Uint8Array | readonly Uint8Array[], total: number): void {
  core.startWriteSome(handler, bufs, total);
}

/**
 * A TLS stream over any proactor stream (asio's `ssl::stream`): a
 * `TcpSocket`, a `UnixSocket`, or any object with `asyncReadSome` and
 * `asyncWriteSome`. Node's TLS (OpenSSL, in C++) does the crypto; the
 * stream's operations follow the allocation contract of every other op
 * (allocated through the handler's allocator, freed before it runs, every
 * token, handler tracking, statistics as `handshake`, `readSome`,
 * `writeSome`, `shutdown`), and `asyncRead`, `asyncWrite` and
 * `asyncReadUntil` work on it unchanged.
 *
 * Lifecycle: connect (or accept) the next layer, `asyncHandshake`, then
 * read and write; `asyncShutdown` sends close_notify; `close()` closes the
 * stream and the next layer under it.
 *
 * Errors: a failed handshake completes with `handshake_failed`, a refused
 * certificate with `certificate_verify_failed` (OpenSSL's reason in the
 * message, Node's code in `nodeCode`); the end of the peer's stream is
 * `eof` after its close_notify, and `stream_truncated` on the bridge route
 * when the connection under TLS ends without one (the native route cannot
 * tell the two apart and reports `eof`; see docs/tls.md).
 * Clients verify the server's certificate and name by default.
 *
 * @example
 * ```ts
 * const ctx = new IoContext();
 * const client = new SslContext({ ca: fs.readFileSync('ca.pem') });
 * const socket = new TcpSocket(ctx);
 * await socket.asyncConnect({ host: 'localhost', port: 8443 }, usePromise);
 * const stream = new SslStream(socket, client);
 * await stream.asyncHandshake('client', usePromise);
 * await asyncWrite(stream, Buffer.from('hello'), usePromise);
 * stream.close();
 * ```
 *
 * @category TLS
 */
export class SslStream {
  /** The context whose run loop invokes this stream's handlers. */
  readonly context: IoContext;
  /** @internal The stream core this stream's reads and writes run on. */
  readonly core: StreamCore;
  readonly #next: SslNextLayer;
  readonly #ssl: SslContext;
  readonly #servername: string | undefined;
  readonly #rejectUnauthorized: boolean;
  #state: State = 'idle';
  #route: SslRoute | null = null;
  #tls: tls.TLSSocket | null = null;
  #handshakeOp: HandshakeOp | null = null;
  #side: HandshakeType = 'client';
  /** Why the peer's certificate did not verify (`rejectUnauthorized: false`), else `null`. */
  #verifyError: IoError | null = null;
  #shutdownOp: ShutdownOp | null = null;
  #registered = false;

  readonly #service: IoService = {
    shutdown: (): void => {
      this.#destroyOps();
    },
  };

  readonly #onSecure = (): void => {
    if (this.#state !== 'handshaking') return;
    const refused = this.#checkPeer();
    if (refused !== null) {
      this.#failHandshake(refused);
      this.#tls?.destroy(); // the client is cut off, as node:tls servers do
      return;
    }
    this.#state = 'open';
    const op = this.#handshakeOp;
    this.#handshakeOp = null;
    if (op !== null) this.context.completeFromIo(op.finish(null));
  };

  readonly #onError = (err: Error): void => {
    if (this.#state === 'handshaking') this.#failHandshake(handshakeError(err));
    const op = this.#shutdownOp;
    if (op !== null) {
      this.#shutdownOp = null;
      this.context.completeFromIo(op.finish(fromNodeError(err)));
    }
  };

  readonly #onClose = (): void => {
    if (this.#state === 'handshaking') this.#failHandshake(new IoError('handshake_failed', 'TLS handshake failed: the peer closed the connection'));
    const op = this.#shutdownOp;
    if (op !== null) {
      this.#shutdownOp = null;
      this.context.completeFromIo(op.finish(new IoError('broken_pipe')));
    }
  };

  readonly #onEnd = (): void => {
    if (this.#state === 'handshaking') this.#failHandshake(new IoError('handshake_failed', 'TLS handshake failed: the peer closed the connection during the handshake'));
  };

  readonly #onFinish = (): void => {
    const op = this.#shutdownOp;
    if (op === null) return;
    this.#shutdownOp = null;
    this.context.completeFromIo(op.finish(null));
  };

  /**
   * Bridge route: the connection under TLS ended (`null`: all its bytes
   * handed to TLS) or failed. If TLS has not read a close_notify by then, the
   * peer's stream was cut short: reads end with `stream_truncated` (or the
   * next layer's error) instead of `eof`.
   */
  readonly #onNextEnded = (err: IoError | null): void => {
    const t = this.#tls;
    if (t === null || this.#state !== 'open' || tlsReadEnded(t)) return;
    this.core.endWith(err ?? new IoError('stream_truncated', 'the peer ended the connection without a TLS close_notify'));
  };

  readonly #onNextClosed = (): void => {
    this.close();
  };

  /**
   * Makes a TLS stream over `next` (connected or accepted, nothing of its
   * own pending) with the configuration `sslContext`. Nothing is sent until
   * `asyncHandshake`. Throws `TypeError` for arguments of the wrong kind.
   */
  constructor(next: BasicStreamSocket | SslNextLayer, sslContext: SslContext, options: SslStreamOptions = {}) {
    if (typeof next !== 'object' || next === null || typeof next.asyncReadSome !== 'function' || typeof next.asyncWriteSome !== 'function') {
      throw new TypeError(`SslStream: the next layer must be a stream (asyncReadSome and asyncWriteSome), got ${describe(next)}`);
    }
    const ctx = (next as { context?: unknown }).context;
    checkIoContext(ctx, 'SslStream (the next layer\'s context)');
    if (typeof sslContext !== 'object' || sslContext === null || !('secureContext' in sslContext)) {
      throw new TypeError(`SslStream: the second argument must be an SslContext, got ${describe(sslContext)}`);
    }
    if (typeof options !== 'object' || options === null) throw new TypeError(`SslStream: the options must be an object, got ${describe(options)}`);
    const { servername, rejectUnauthorized } = options;
    if (servername !== undefined && typeof servername !== 'string') throw new TypeError(`SslStream: servername must be a string, got ${describe(servername)}`);
    if (rejectUnauthorized !== undefined && typeof rejectUnauthorized !== 'boolean') {
      throw new TypeError(`SslStream: rejectUnauthorized must be a boolean, got ${describe(rejectUnauthorized)}`);
    }
    this.context = ctx;
    this.#next = next;
    this.#ssl = sslContext;
    this.#servername = servername;
    this.#rejectUnauthorized = rejectUnauthorized ?? true;
    this.core = new StreamCore(ctx, this);
  }

  /**
   * The stream under the TLS layer (asio's `next_layer()`).
   *
   * @example
   * ```ts
   * const socket = stream.nextLayer() as TcpSocket;
   * console.log(socket.remoteEndpoint()); // still named while TLS runs over it
   * ```
   */
  nextLayer(): BasicStreamSocket | SslNextLayer {
    return this.#next;
  }

  /**
   * How this stream's bytes move (`'native'` or `'bridge'`), `null` before the handshake starts.
   *
   * @example
   * ```ts
   * stream.route; // 'native': TLS in C++ on the socket handle, reads land in your buffer
   * ```
   */
  get route(): SslRoute | null {
    return this.#route;
  }

  /**
   * The ALPN protocol the handshake agreed on, or `null` (none, or not yet).
   *
   * @example
   * ```ts
   * if (stream.alpnProtocol() === 'h2') startHttp2(stream);
   * ```
   */
  alpnProtocol(): string | null {
    const p = this.#tls?.alpnProtocol;
    return typeof p === 'string' ? p : null;
  }

  /**
   * The peer's certificate as Node describes it (`subject`, `issuer`,
   * `valid_to`, `fingerprint256`, …), or `null` when there is none (a
   * client that sent none, or before the handshake).
   *
   * @example
   * ```ts
   * console.log(stream.peerCertificate()?.subject.CN);
   * ```
   */
  peerCertificate(): tls.PeerCertificate | null {
    if (this.#state !== 'open') return null;
    const cert = this.#tls?.getPeerCertificate();
    return cert === undefined || Object.keys(cert).length === 0 ? null : cert;
  }

  /**
   * Why the peer's certificate did not verify, as a `certificate_verify_failed`
   * error with Node's code in `nodeCode` (`'UNABLE_TO_VERIFY_LEAF_SIGNATURE'`,
   * `'CERT_HAS_EXPIRED'`, …), or `null`: verified, not asked for, or before
   * the handshake. Only a stream made with `rejectUnauthorized: false` can
   * be open with one; otherwise the handshake fails with it.
   *
   * @example
   * ```ts
   * const stream = new SslStream(socket, serverContextWithRequestCert, { rejectUnauthorized: false });
   * stream.asyncHandshake('server', (err) => {
   *   if (err) return stream.close();
   *   const who = stream.peerVerifyError() === null ? stream.peerCertificate()?.subject.CN : 'guest';
   * });
   * ```
   */
  peerVerifyError(): IoError | null {
    return this.#verifyError;
  }

  /**
   * Bytes that were copied on their way to the caller's read buffers, and
   * the transport; see `BasicStreamSocket.transportStats`.
   *
   * @example
   * ```ts
   * const { bytesCopied } = stream.transportStats();
   * ```
   */
  transportStats(): TransportStats {
    return this.core.transportStats();
  }

  /**
   * Whether the stream is open (not closed).
   *
   * @example
   * ```ts
   * if (stream.isOpen()) stream.close();
   * ```
   */
  isOpen(): boolean {
    return this.#state !== 'closed';
  }

  /**
   * Runs the TLS handshake as `type`. Completion signature: `(err)`.
   * Clients verify the server's certificate chain against the context's
   * `ca` (or Node's roots) and its name against `servername` (else the
   * host the next layer connected to), unless `rejectUnauthorized: false`.
   * Fails with `handshake_failed` or `certificate_verify_failed`;
   * `already_started` when a handshake was started before; `bad_descriptor`
   * on a closed stream.
   *
   * Per-operation cancellation: terminal, partial and total; the handshake
   * is abandoned, the handler gets `operation_aborted`, and the stream is
   * closed.
   *
   * @example
   * ```ts
   * stream.asyncHandshake('server', (err) => {
   *   if (err) return stream.close(); // err.code: 'handshake_failed', …
   *   startSession(stream);
   * });
   * ```
   */
  asyncHandshake<T extends CompletionToken>(type: HandshakeType, token: T): CompletionResult<T, []> {
    if (type !== 'client' && type !== 'server') throw new TypeError(`SslStream.asyncHandshake: expected 'client' or 'server', got ${describe(type)}`);
    return asyncInitiate<[], T, SslStream, HandshakeType>(initiateHandshake, token, this, type);
  }

  /**
   * Reads at least one decrypted byte into `buf`. Completion signature:
   * `(err, n)`, `(eof, 0)` at the end of the peer's stream
   * (`(stream_truncated, 0)` on the bridge route when it ended without
   * close_notify); as
   * `TcpSocket.asyncReadSome` (FIFO queue, cancellation, `buf` owned by the
   * stream until the handler runs). On the native route bytes land in
   * `buf` as Node decrypts them when the read was started from a read
   * handler, and are copied once otherwise (`transportStats().bytesCopied`).
   * `not_connected` before the handshake starts.
   *
   * @example
   * ```ts
   * stream.asyncReadSome(buf, (err, n) => {
   *   if (err) return stream.close();
   *   console.log(buf.subarray(0, n).toString());
   * });
   * ```
   */
  asyncReadSome<T extends CompletionToken<[number]>>(buf: Uint8Array, token: T): CompletionResult<T, [number]> {
    if (!(buf instanceof Uint8Array)) throw new TypeError(`SslStream.asyncReadSome: the buffer must be a Uint8Array (or Buffer), got ${describe(buf)}`);
    checkNotDetached(buf, 'SslStream.asyncReadSome');
    return asyncInitiate<[number], T, StreamCore, Uint8Array>(initiateReadSome, token, this.core, buf);
  }

  /**
   * Encrypts and writes `bufs` (one buffer or a gathered array).
   * Completion signature: `(err, n)` with `n` the total length, once the
   * records are handed on; as `TcpSocket.asyncWriteSome`. `not_connected`
   * before the handshake has completed.
   *
   * @example
   * ```ts
   * stream.asyncWriteSome(Buffer.from('ping\n'), (err, n) => {
   *   if (err) stream.close();
   * });
   * ```
   */
  asyncWriteSome<T extends CompletionToken<[number]>>(bufs: Uint8Array | readonly Uint8Array[], token: T): CompletionResult<T, [number]> {
    const total = totalLength(bufs, 'SslStream.asyncWriteSome');
    return asyncInitiate<[number], T, StreamCore, Uint8Array | readonly Uint8Array[], number>(initiateWriteSome, token, this.core, bufs, total);
  }

  /**
   * Sends close_notify and then the end of the stream under it (asio's
   * `async_shutdown`, without waiting for the peer's close_notify: read
   * until `eof` for that). Completion signature: `(err)`. Later writes fail
   * with `shut_down`; reads go on. Writes started before it go out
   * first: close_notify follows the last of them. `not_connected` before
   * the handshake has completed.
   *
   * @example
   * ```ts
   * await asyncWrite(stream, lastReply, usePromise);
   * await stream.asyncShutdown(usePromise);
   * stream.close();
   * ```
   */
  asyncShutdown<T extends CompletionToken>(token: T): CompletionResult<T, []> {
    return asyncInitiate<[], T, SslStream>(initiateShutdown, token, this);
  }

  /**
   * Aborts every pending handshake, read and write with `operation_aborted`
   * (an aborted handshake closes the stream); the stream stays open
   * otherwise. Bytes of a write already handed on still go out.
   *
   * @example
   * ```ts
   * idleTimer.asyncWait((err) => {
   *   if (!err) stream.cancel(); // the pending read completes with operation_aborted
   * });
   * ```
   */
  cancel(): void {
    if (this.#state === 'closed') return;
    const op = this.#handshakeOp;
    if (op !== null) {
      this.abortOperation(op, CancellationType.terminal);
      return;
    }
    this.core.cancel();
  }

  /**
   * Closes the stream and the next layer under it at once: pending
   * operations complete with `operation_aborted`, later ones with
   * `bad_descriptor`. No close_notify is sent (use `asyncShutdown` first
   * for that). Closing a closed stream does nothing.
   *
   * @example
   * ```ts
   * stream.asyncReadSome(buf, (err) => {
   *   if (err) stream.close();
   * });
   * ```
   */
  close(): void {
    if (this.#state === 'closed') return;
    const wasHandshaking = this.#state === 'handshaking';
    this.#state = 'closed';
    this.context.tracker?.operation('socket', this, 'close');
    if (wasHandshaking) this.#abandon(this.#handshakeOp, OPERATION_ABORTED);
    this.#handshakeOp = null;
    this.#abandon(this.#shutdownOp, OPERATION_ABORTED);
    this.#shutdownOp = null;
    this.#unlisten();
    this.core.close();
    this.#tls = null;
    this.#next.close?.();
    if (this.#registered) {
      this.#registered = false;
      this.context.removeService(this.#service);
    }
  }

  /**
   * Closes the stream when a `using` declaration goes out of scope.
   *
   * @example
   * ```ts
   * using stream = new SslStream(socket, client);
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  // ---- initiation ----

  /** @internal */
  startHandshake(handler: Handler, type: HandshakeType): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(HandshakeOp).init(handler, allocator, this);
    ctx.startOperation(op, 'socket', this, 'async_handshake');
    if (this.#state !== 'idle') {
      ctx.enqueue(op.finish(this.#state === 'closed' ? new IoError('bad_descriptor') : new IoError('already_started', 'SslStream.asyncHandshake: a handshake was already started')));
      return;
    }
    const next = this.#next;
    const socket = next instanceof BasicStreamSocket && next.core.isOpen() ? next.core.lendSocket(this.#onNextClosed) : null;
    if (socket === null && next instanceof BasicStreamSocket && !next.core.isOpen()) {
      ctx.enqueue(op.finish(new IoError('not_connected', 'SslStream.asyncHandshake: the next layer is not open')));
      return;
    }
    this.#route = socket === null ? 'bridge' : 'native';
    const under: net.Socket | NextLayerDuplex = socket ?? new NextLayerDuplex(next, this.#onNextEnded);
    let tlsSocket: tls.TLSSocket;
    try {
      tlsSocket = this.#makeTlsSocket(under, type);
    } catch (err) {
      ctx.enqueue(op.finish(handshakeError(err)));
      return;
    }
    this.#tls = tlsSocket;
    this.#side = type;
    this.#state = 'handshaking';
    this.#handshakeOp = op;
    if (!this.#registered) {
      this.#registered = true;
      ctx.addService(this.#service);
    }
    tlsSocket.on(type === 'client' ? 'secureConnect' : 'secure', this.#onSecure);
    tlsSocket.on('error', this.#onError);
    tlsSocket.on('close', this.#onClose);
    tlsSocket.on('finish', this.#onFinish);
    tlsSocket.on('end', this.#onEnd);
    this.core.adoptTls(tlsSocket);
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
  }

  /** @internal */
  startShutdown(handler: Handler): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ShutdownOp).init(handler, allocator, this);
    ctx.startOperation(op, 'socket', this, 'async_shutdown');
    if (this.#state !== 'open') {
      ctx.enqueue(op.finish(this.#state === 'closed' ? new IoError('bad_descriptor') : new IoError('not_connected')));
      return;
    }
    if (this.#shutdownOp !== null) {
      ctx.enqueue(op.finish(new IoError('already_started', 'SslStream.asyncShutdown: a shutdown is already in progress')));
      return;
    }
    if (this.#tls!.writableFinished) {
      ctx.enqueue(op.finish(null));
      return;
    }
    this.#shutdownOp = op;
    try {
      this.core.shutdown('send', 'SslStream.asyncShutdown');
    } catch (err) {
      this.#shutdownOp = null;
      ctx.enqueue(op.finish(err instanceof IoError ? err : handshakeError(err)));
      return;
    }
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
  }

  /** @internal Withdraws a pending handshake (any type; the stream is closed) or shutdown (terminal only). */
  abortOperation(op: Operation, type: CancellationType): boolean {
    const handshake = this.#handshakeOp;
    if (handshake !== null && op === handshake) {
      this.#handshakeOp = null;
      this.context.enqueue(handshake.finish(OPERATION_ABORTED));
      this.close();
      return true;
    }
    const shutdown = this.#shutdownOp;
    if (shutdown !== null && op === shutdown && (type & CancellationType.terminal) !== 0) {
      this.#shutdownOp = null;
      this.context.enqueue(shutdown.finish(OPERATION_ABORTED));
      return true;
    }
    return false;
  }

  // ---- internals ----

  #makeTlsSocket(under: net.Socket | NextLayerDuplex, type: HandshakeType): tls.TLSSocket {
    const ssl = this.#ssl;
    if (type === 'client') {
      return tls.connect({
        socket: under,
        secureContext: ssl.secureContext,
        rejectUnauthorized: this.#rejectUnauthorized,
        ...(this.#servername === undefined ? {} : { servername: this.#servername }),
        ...(ssl.alpnProtocols === undefined ? {} : { ALPNProtocols: ssl.alpnProtocols }),
      });
    }
    return new tls.TLSSocket(under, {
      isServer: true,
      secureContext: ssl.secureContext,
      requestCert: ssl.requestCert,
      rejectUnauthorized: this.#rejectUnauthorized,
      ...(ssl.alpnProtocols === undefined ? {} : { ALPNProtocols: ssl.alpnProtocols }),
      ...(ssl.sniCallback === undefined ? {} : { SNICallback: ssl.sniCallback }),
    });
  }

  /**
   * At the end of a handshake: notes why the peer's certificate did not
   * verify, and returns the error to fail the handshake with when that
   * refuses the peer. Clients: node:tls has refused already (an error
   * instead of this event) unless `rejectUnauthorized` is off.
   */
  #checkPeer(): IoError | null {
    const t = this.#tls!;
    const server = this.#side === 'server';
    const code = server ? (this.#ssl.requestCert ? peerVerifyCode(t) : null) : t.authorized ? null : String(t.authorizationError);
    if (code === null) return null;
    const err = handshakeError(Object.assign(new Error(server ? 'the client certificate did not verify' : 'the server certificate did not verify'), { code }));
    this.#verifyError = err;
    return server && this.#rejectUnauthorized ? err : null;
  }

  #failHandshake(err: IoError): void {
    const op = this.#handshakeOp;
    this.#handshakeOp = null;
    this.#state = 'open'; // not handshaking any more; reads and writes see the sticky error
    if (op !== null) this.context.completeFromIo(op.finish(err));
  }

  /** Queues `op` (if any) with `err`, never invoking it here. */
  #abandon(op: StatusOp | null, err: IoError): void {
    if (op !== null) this.context.enqueue(op.finish(err));
  }

  #unlisten(): void {
    const t = this.#tls;
    if (t === null) return;
    t.removeListener('secureConnect', this.#onSecure);
    t.removeListener('secure', this.#onSecure);
    t.removeListener('error', this.#onError);
    t.removeListener('close', this.#onClose);
    t.removeListener('finish', this.#onFinish);
    t.removeListener('end', this.#onEnd);
  }

  /** Context shutdown: destroy the pending handshake and shutdown without invoking them, and close. */
  #destroyOps(): void {
    const h = this.#handshakeOp;
    const s = this.#shutdownOp;
    this.#handshakeOp = null;
    this.#shutdownOp = null;
    h?.destroy();
    s?.destroy();
    this.#registered = false;
    this.#state = 'closed';
    this.#unlisten();
    this.#tls?.destroy();
    this.#tls = null;
  }
}
