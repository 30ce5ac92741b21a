/**
 * One client connection. Two chains share the session's `HandlerAllocator`:
 *
 * - reading: `asyncReadSome` into the free space of a bounded
 *   `DynamicBuffer` → parse and run every whole command in it (a pipeline
 *   of any length is answered in order) → read again;
 * - writing: one gathered `asyncWrite` of every reply encoded so far; the
 *   replies of commands that run while it is in flight (and pub/sub
 *   messages) wait in the `ReplyWriter` and go out together in the next
 *   one. More than `--output-limit` bytes waiting means the client is not
 *   reading its replies: it is disconnected, as Redis does.
 */
import {
  DynamicBuffer,
  HandlerAllocator,
  SteadyTimer,
  asyncWrite,
  makeCustomAllocHandler,
  type IoError,
  type TcpSocket,
} from '../../src/index.js';
import type { Client } from './command.js';
import { execute } from './command-table.js';
import { unsubscribeAll } from './pubsub-commands.js';
import { ReplyWriter } from './reply-writer.js';
import { MAX_LINE, ParseStatus, RespParser } from './resp-parser.js';
import type { MiniRedis } from './mini-redis.js';

/** How much a read asks for when no long bulk string is on its way. */
const READ_SIZE = 64 * 1024;
/** Redis's client-query-buffer-limit: the most unparsed bytes a client may have sent. */
const QUERY_LIMIT = 1024 * 1024 * 1024;
/** How long a closing session may take to receive its last replies. */
const GRACE_MS = 1000;

/** `host:port` of the peer, or `?` if the connection is already gone. */
function describePeer(socket: TcpSocket): string {
  try {
    const remote = socket.remoteEndpoint();
    return `${remote.address}:${remote.port}`;
  } catch {
    return '?';
  }
}

export class Session implements Client {
  readonly id: number;
  name: string | null = null;
  readonly reply = new ReplyWriter();
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly address: string;
  readonly #server: MiniRedis;
  readonly #socket: TcpSocket;
  readonly #input: DynamicBuffer;
  readonly #parser: RespParser;
  readonly #memory = new HandlerAllocator();
  #writing = false;
  /** No more commands are read; the session ends once its replies are written (or the grace timer fires). */
  #closing = false;
  #closed = false;
  #grace: SteadyTimer | null = null;
  readonly #onRead: (err: IoError | null, n: number) => void;
  readonly #onWritten: (err: IoError | null, n: number) => void;

  constructor(server: MiniRedis, socket: TcpSocket, id: number) {
    this.#server = server;
    this.#socket = socket;
    this.id = id;
    this.address = describePeer(socket);
    this.#parser = new RespParser(server.options.maxBulk);
    this.#input = new DynamicBuffer(Math.max(QUERY_LIMIT, server.options.maxBulk + 2 * MAX_LINE));
    // Bound once: every read and write of this session allocates its
    // operation from the session's own memory.
    this.#onRead = makeCustomAllocHandler(this.#memory, (err: IoError | null, n: number): void => {
      this.#received(err, n);
    });
    this.#onWritten = makeCustomAllocHandler(this.#memory, (err: IoError | null): void => {
      this.#written(err);
    });
  }

  start(): void {
    this.#read();
  }

  /** A pub/sub message for this client: sent with the next write (the bytes are shared with other subscribers). */
  deliver(message: Buffer): void {
    if (this.#closing) return;
    this.reply.reference(message);
    if (this.#writing) this.#checkOutputLimit();
    else this.#flush();
  }

  closeAfterReplies(): void {
    if (this.#closing) return;
    this.#closing = true;
    const grace = new SteadyTimer(this.#server.ctx);
    grace.expiresAfter(GRACE_MS);
    grace.asyncWait((err) => {
      if (err === null) this.#end();
    });
    this.#grace = grace;
  }

  /** Server shutdown: write what is owed, then close. */
  shutdown(): void {
    this.closeAfterReplies();
    this.#flush();
  }

  #read(): void {
    const free = this.#input.maxSize - this.#input.size;
    if (free === 0) {
      console.log(`client ${this.address} reached the query buffer limit (${this.#input.maxSize} bytes): disconnecting`);
      this.#end();
      return;
    }
    const want = Math.min(free, Math.max(READ_SIZE, this.#parser.needed - this.#input.size));
    this.#socket.asyncReadSome(this.#input.prepare(want), this.#onRead);
  }

  #received(err: IoError | null, n: number): void {
    if (this.#closed) return;
    if (err !== null) {
      this.#end(); // eof, a reset, or the socket closed by #end
      return;
    }
    this.#input.commit(n);
    this.#runCommands();
    if (this.#closed) return;
    if (!this.#closing) this.#read();
    this.#flush();
  }

  /** Runs every whole command in the input, in order; what is left is the start of the next one. */
  #runCommands(): void {
    const data = this.#input.data();
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
    const parser = this.#parser;
    let at = 0;
    while (at < bytes.length && !this.#closing) {
      if (bytes.length - at < parser.needed) break; // a long bulk string is still arriving
      const status = parser.parse(bytes, at);
      if (status === ParseStatus.Incomplete) break;
      if (status === ParseStatus.Error) {
        this.#server.stats.protocolErrors++;
        this.reply.error(parser.error);
        this.closeAfterReplies();
        at = bytes.length;
        break;
      }
      if (status === ParseStatus.Command) execute(this, parser.args, this.#server);
      at += parser.length;
      if (this.#writing && this.#checkOutputLimit()) return;
    }
    this.#input.consume(at);
  }

  /** True (and the client disconnected) if more replies wait than the output limit allows. */
  #checkOutputLimit(): boolean {
    const waiting = this.reply.pendingBytes;
    if (waiting <= this.#server.options.outputLimit) return false;
    console.log(`client ${this.address} has ${waiting} bytes of replies waiting (limit ${this.#server.options.outputLimit}): disconnecting`);
    this.#server.stats.outputLimitDisconnects++;
    this.#end();
    return true;
  }

  /** Starts one gathered write of every reply waiting, unless one is in flight. */
  #flush(): void {
    if (this.#writing || this.#closed) return;
    if (this.reply.pendingBytes === 0) {
      if (this.#closing) this.#end();
      return;
    }
    this.#writing = true;
    asyncWrite(this.#socket, this.reply.take(), this.#onWritten);
  }

  #written(err: IoError | null): void {
    this.#writing = false;
    this.reply.written();
    if (this.#closed) return;
    if (err !== null) {
      this.#end();
      return;
    }
    this.#flush();
  }

  /** Ends the session: closing the socket aborts its pending read and write, whose handlers then return early. */
  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = true;
    this.#grace?.cancel();
    unsubscribeAll(this, this.#server);
    this.#socket.close();
    this.#server.sessionEnded(this, this.#memory.stats());
  }
}
