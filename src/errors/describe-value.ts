/**
 * @internal How a bad argument is named in a TypeError: its type, and its
 * value where short (`got string "100"`, not `got 100`): `undefined`,
 * `null`, `number NaN`, `string "80"`, `boolean true`, `bigint 5`,
 * `symbol Symbol(x)`, `function onRead`, `array of length 2`, `object`
 * (a plain object) or a class instance's constructor name (`Promise`).
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    case 'symbol':
      return `symbol ${value.toString()}`;
    case 'function':
      return value.name === '' ? 'function' : `function ${value.name}`;
    case 'object': {
      if (Array.isArray(value)) return `array of length ${value.length}`;
      const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
      if (proto === null || proto === Object.prototype) return 'object';
      const name = proto.constructor?.name;
      return typeof name === 'string' && name !== '' ? name : 'object';
    }
    default:
      return typeof value;
  }
}
