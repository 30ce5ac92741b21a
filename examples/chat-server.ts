/**
 * A line-based chat server with rooms.
 *
 * What it shows:
 * - `asyncReadUntil` reading one line at a time into a bounded
 *   `DynamicBuffer` (a line longer than `--max-line` ends the session);
 * - broadcasting: each line a client sends goes to everyone else in its
 *   room, as one shared, immutable buffer;
 * - a write queue per session, so a slow reader never stalls anyone else:
 *   one gathered `asyncWrite` is in flight per client, and whatever arrives
 *   meanwhile waits in that client's queue. A client whose queue grows past
 *   `--max-queue` bytes has fallen too far behind: it is told so and
 *   disconnected, and its room is told why;
 * - a full-duplex session on one `HandlerAllocator`: the read chain and the
 *   write chain use different operation kinds, so each finds its own slot
 *   free and neither allocates once warm;
 * - graceful shutdown with a `SignalSet`: on SIGINT or SIGTERM the server
 *   stops accepting, says goodbye to every client (giving each at most
 *   `--grace` ms to take it), and `run()` returns once nothing is left.
 *
 * Commands a client can type: `/join <room>`, `/nick <name>`, `/who`,
 * `/rooms`, `/quit`, `/help`. Anything else is said to the room. A room
 * name (after an optional leading `#`) and a nickname are 1 to 32 letters,
 * digits, `_` or `-`, and the argument is the whole rest of the line: an
 * invalid one (`/join bad room!`) is refused with a message, and the client
 * stays where it was.
 *
 * Run it:   npm run example -- chat-server [--port 5556] [--host 127.0.0.1]
 *                 [--max-queue 1048576] [--max-line 4096] [--grace 1000]
 * Try it:   nc 127.0.0.1 5556        (in two terminals; type /join test in both)
 */
import {
  DynamicBuffer,
  HandlerAllocator,
  IoContext,
  SignalSet,
  SteadyTimer,
  TcpAcceptor,
  asyncReadUntil,
  asyncWrite,
  makeCustomAllocHandler,
  type IoError,
  type TcpSocket,
} from '../src/index.js';

