/**
 * The request side of RESP2: multibulk frames (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`,
 * what every client library sends) and inline commands (`GET k\r\n`, what a
 * person types into `nc`), parsed in place from the bytes a session has read.
 *
 * No byte is copied and nothing is allocated per byte: lengths are parsed
 * from the bytes, line ends are found with `indexOf`, and each argument is
 * a view (`subarray`) of the input. The views are valid until the input is
 * consumed, so a command that keeps an argument (SET keeps its value) copies it.
 */

/** What {@link RespParser.parse} found at the start of the bytes given. */
export enum ParseStatus {
  /** A whole command: its arguments are in `args`, and it took `length` bytes. */
  Command,
  /** Bytes that carry no command (an empty inline line, `*0`, `*-1`): skip `length` bytes. */
  Skip,
  /** Not enough bytes yet: at least `needed` bytes from the start are wanted. */
  Incomplete,
  /** Not RESP: `error` says why (Redis's own words). The connection should be closed. */
  Error,
}

/** Redis's PROTO_INLINE_MAX_SIZE: the longest inline command or length line. */
export const MAX_LINE = 64 * 1024;
/** The most arguments one multibulk command may have (Redis's limit). */
export const MAX_ARGUMENTS = 1024 * 1024;

const CR = 13;
const LF = 10;
const DOLLAR = 36;
const STAR = 42;
const MINUS = 45;
const ZERO = 48;

/**
 * Parses one command at a time; the fields it sets are reused from command
 * to command, so a steady stream of commands allocates only the argument views.
 */
export class RespParser {
  /** The arguments of the last command parsed (name first); reused by the next parse. */
  readonly args: Buffer[] = [];
  /** Bytes taken by the last command or skipped bytes. */
  length = 0;
  /** With `Incomplete`: the fewest bytes, from the command's start, that can complete it. */
  needed = 0;
  /** With `Error`: the reply text, without the leading `-`. */
  error = '';
  readonly #maxBulk: number;

  /** @param maxBulk - the longest bulk string accepted (Redis's proto-max-bulk-len). */
  constructor(maxBulk: number) {
    this.#maxBulk = maxBulk;
  }

  /** Parses the command that starts at `input[start]`. */
  parse(input: Buffer, start: number): ParseStatus {
    this.args.length = 0;
    if (input[start] === STAR) return this.#multibulk(input, start);
    return this.#inline(input, start);
  }

  #multibulk(input: Buffer, start: number): ParseStatus {
    const countEnd = this.#lineEnd(input, start);
    if (countEnd < 0) return this.#lineMissing(input, start, start, 'too big mbulk count string');
    const count = parseLength(input, start + 1, countEnd);
    if (count === null || count > MAX_ARGUMENTS) return this.#fail('invalid multibulk length');
    let pos = countEnd + 2;
    if (count <= 0) return this.#skip(pos - start);
    for (let i = 0; i < count; i++) {
      if (pos >= input.length) return this.#incomplete(pos + 3 - start);
      if (input[pos] !== DOLLAR) return this.#fail(`expected '$', got '${String.fromCharCode(input[pos]!)}'`);
      const lengthEnd = this.#lineEnd(input, pos);
      if (lengthEnd < 0) return this.#lineMissing(input, start, pos, 'too big bulk count string');
      const length = parseLength(input, pos + 1, lengthEnd);
      if (length === null || length < 0 || length > this.#maxBulk) return this.#fail('invalid bulk length');
      const dataStart = lengthEnd + 2;
      // As Redis, the two bytes after the data are taken as the CRLF without looking at them.
      if (dataStart + length + 2 > input.length) return this.#incomplete(dataStart + length + 2 - start);
      this.args.push(input.subarray(dataStart, dataStart + length));
      pos = dataStart + length + 2;
    }
    this.length = pos - start;
    this.needed = 0;
    return ParseStatus.Command;
  }

