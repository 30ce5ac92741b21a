/** @internal Whether `a` and `b` view the same bytes of the same memory (not merely equal contents). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a === b || (a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength);
}