interface Options {
  host: string;
  port: number;
  /** Bytes a client may have waiting for it (beyond the write in flight) before it is dropped. */
  maxQueue: number;
  /** The longest line a client may send, delimiter included. */
  maxLine: number;
  /** How long a closing session may take to receive its last message. */
  grace: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { host: '127.0.0.1', port: 5556, maxQueue: 1 << 20, maxLine: 4096, grace: 1000 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`missing value after ${String(flag)}`);
    if (flag === '--host') options.host = value;
    else if (flag === '--port') options.port = Number(value);
    else if (flag === '--max-queue') options.maxQueue = Number(value);
    else if (flag === '--max-line') options.maxLine = Number(value);
    else if (flag === '--grace') options.grace = Number(value);
    else throw new Error(`unknown argument: ${String(flag)} (use --host --port --max-queue --max-line --grace)`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
  for (const [name, value] of [
    ['--max-queue', options.maxQueue],
    ['--max-line', options.maxLine],
    ['--grace', options.grace],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  }
  return options;
}

const HELP = '* commands: /join <room>, /nick <name>, /who, /rooms, /quit, /help\n';
/** What a room name and a nickname may be. */
const NAME = /^[A-Za-z0-9_-]{1,32}$/;
const NAME_RULE = '1 to 32 letters, digits, _ or -';

/** Splits `/command the rest` into the command and the whole rest of the line (trimmed). */
function splitCommand(line: string): { command: string; argument: string } {
  const text = line.slice(1).trim();
  const space = text.search(/\s/);
  if (space < 0) return { command: text, argument: '' };
  return { command: text.slice(0, space), argument: text.slice(space).trim() };
}

/** Everything the sessions share: the rooms, the taken nicknames, the options. */
class ChatServer {
  readonly rooms = new Map<string, Set<Session>>();
  readonly sessions = new Set<Session>();
  /** Sessions served, and what their handler allocators reported when they ended. */
  readonly totals = { sessions: 0, allocations: 0, fallbacks: 0 };
  readonly options: Options;
  readonly ctx: IoContext;
  #nextId = 1;

  constructor(ctx: IoContext, options: Options) {
    this.ctx = ctx;
    this.options = options;
  }

  nextGuestName(): string {
    for (;;) {
      const name = `guest${this.#nextId++}`;
      if (!this.nickTaken(name)) return name;
    }
  }

  nickTaken(nick: string): boolean {
    for (const s of this.sessions) if (s.nick === nick) return true;
    return false;
  }

  /** Sends `text` to every member of `room` except `except`. The buffer is shared by all of them. */
  broadcast(room: string, text: string, except: Session | null): void {
    const members = this.rooms.get(room);
    if (members === undefined) return;
    const message = Buffer.from(text);
    for (const member of members) if (member !== except) member.deliver(message);
  }

  enter(session: Session, room: string): void {
    let members = this.rooms.get(room);
    if (members === undefined) {
      members = new Set();
      this.rooms.set(room, members);
    }
    members.add(session);
  }

  leave(session: Session, room: string): void {
    const members = this.rooms.get(room);
    if (members === undefined) return;
    members.delete(session);
    if (members.size === 0) this.rooms.delete(room);
  }
}

/**
 * One client. Two chains run at once on the same `HandlerAllocator`:
 * read a line → handle it → read the next line; and write whatever is
 * queued → write what was queued meanwhile → ….
 */
class Session {
  nick: string;
  room = 'lobby';
  readonly #server: ChatServer;
  readonly #socket: TcpSocket;
  readonly #lines: DynamicBuffer;
  readonly #memory = new HandlerAllocator();
  /** Messages waiting for the write in flight to finish. */
  #queued: Uint8Array[] = [];
  #queuedBytes = 0;
  /** The messages of the write in flight (untouched until its handler runs). */
  #inFlight: Uint8Array[] = [];
  #writing = false;
  /** A last message has been queued; the session ends once it is written or the grace timer fires. */
  #closing = false;
  #closed = false;
  /** How the room hears about the end of the session (default: `left #room`). */
  #leaveReason: string | null = null;
  #grace: SteadyTimer | null = null;
  readonly #onLine: (err: IoError | null, n: number) => void;
  readonly #onWritten: (err: IoError | null, n: number) => void;

  constructor(server: ChatServer, socket: TcpSocket) {
    this.#server = server;
    this.#socket = socket;
    this.#lines = new DynamicBuffer(server.options.maxLine);
    this.nick = server.nextGuestName();
    // Bound once: every read and write of this session allocates its
    // operation from the session's own memory.
    this.#onLine = makeCustomAllocHandler(this.#memory, (err: IoError | null, n: number): void => {
      this.#lineArrived(err, n);
    });
    this.#onWritten = makeCustomAllocHandler(this.#memory, (err: IoError | null): void => {
      this.#written(err);
    });
  }

  start(): void {
    this.#server.sessions.add(this);
    this.#server.enter(this, this.room);
    this.deliver(Buffer.from(`* welcome, ${this.nick}; you are in #${this.room}\n${HELP}`));
    this.#server.broadcast(this.room, `* ${this.nick} joined #${this.room}\n`, this);
    this.#readLine();
  }

  /** Queues `message` for this client; drops the client if it has fallen too far behind. */
  deliver(message: Uint8Array): void {
    if (this.#closing || this.#closed) return;
    this.#queued.push(message);
    this.#queuedBytes += message.length;
    if (this.#queuedBytes > this.#server.options.maxQueue) {
      const behind = this.#queuedBytes;
      this.#queued.length = 0;
      this.#queuedBytes = 0;
      console.log(`${this.nick} fell too far behind (${behind} bytes queued): disconnecting`);
      this.#leaveReason = 'was disconnected: too far behind';
      this.close(`* you fell too far behind (${behind} bytes queued); disconnecting\n`);
      return;
    }
    if (!this.#writing) this.#flush();
  }

  /**
   * Sends `farewell` after what is queued, then ends the session; a client
   * that does not take it within the grace period is cut off.
   */
  close(farewell: string): void {
    if (this.#closing || this.#closed) return;
    this.#queued.push(Buffer.from(farewell));
    this.#closing = true;
    const grace = new SteadyTimer(this.#server.ctx);
    grace.expiresAfter(this.#server.options.grace);
    grace.asyncWait((err) => {
      if (err === null) this.#end();
    });
    this.#grace = grace;
    if (!this.#writing) this.#flush();
  }

  #readLine(): void {
    asyncReadUntil(this.#socket, this.#lines, '\n', this.#onLine);
  }

  #lineArrived(err: IoError | null, n: number): void {
    if (this.#closed) return;
    if (err !== null) {
      if (err.code === 'not_found') {
        this.#leaveReason = 'was disconnected: line too long';
        this.close(`* line longer than ${this.#server.options.maxLine} bytes; disconnecting\n`);
      } else {
        this.#end(); // eof, reset, or the socket was closed by #end
      }
      return;
    }
    const data = this.#lines.data();
    const line = Buffer.from(data.buffer, data.byteOffset, n).toString('utf8').replace(/\r?\n$/, '');
    this.#lines.consume(n);
    this.#handle(line);
    if (!this.#closing && !this.#closed) this.#readLine();
  }

  #handle(line: string): void {
    if (!line.startsWith('/')) {
      if (line.length > 0) this.#server.broadcast(this.room, `[${this.room}] ${this.nick}: ${line}\n`, this);
      return;
    }
    const reply = this.#command(line);
    if (reply !== null) this.deliver(Buffer.from(reply));
  }

  /** Runs a `/command`; returns what to tell this client, if anything. */
  #command(line: string): string | null {
    const server = this.#server;
    const { command, argument } = splitCommand(line);
    switch (command) {
      case 'join': {
        const room = argument.replace(/^#/, '');
        if (room === '') return `* usage: /join <room> (${NAME_RULE})\n`;
        if (!NAME.test(room)) return `* invalid room name ${JSON.stringify(room)}: a room name is ${NAME_RULE}; you are still in #${this.room}\n`;
        if (room === this.room) return `* you are already in #${room}\n`;
        server.leave(this, this.room);
        server.broadcast(this.room, `* ${this.nick} left #${this.room}\n`, this);
        this.room = room;
        server.enter(this, room);
        server.broadcast(room, `* ${this.nick} joined #${room}\n`, this);
        return `* you are in #${room} (${server.rooms.get(room)?.size ?? 1} here)\n`;
      }
      case 'nick': {
        if (argument === '') return `* usage: /nick <name> (${NAME_RULE})\n`;
        if (!NAME.test(argument)) return `* invalid nickname ${JSON.stringify(argument)}: a nickname is ${NAME_RULE}; you are still ${this.nick}\n`;
        if (server.nickTaken(argument)) return `* ${argument} is taken\n`;
        server.broadcast(this.room, `* ${this.nick} is now ${argument}\n`, this);
        this.nick = argument;
        return `* you are now ${argument}\n`;
      }
      case 'who': {
        const names = [...(server.rooms.get(this.room) ?? [])].map((s) => s.nick).sort();
        return `* in #${this.room}: ${names.join(', ')}\n`;
      }
      case 'rooms': {
        const rooms = [...server.rooms].map(([name, members]) => `#${name} (${members.size})`).sort();
        return `* rooms: ${rooms.join(', ')}\n`;
      }
      case 'quit':
        this.close('* bye\n');
        return null;
      case 'help':
        return HELP;
      default:
        return `* unknown command /${command}\n${HELP}`;
    }
  }

  /** Starts one gathered write of everything queued; the two arrays swap roles, so no array is made per write. */
  #flush(): void {
    if (this.#queued.length === 0) return;
    const batch = this.#queued;
    this.#queued = this.#inFlight;
    this.#inFlight = batch;
    this.#queuedBytes = 0;
    this.#writing = true;
    asyncWrite(this.#socket, batch, this.#onWritten);
  }

  #written(err: IoError | null): void {
    this.#writing = false;
    this.#inFlight.length = 0;
    if (this.#closed) return;
    if (err !== null) {
      this.#end();
    } else if (this.#queued.length > 0) {
      this.#flush();
    } else if (this.#closing) {
      this.#end();
    }
  }

  /** Ends the session: closing the socket aborts its pending read and write, whose handlers then return early. */
  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = true;
    this.#grace?.cancel();
    const server = this.#server;
    server.sessions.delete(this);
    server.leave(this, this.room);
    server.broadcast(this.room, `* ${this.nick} ${this.#leaveReason ?? `left #${this.room}`}\n`, null);
    this.#socket.close();
    const stats = this.#memory.stats();
    server.totals.sessions++;
    server.totals.allocations += stats.allocations;
    server.totals.fallbacks += stats.fallbacks;
  }
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const ctx = new IoContext();
  const server = new ChatServer(ctx, options);
  const acceptor = new TcpAcceptor(ctx, { host: options.host, port: options.port });
  const signals = new SignalSet(ctx, 'SIGINT', 'SIGTERM');

  const onAccept = (err: IoError | null, socket: TcpSocket): void => {
    if (err !== null) {
      if (err.code === 'operation_aborted' || err.code === 'bad_descriptor') return; // closed: stop accepting
      console.error(`accept failed: ${err.message}`);
    } else {
      socket.setNoDelay(true);
      new Session(server, socket).start();
    }
    acceptor.asyncAccept(onAccept);
  };
  acceptor.asyncAccept(onAccept);

  // The pending signal wait is outstanding work: it keeps run() going while
  // no client is connected, and run() returns once it has completed and
  // every session has ended.
  signals.asyncWait((err, signal) => {
    if (err !== null) return;
    console.log(`${signal}: shutting down (${server.sessions.size} clients)`);
    signals.close(); // a second Ctrl-C gets Node's default action again
    acceptor.close();
    for (const session of [...server.sessions]) session.close('* server shutting down\n');
  });

  const { address, port } = acceptor.localEndpoint();
  console.log(`chat server listening on ${address}:${port}`);
  ctx.run().then(
    (handlers) => {
      const { sessions, allocations, fallbacks } = server.totals;
      console.log(`stopped after ${handlers} handlers; ${sessions} sessions; their operations: ${allocations} allocated, ${fallbacks} constructed`);
      process.exitCode = 0;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
