/**
 * @internal Whether `buf` views an ArrayBuffer that has been transferred away
 * (detached): its length reads 0 and nothing can be stored in it. Only
 * zero-length views are probed (a detached view always reads as empty), so a
 * non-empty buffer costs one comparison.
 */
export function isDetached(buf: Uint8Array): boolean {
  if (buf.byteLength !== 0) return false;
  try {
    // Viewing a detached ArrayBuffer throws; a live empty one does not.
    return new Uint8Array(buf.buffer, 0, 0).byteLength !== 0;
  } catch {
    return true;
  }
}

/** @internal Throws a TypeError for a detached buffer. */
export function checkNotDetached(buf: Uint8Array, what: string): void {
  if (isDetached(buf)) throw new TypeError(`${what}: the buffer's ArrayBuffer is detached (transferred away)`);
}
