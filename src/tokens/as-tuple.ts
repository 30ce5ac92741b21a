import { carryAssociations } from '../associations/carry-associations.js';
import type { IoError } from '../errors/io-error.js';
import { launchThrough } from './async-initiate.js';
import type { AsTuple, Handler, Initiation, TokenAdapter, UsePromise } from './completion-token.js';
import { usePromise } from './use-promise.js';
import { describeValue } from '../errors/describe-value.js';

/**
 * Adapts a token so the operation reports one value, `[err, ...results]`,
 * and never fails: like asio's `as_tuple(token)`. With `usePromise` the
 * promise resolves with the tuple and never rejects; any other token
 * (`withAbortSignal(…)`, `cancelAfter(…)`, `detached`, a callback, which then
 * gets `(null, [err, ...results])`) receives the tuple as its one result.
 * Adapters nest in either order: `asTuple(withAbortSignal(s, usePromise))`
 * and `withAbortSignal(s, asTuple(usePromise))` do the same.
 *
 * @example
 * ```ts
 * const [err, n] = await socket.asyncReadSome(buf, asTuple(usePromise));
 * if (err?.code === 'eof') …
 * const [err2] = await timer.asyncWait(asTuple(cancelAfter(100, usePromise)));
 * ```
 *
 * @category Tokens
 */
export function asTuple<Inner = UsePromise>(token: Inner = usePromise as Inner): AsTuple<Inner> {
  if (token === usePromise) return tupleToken as AsTuple<Inner>;
  if (typeof token !== 'function' && (typeof token !== 'object' || token === null || typeof (token as Partial<TokenAdapter>).launch !== 'function')) {
    throw new TypeError(`asTuple: expected a completion token such as usePromise, got ${describeValue(token)}`);
  }
  return new TupleToken(token);
}

/** Calls `handler` once with `[err, ...results]` as its one result. */
function tupleHandler<R extends unknown[]>(handler: Handler<[unknown[]]>): Handler<R> {
  const tupled = (err: IoError | null, ...results: R): void => {
    handler(null, [err ?? null, ...results]);
  };
  carryAssociations(handler, tupled);
  return tupled;
}

class TupleToken<Inner> implements AsTuple<Inner> {
  readonly kind = 'tuple' as const;
  readonly inner: Inner;

  constructor(inner: Inner) {
    this.inner = inner;
  }

  launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): unknown {
    const initiateTupled = (handler: Handler<[unknown[]]>, a2: A, b2: B, c2: C): void => {
      initiation(tupleHandler<R>(handler), a2, b2, c2);
    };
    return launchThrough(initiateTupled, this.inner, a, b, c);
  }
}

// `asTuple(usePromise)`, the common case, is one frozen token resolving the tuple directly.
const tupleToken: AsTuple = Object.freeze({
  kind: 'tuple' as const,
  inner: usePromise,
  launch<R extends unknown[], A, B, C>(initiation: Initiation<R, A, B, C>, a: A, b: B, c: C): Promise<unknown> {
    return new Promise<unknown>((resolve) => {
      initiation(
        (err: IoError | null, ...results: R) => {
          resolve([err ?? null, ...results]);
        },
        a,
        b,
        c,
      );
    });
  },
});