  #inline(input: Buffer, start: number): ParseStatus {
    const newline = input.indexOf(LF, start);
    if (newline < 0) {
      if (input.length - start > MAX_LINE) return this.#fail('too big inline request');
      return this.#incomplete(input.length - start + 1);
    }
    const lineEnd = newline > start && input[newline - 1] === CR ? newline - 1 : newline;
    if (!splitInline(input, start, lineEnd, this.args)) return this.#fail('unbalanced quotes in request');
    this.length = newline + 1 - start;
    this.needed = 0;
    return this.args.length === 0 ? ParseStatus.Skip : ParseStatus.Command;
  }

  /** Where the CR of the line starting at `from` is, or -1 when its CRLF has not arrived. */
  #lineEnd(input: Buffer, from: number): number {
    const cr = input.indexOf(CR, from);
    if (cr < 0 || cr + 1 >= input.length) return -1;
    return cr;
  }

  /** A length line without its CRLF yet: wait for one more byte, unless the line is already too long. */
  #lineMissing(input: Buffer, start: number, lineStart: number, tooBig: string): ParseStatus {
    if (input.length - lineStart > MAX_LINE) return this.#fail(tooBig);
    return this.#incomplete(input.length - start + 1);
  }

  #incomplete(needed: number): ParseStatus {
    this.needed = needed;
    return ParseStatus.Incomplete;
  }

  #skip(length: number): ParseStatus {
    this.length = length;
    this.needed = 0;
    return ParseStatus.Skip;
  }

  #fail(reason: string): ParseStatus {
    this.error = `ERR Protocol error: ${reason}`;
    return ParseStatus.Error;
  }
}

/** A decimal length from `input[from, to)`: an optional `-` then digits; null if anything else (or too long). */
function parseLength(input: Buffer, from: number, to: number): number | null {
  let pos = from;
  const negative = input[pos] === MINUS;
  if (negative) pos++;
  if (pos >= to || to - pos > 15) return null;
  let value = 0;
  for (; pos < to; pos++) {
    const digit = input[pos]! - ZERO;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

const SPACE = 32;
const QUOTE = 34;
const APOSTROPHE = 39;
const BACKSLASH = 92;

function isSpace(c: number | undefined): boolean {
  return c === SPACE || c === 9 || c === LF || c === CR || c === 11 || c === 12;
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const ESCAPES: Readonly<Record<number, number>> = { 110: LF, 114: CR, 116: 9, 98: 8, 97: 7 };

/**
 * Splits an inline command as Redis's `sdssplitargs` does: words separated
 * by spaces, `"double quotes"` with `\n \r \t \b \a \xHH` escapes, and
 * `'single quotes'` where only `\'` is an escape. A closing quote must be
 * followed by a space or the end of the line. False for unbalanced quotes.
 */
function splitInline(input: Buffer, from: number, to: number, args: Buffer[]): boolean {
  let pos = from;
  for (;;) {
    while (pos < to && isSpace(input[pos])) pos++;
    if (pos >= to) return true;
    const first = input[pos];
    if (first !== QUOTE && first !== APOSTROPHE) {
      const wordStart = pos;
      while (pos < to && !isSpace(input[pos])) pos++;
      args.push(input.subarray(wordStart, pos));
      continue;
    }
    const bytes: number[] = [];
    pos++;
    let closed = false;
    while (pos < to) {
      const c = input[pos]!;
      if (first === QUOTE && c === BACKSLASH && input[pos + 1] === 120 && pos + 3 < to && hexValue(input[pos + 2]) >= 0 && hexValue(input[pos + 3]) >= 0) {
        bytes.push(hexValue(input[pos + 2]) * 16 + hexValue(input[pos + 3]));
        pos += 4;
      } else if (c === BACKSLASH && pos + 1 < to && (first === QUOTE || input[pos + 1] === APOSTROPHE)) {
        const next = input[pos + 1]!;
        bytes.push(first === QUOTE ? (ESCAPES[next] ?? next) : next);
        pos += 2;
      } else if (c === first) {
        pos++;
        if (pos < to && !isSpace(input[pos])) return false;
        closed = true;
        break;
      } else {
        bytes.push(c);
        pos++;
      }
    }
    if (!closed) return false;
    args.push(Buffer.from(bytes));
  }
}
