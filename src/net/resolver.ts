import { checkIoContext } from '../io-context/check-context.js';
import * as dns from 'node:dns';
import { getAssociatedAllocator } from '../associations/associate.js';
import { getAssociatedCancellationSlot } from '../associations/bind-cancellation-slot.js';
import type { CancellationType } from '../cancellation/cancellation-type.js';
import { OPERATION_ABORTED } from '../cancellation/operation-aborted.js';
import { fromNodeError } from '../errors/from-node-error.js';
import type { IoContext, IoService } from '../io-context/io-context.js';
import { OpQueue } from '../ops/op-queue.js';
import type { Operation } from '../ops/operation.js';
import { ResolveOp } from '../ops/resolve-op.js';
import { asyncInitiate } from '../tokens/async-initiate.js';
import type { CompletionResult, CompletionToken, Handler } from '../tokens/completion-token.js';
import { familyOf, type Endpoint } from './endpoint.js';
import { describeValue } from '../errors/describe-value.js';

/** Service names `asyncResolve` knows besides numeric ports. */
const wellKnownServices: Readonly<Record<string, number>> = {
  echo: 7,
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  https: 443,
};

function portOf(service: unknown): number {
  if (typeof service === 'number' && Number.isInteger(service) && service >= 0 && service <= 65535) return service;
  if (typeof service === 'string') {
    if (/^\d{1,5}$/.test(service)) {
      const port = Number(service);
      if (port <= 65535) return port;
    }
    const known = wellKnownServices[service];
    if (known !== undefined) return known;
  }
  throw new TypeError(`Resolver.asyncResolve: service must be a port number or one of ${Object.keys(wellKnownServices).join(', ')}, got ${describeValue(service)}`);
}

function initiateResolve(handler: Handler<[Endpoint[]]>, resolver: Resolver, host: string, port: number): void {
  resolver.startResolve(handler, host, port);
}

/**
 * Turns a host name and a service into endpoints, through Node's
 * `dns.lookup` (the system resolver, as asio's `getaddrinfo`). Lookups are
 * not on the zero-allocation path: each one hands Node a callback.
 *
 * @example
 * ```ts
 * const ctx = new IoContext();
 * const resolver = new Resolver(ctx);
 * resolver.asyncResolve('localhost', 'http', (err, endpoints) => {
 *   if (err) return console.error(err.code); // host_not_found, …
 *   for (const { address, port, family } of endpoints) console.log(family, address, port);
 * });
 * await ctx.run();
 * ```
 *
 * @category Stream sockets
 */
export class Resolver {
  /** The context whose run loop invokes this resolver's handlers. */
  readonly context: IoContext;
  readonly #pending = new OpQueue();
  #registered = false;

  readonly #service: IoService = {
    shutdown: (): void => {
      this.#registered = false;
      for (let op = this.#pending.shift(); op !== null; op = this.#pending.shift()) op.destroy();
    },
  };

  constructor(ctx: IoContext) {
    checkIoContext(ctx, 'Resolver');
    this.context = ctx;
  }

  /**
   * Resolves `host` (a name or an address literal) and `service` (a port
   * number, a numeric string, or a well-known name such as `'http'`).
   * Completion signature: `(err, endpoints)`, every address of the host with
   * the service's port, in the system's order; `host_not_found` for an
   * unknown name.
   *
   * Per-operation cancellation (a slot bound with `bindCancellationSlot`,
   * or an `AbortSignal` through `withAbortSignal`/`bindAbortSignal`):
   * terminal, partial and total. The handler gets `operation_aborted`; the
   * system lookup itself cannot be stopped, runs on, and its result is
   * discarded.
   *
   * @example
   * ```ts
   * const endpoints = await resolver.asyncResolve('example.com', 443, usePromise);
   * const socket = new TcpSocket(ctx);
   * await socket.asyncConnect(endpoints[0]!, usePromise);
   *
   * // Give up on a slow lookup after two seconds:
   * const found = await resolver.asyncResolve('example.com', 'https', withAbortSignal(AbortSignal.timeout(2000), usePromise));
   * ```
   */
  asyncResolve<T extends CompletionToken<[Endpoint[]]>>(host: string, service: string | number, token: T): CompletionResult<T, [Endpoint[]]> {
    if (typeof host !== 'string' || host.length === 0) throw new TypeError(`Resolver.asyncResolve: host must be a non-empty string, got ${describeValue(host)}`);
    const port = portOf(service);
    return asyncInitiate<[Endpoint[]], T, Resolver, string, number>(initiateResolve, token, this, host, port);
  }

  /** @internal The initiation behind `asyncResolve`. */
  startResolve(handler: Handler<[Endpoint[]]>, host: string, port: number): void {
    const ctx = this.context;
    const allocator = getAssociatedAllocator(handler, ctx.allocator);
    const op = allocator.allocate(ResolveOp<Endpoint>).init(handler, port, allocator, this);
    ctx.startOperation(op, 'resolver', this, 'async_resolve');
    this.#pending.push(op);
    if (!this.#registered) {
      this.#registered = true;
      ctx.addService(this.#service);
    }
    const sequence = op.sequence;
    dns.lookup(host, { all: true }, (error, addresses) => {
      this.#resolved(op, sequence, error, addresses);
    });
    const slot = getAssociatedCancellationSlot(handler);
    if (slot !== null) op.installSlot(slot);
  }

  /**
   * Withdraws one pending lookup with `operation_aborted`, queued (the
   * per-operation cancellation path; every type is honoured). Returns false
   * when `op` is not pending here.
   * @internal
   */
  abortOperation(op: Operation, _type: CancellationType): boolean {
    if (!(op instanceof ResolveOp) || !this.#pending.remove(op)) return false;
    this.context.enqueue(op.fail(OPERATION_ABORTED));
    return true;
  }

  /**
   * Aborts every pending lookup with `operation_aborted` (the lookups themselves run on).
   *
   * @example
   * ```ts
   * resolver.asyncResolve('slow.example', 80, (err) => {
   *   if (err?.code === 'operation_aborted') console.log('lookup abandoned');
   * });
   * resolver.cancel();
   * ```
   */
  cancel(): void {
    this.context.tracker?.operation('resolver', this, 'cancel');
    const aborted = OPERATION_ABORTED;
    for (let op = this.#pending.shift(); op !== null; op = this.#pending.shift()) {
      this.context.enqueue((op instanceof ResolveOp ? op : null)!.fail(aborted));
    }
  }

  /**
   * Cancels pending lookups when a `using` declaration goes out of scope, so `using` works: `[Symbol.dispose]()` is `cancel()`.
   *
   * @example
   * ```ts
   * using resolver = new Resolver(ctx);
   * ```
   */
  [Symbol.dispose](): void {
    this.cancel();
  }

  #resolved(op: ResolveOp<Endpoint>, sequence: number, error: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]): void {
    if (op.sequence !== sequence || !this.#pending.remove(op)) return;
    if (error) {
      op.fail(fromNodeError(error));
    } else {
      const port = op.port;
      op.finish(
        null,
        addresses.map((a) => ({ address: a.address, port, family: familyOf(a.family, a.address) })),
      );
    }
    this.context.completeFromIo(op);
  }
}
