/**
 * The server: the keyspace, pub/sub, the connected sessions and their
 * statistics, the active-expiry timer, and shutdown.
 */
import { SteadyTimer, TcpAcceptor, type AllocationCounts, type IoContext, type IoError, type TcpSocket } from '../../src/index.js';
import type { Server, ServerStats } from './command.js';
import type { Options } from './options.js';
import { PubSub } from './pubsub.js';
import { Session } from './session.js';
import { Store } from './store.js';

/** Redis's default hz: ten active-expiry cycles a second. */
const EXPIRE_CYCLE_MS = 100;

export class MiniRedis implements Server {
  readonly store = new Store();
  readonly pubsub = new PubSub();
  readonly clients = new Set<Session>();
  readonly startedAt = Date.now();
  readonly stats: ServerStats = { connections: 0, commands: 0, protocolErrors: 0, outputLimitDisconnects: 0 };
  /** What the sessions' handler allocators reported when they ended. */
  readonly memory = { allocations: 0, fallbacks: 0 };
  readonly config: ReadonlyMap<string, string>;
  readonly port: number;
  readonly ctx: IoContext;
  readonly options: Options;
  readonly #acceptor: TcpAcceptor;
  readonly #expiry: SteadyTimer;
  #nextId = 1;
  #stopping = false;

  constructor(ctx: IoContext, options: Options) {
    this.ctx = ctx;
    this.options = options;
    this.#acceptor = new TcpAcceptor(ctx, { host: options.host, port: options.port });
    this.port = this.#acceptor.localEndpoint().port;
    this.#expiry = new SteadyTimer(ctx);
    // What CONFIG GET answers: redis-benchmark asks for save and appendonly when it starts.
    this.config = new Map([
      ['save', ''],
      ['appendonly', 'no'],
      ['bind', options.host],
      ['port', String(this.port)],
      ['databases', '1'],
      ['maxmemory', '0'],
      ['maxclients', '10000'],
      ['timeout', '0'],
      ['hz', String(1000 / EXPIRE_CYCLE_MS)],
      ['proto-max-bulk-len', String(options.maxBulk)],
      ['client-output-buffer-limit', `normal ${options.outputLimit} ${options.outputLimit} 0 pubsub ${options.outputLimit} ${options.outputLimit} 0`],
    ]);
  }

  /** Where the server listens. */
  localEndpoint(): { address: string; port: number } {
    return this.#acceptor.localEndpoint();
  }

  /** Starts accepting clients and expiring keys. */
  start(): void {
    const onAccept = (err: IoError | null, socket: TcpSocket): void => {
      if (err !== null) {
        if (err.code === 'operation_aborted' || err.code === 'bad_descriptor') return; // closed: stop accepting
        console.error(`accept failed: ${err.message}`);
      } else {
        socket.setNoDelay(true);
        const session = new Session(this, socket, this.#nextId++);
        this.clients.add(session);
        this.stats.connections++;
        session.start();
      }
      this.#acceptor.asyncAccept(onAccept);
    };
    this.#acceptor.asyncAccept(onAccept);
    this.#scheduleExpiry();
  }

  /** Stops accepting and expiring, and closes every session once its replies are written. */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#acceptor.close();
    this.#expiry.cancel();
    for (const session of [...this.clients]) session.shutdown();
  }

  sessionEnded(session: Session, memory: AllocationCounts): void {
    this.clients.delete(session);
    this.memory.allocations += memory.allocations;
    this.memory.fallbacks += memory.fallbacks;
  }

  #scheduleExpiry(): void {
    this.#expiry.expiresAfter(EXPIRE_CYCLE_MS);
    this.#expiry.asyncWait((err) => {
      if (err !== null || this.#stopping) return;
      this.store.expireSample(Date.now());
      this.#scheduleExpiry();
    });
  }
}
