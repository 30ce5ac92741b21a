/**
 * The reply side of RESP2, built for one gathered write at a time.
 *
 * Replies are encoded into 16 KiB chunks (reused once the write that took
 * them has completed), so a pipeline of ten thousand `+OK`s is a handful of
 * buffers, not ten thousand. Large values and pub/sub messages are not
 * copied: the stored (immutable) Buffer itself goes into the write, between
 * the chunk slices around it. {@link ReplyWriter.take} hands everything
 * encoded so far to one `asyncWrite(socket, parts)`.
 */

const CHUNK_SIZE = 16 * 1024;
/** Bulk values at least this long are referenced in the write rather than copied into a chunk. */
const REFERENCE_AT = 2048;
const SPARE_CHUNKS = 4;
/** Replies and values up to this long are copied byte by byte rather than through Buffer.write or set. */
const SHORT = 32;

const CRLF = Buffer.from('\r\n');
const NIL = Buffer.from('$-1\r\n');
const NIL_ARRAY = Buffer.from('*-1\r\n');

export class ReplyWriter {
  #chunk: Buffer = Buffer.allocUnsafe(CHUNK_SIZE);
  /** Where the bytes of `#chunk` not yet handed to `#parts` start. */
  #from = 0;
  #at = 0;
  #parts: Uint8Array[] = [];
  #takenParts: Uint8Array[] = [];
  /** Full chunks whose bytes are in `#parts` (they return to `#spare` once written). */
  #filled: Buffer[] = [];
  #inFlight: Buffer[] = [];
  #spare: Buffer[] = [];
  #partsBytes = 0;

  /** Bytes encoded and not yet taken. */
  get pendingBytes(): number {
    return this.#partsBytes + this.#at - this.#from;
  }

  /** `+text\r\n` (text must hold no CR or LF). */
  simple(text: string): void {
    this.#text(`+${text}\r\n`);
  }

  /** `-text\r\n`: `text` starts with the error code (`ERR`, `WRONGTYPE`…); line ends in it become spaces. */
  error(text: string): void {
    this.#text(`-${text.replace(/[\r\n]+/g, ' ')}\r\n`);
  }

  /** `:n\r\n`. */
  integer(n: number | bigint): void {
    this.#text(`:${n.toString()}\r\n`);
  }

  /** `$len\r\nbytes\r\n`, or the nil bulk `$-1` for null. The bytes must not change until written. */
  bulk(value: Uint8Array | null): void {
    if (value === null) {
      this.#bytes(NIL);
      return;
    }
    this.#text(`$${value.length}\r\n`);
    if (value.length >= REFERENCE_AT) {
      this.reference(value);
      this.#bytes(CRLF);
    } else {
      this.#bytes(value);
      this.#bytes(CRLF);
    }
  }

  /** A bulk string from text whose characters are bytes (keys and names are kept as latin1 strings). */
  bulkText(text: string): void {
    const length = Buffer.byteLength(text, 'latin1');
    this.#text(`$${length}\r\n`);
    this.#text(text);
    this.#bytes(CRLF);
  }

  /** `*n\r\n`: the header of an array of `n` replies that follow. */
  array(n: number): void {
    this.#text(`*${n}\r\n`);
  }

  /** The nil array `*-1`. */
  nilArray(): void {
    this.#bytes(NIL_ARRAY);
  }

  /** Already-encoded RESP bytes, written as they are (not copied; they must not change until written). */
  reference(bytes: Uint8Array): void {
    this.#seal();
    this.#parts.push(bytes);
    this.#partsBytes += bytes.length;
  }

  /**
   * Everything encoded so far, for one gathered write; the writer keeps the
   * chunks it used until {@link written} says the write has completed.
   */
  take(): Uint8Array[] {
    this.#seal();
    const parts = this.#parts;
    this.#parts = this.#takenParts;
    this.#takenParts = parts;
    this.#partsBytes = 0;
    const filled = this.#filled;
    this.#filled = this.#inFlight;
    this.#inFlight = filled;
    return parts;
  }

  /** The write of the last `take()` has completed: its parts array and chunks may be reused. */
  written(): void {
    this.#takenParts.length = 0;
    for (const chunk of this.#inFlight) if (this.#spare.length < SPARE_CHUNKS) this.#spare.push(chunk);
    this.#inFlight.length = 0;
    // Nothing of the current chunk is waiting or in flight: start it over.
    if (this.#from === this.#at && this.#parts.length === 0) this.#from = this.#at = 0;
  }

  /** Moves the encoded bytes of the current chunk into the parts. */
  #seal(): void {
    if (this.#at > this.#from) {
      this.#parts.push(this.#chunk.subarray(this.#from, this.#at));
      this.#partsBytes += this.#at - this.#from;
      this.#from = this.#at;
    }
  }

  /** Room for `n` more bytes in the current chunk, starting a new chunk if needed; false if `n` can never fit. */
  #room(n: number): boolean {
    if (CHUNK_SIZE - this.#at >= n) return true;
    this.#seal();
    this.#filled.push(this.#chunk);
    this.#chunk = this.#spare.pop() ?? Buffer.allocUnsafe(CHUNK_SIZE);
    this.#from = this.#at = 0;
    return n <= CHUNK_SIZE;
  }

  #text(text: string): void {
    const length = text.length; // latin1: one byte per character
    if (!this.#room(length)) {
      this.reference(Buffer.from(text, 'latin1'));
      return;
    }
    if (length <= SHORT) {
      // Most replies are a few bytes: a loop here is cheaper than a call into Buffer.write.
      const chunk = this.#chunk;
      const at = this.#at;
      for (let i = 0; i < length; i++) chunk[at + i] = text.charCodeAt(i);
      this.#at = at + length;
      return;
    }
    this.#at += this.#chunk.write(text, this.#at, length, 'latin1');
  }

  #bytes(bytes: Uint8Array): void {
    const length = bytes.length;
    if (!this.#room(length)) {
      this.reference(Buffer.from(bytes));
      return;
    }
    if (length <= SHORT) {
      const chunk = this.#chunk;
      const at = this.#at;
      for (let i = 0; i < length; i++) chunk[at + i] = bytes[i]!;
      this.#at = at + length;
      return;
    }
    this.#chunk.set(bytes, this.#at);
    this.#at += length;
  }
}
