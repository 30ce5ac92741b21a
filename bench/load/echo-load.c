/*
 * echo-load: a closed-loop load generator for echo servers.
 *
 * Opens C connections to 127.0.0.1:PORT, or with --unix PATH to the
 * Unix-domain stream socket at PATH. Every connection sends one message
 * of S bytes, waits until all S bytes have come back, checks them against the
 * bytes it sent, and starts the next round. The message content differs per
 * round and per connection (a window into a pseudo-random pattern whose
 * offset moves every round), so a server that echoes stale or misplaced
 * bytes is caught.
 *
 * Phases: connect, warm-up (not measured; at least --warmup seconds and
 * until every connection has been echoed once), measurement (for --duration
 * seconds or until --rounds round trips, whichever comes first). With
 * --signal-pid the program sends SIGUSR2 to that process right before and
 * right after the measurement, so the server can take heap snapshots that
 * cover exactly the measured window, and waits a quarter second after the
 * second signal before it closes the connections, so their teardown falls
 * outside it. One more SIGUSR2 at the start of the warm-up rehearses them:
 * a server that does work of its own on the signal (the echo example
 * prints its allocation statistics) has its first-time costs of that work
 * (V8 deoptimizing the hot path for the new types it meets, then compiling
 * it again) before the window, not inside it.
 *
 * Output: one JSON object on stdout.
 *
 * Single-threaded, epoll, edge-triggered, non-blocking sockets. Every loop is
 * bounded by a deadline; the program stops by itself. It only talks to
 * 127.0.0.1 or to a local socket file.
 *
 * Build: cc -O2 -o echo-load echo-load.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "load-common.h"

#define MAX_CONNECTIONS 20000
#define MAX_SIZE (16u * 1024u * 1024u)
#define PATTERN_SHIFTS 251u
#define HIST_US 1000000u /* latency histogram: 1 us buckets up to 1 s */
#define MAX_EVENTS 512
#define CONNECT_BATCH 128
#define CONNECT_TIMEOUT_S 20.0
#define STALL_TIMEOUT_S 10.0

enum conn_state { C_IDLE, C_CONNECTING, C_ACTIVE, C_DONE, C_FAILED };

struct conn {
  int fd;
  int id;
  enum conn_state state;
  uint32_t round;
  size_t sent;
  size_t received;
  const unsigned char *expect; /* the bytes of the current round */
  double started;              /* when the current round was started */
};

static struct conn *conns;
static unsigned char *pattern;
static unsigned char *scratch;
static uint32_t *hist;
static uint64_t hist_over;

static size_t msg_size = 64;
static int n_conns = 64;
static int port = 0;
static const char *unix_path = NULL; /* --unix: connect to this socket file instead */
static double warmup_s = 1.0;
static double duration_s = 5.0;
static uint64_t max_rounds = 100000000ull;
static pid_t signal_pid = 0;

static int measuring = 0;  /* 1 while round trips count */
static int running = 1;    /* 0 once no new rounds start */
static uint64_t rounds_measured = 0;
static uint64_t rounds_total = 0;
static uint64_t errors = 0;
static uint64_t mismatches = 0;
static uint64_t bytes_measured = 0;
static int epfd = -1;
static int active = 0; /* connections in C_ACTIVE */
static int warmed = 0; /* connections that have completed at least one round */
static int signals_sent = 0; /* SIGUSR2s sent to --signal-pid, reported so the caller knows how many heap readings to expect */

static void signal_server(void) {
  if (signal_pid <= 0) return;
  kill(signal_pid, SIGUSR2);
  signals_sent++;
}

static void usage(void) {
  fprintf(stderr,
          "usage: echo-load (--port N [--host 127.0.0.1] | --unix PATH) [--connections C] [--size S]\n"
          "                 [--warmup SECONDS] [--duration SECONDS] [--rounds N]\n"
          "                 [--signal-pid PID]\n");
  exit(2);
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--host") == 0) {
      const char *h = arg_value(argc, argv, &i);
      if (strcmp(h, "127.0.0.1") != 0) {
        fprintf(stderr, "echo-load: only 127.0.0.1 is allowed\n");
        exit(2);
      }
    } else if (strcmp(a, "--port") == 0) {
      port = atoi(arg_value(argc, argv, &i));
    } else if (strcmp(a, "--unix") == 0) {
      unix_path = arg_value(argc, argv, &i);
    } else if (strcmp(a, "--connections") == 0) {
      n_conns = atoi(arg_value(argc, argv, &i));
    } else if (strcmp(a, "--size") == 0) {
      msg_size = (size_t)strtoul(arg_value(argc, argv, &i), NULL, 10);
    } else if (strcmp(a, "--warmup") == 0) {
      warmup_s = atof(arg_value(argc, argv, &i));
    } else if (strcmp(a, "--duration") == 0) {
      duration_s = atof(arg_value(argc, argv, &i));
    } else if (strcmp(a, "--rounds") == 0) {
      max_rounds = strtoull(arg_value(argc, argv, &i), NULL, 10);
    } else if (strcmp(a, "--signal-pid") == 0) {
      signal_pid = (pid_t)atoi(arg_value(argc, argv, &i));
    } else {
      usage();
    }
  }
  if (unix_path != NULL) {
    if (port != 0) usage();
    if (unix_path[0] == '\0' || strlen(unix_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
      fprintf(stderr, "echo-load: --unix PATH must be 1..%zu bytes\n", sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
      exit(2);
    }
  } else if (port <= 0 || port > 65535) {
    usage();
  }
  if (n_conns < 1 || n_conns > MAX_CONNECTIONS) {
    fprintf(stderr, "echo-load: --connections must be 1..%d\n", MAX_CONNECTIONS);
    exit(2);
  }
  if (msg_size < 1 || msg_size > MAX_SIZE) {
    fprintf(stderr, "echo-load: --size must be 1..%u\n", MAX_SIZE);
    exit(2);
  }
  if (warmup_s < 0 || warmup_s > 600 || duration_s <= 0 || duration_s > 600) {
    fprintf(stderr, "echo-load: --warmup and --duration must be within 0..600 s\n");
    exit(2);
  }
  if (max_rounds < 1) max_rounds = 1;
}

static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static void fill_pattern(void) {
  uint64_t x = 0x9e3779b97f4a7c15ull;
  size_t n = msg_size + PATTERN_SHIFTS;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    pattern[i] = (unsigned char)(x >> 24);
  }
}

static void conn_fail(struct conn *c) {
  if (c->state == C_FAILED || c->state == C_DONE) return;
  if (c->state == C_ACTIVE) active--;
  errors++;
  c->state = C_FAILED;
  if (c->fd >= 0) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
  }
}

static void record_latency(double seconds) {
  double us = seconds * 1e6;
  if (us < 0) us = 0;
  uint64_t b = (uint64_t)us;
  if (b >= HIST_US) {
    hist_over++;
    b = HIST_US - 1;
  }
  hist[b]++;
}

/* Writes what it can of the current round; returns -1 on error. */
static int conn_flush(struct conn *c) {
  while (c->sent < msg_size) {
    ssize_t n = send(c->fd, c->expect + c->sent, msg_size - c->sent, MSG_NOSIGNAL);
    if (n > 0) {
      c->sent += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return 0;
    } else {
      return -1;
    }
  }
  return 0;
}

static int conn_start_round(struct conn *c, double t) {
  c->round++;
  uint32_t shift = (c->round * 7u + (uint32_t)c->id * 13u) % PATTERN_SHIFTS;
  c->expect = pattern + shift;
  c->sent = 0;
  c->received = 0;
  c->started = t;
  return conn_flush(c);
}

/* Reads everything available; completes and restarts rounds. */
static int conn_read(struct conn *c) {
  for (int guard = 0; guard < 1 << 20; guard++) {
    size_t want = msg_size - c->received;
    if (want == 0) return 0; /* not in a round (stopped) */
    ssize_t n = recv(c->fd, scratch, want, 0);
    if (n > 0) {
      if (memcmp(scratch, c->expect + c->received, (size_t)n) != 0) {
        mismatches++;
        return -1;
      }
      c->received += (size_t)n;
      if (c->received == msg_size) {
        double t = now_s();
        rounds_total++;
        if (c->round == 1) warmed++;
        if (measuring) {
          rounds_measured++;
          bytes_measured += msg_size;
          record_latency(t - c->started);
          if (rounds_measured >= max_rounds) running = 0;
        }
        if (!running) {
          c->state = C_DONE;
          active--;
          return 0;
        }
        if (conn_start_round(c, t) < 0) return -1;
      }
    } else if (n == 0) {
      return -1; /* the server closed the connection in the middle of the test */
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return 0;
    } else {
      return -1;
    }
  }
  return 0;
}

static int conn_open(struct conn *c, const struct sockaddr *addr, socklen_t addr_len) {
  int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (addr->sa_family == AF_INET) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  c->fd = fd;
  c->state = C_CONNECTING;
  int r = connect(fd, addr, addr_len);
  /* A Unix-domain connect completes at once, or fails (EAGAIN: the listener's backlog is full). */
  if (r < 0 && errno != EINPROGRESS) {
    close(fd);
    c->fd = -1;
    return -1;
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = c;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    close(fd);
    c->fd = -1;
    return -1;
  }
  return 0;
}

static double percentile(double p) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < HIST_US; i++) total += hist[i];
  if (total == 0) return 0;
  uint64_t rank = (uint64_t)(p * (double)total);
  if (rank >= total) rank = total - 1;
  uint64_t seen = 0;
  for (uint32_t i = 0; i < HIST_US; i++) {
    seen += hist[i];
    if (seen > rank) return (double)i + 0.5;
  }
  return (double)HIST_US;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  raise_nofile();

  conns = calloc((size_t)n_conns, sizeof *conns);
  pattern = malloc(msg_size + PATTERN_SHIFTS);
  scratch = malloc(msg_size);
  hist = calloc(HIST_US, sizeof *hist);
  if (!conns || !pattern || !scratch || !hist) {
    fprintf(stderr, "echo-load: out of memory\n");
    return 1;
  }
  fill_pattern();

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    perror("epoll_create1");
    return 1;
  }

  struct sockaddr_in in_addr;
  struct sockaddr_un un_addr;
  const struct sockaddr *addr;
  socklen_t addr_len;
  if (unix_path != NULL) {
    memset(&un_addr, 0, sizeof un_addr);
    un_addr.sun_family = AF_UNIX;
    memcpy(un_addr.sun_path, unix_path, strlen(unix_path) + 1);
    addr = (const struct sockaddr *)&un_addr;
    addr_len = (socklen_t)sizeof un_addr;
  } else {
    memset(&in_addr, 0, sizeof in_addr);
    in_addr.sin_family = AF_INET;
    in_addr.sin_port = htons((uint16_t)port);
    in_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr = (const struct sockaddr *)&in_addr;
    addr_len = (socklen_t)sizeof in_addr;
  }

  for (int i = 0; i < n_conns; i++) {
    conns[i].fd = -1;
    conns[i].id = i;
    conns[i].state = C_IDLE;
  }

  struct epoll_event events[MAX_EVENTS];

  /* Phase 1: connect, at most CONNECT_BATCH handshakes in flight. */
  double t0 = now_s();
  int next = 0, connecting = 0, connected = 0, failed_connects = 0;
  while (connected + failed_connects < n_conns) {
    while (next < n_conns && connecting < CONNECT_BATCH) {
      if (conn_open(&conns[next], addr, addr_len) == 0) {
        connecting++;
      } else {
        conns[next].state = C_FAILED;
        failed_connects++;
        errors++;
      }
      next++;
    }
    if (now_s() - t0 > CONNECT_TIMEOUT_S) break;
    int n = epoll_wait(epfd, events, MAX_EVENTS, 100);
    if (n < 0 && errno != EINTR) break;
    for (int k = 0; k < n; k++) {
      struct conn *c = events[k].data.ptr;
      if (c->state != C_CONNECTING) continue;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || (events[k].events & (EPOLLERR | EPOLLHUP))) {
        conn_fail(c);
        failed_connects++;
        connecting--;
      } else if (events[k].events & EPOLLOUT) {
        c->state = C_ACTIVE;
        active++;
        connected++;
        connecting--;
      }
    }
  }
  double connect_s = now_s() - t0;
  for (int i = 0; i < n_conns; i++) {
    if (conns[i].state == C_CONNECTING) {
      conn_fail(&conns[i]);
      failed_connects++;
    }
  }

  /* Phase 2 and 3: warm-up, then the measured window. */
  double start = now_s();
  for (int i = 0; i < n_conns; i++) {
    struct conn *c = &conns[i];
    if (c->state != C_ACTIVE) continue;
    if (conn_start_round(c, start) < 0) conn_fail(c);
  }

  /* A rehearsal of the window's signals, at the start of the warm-up: whatever
     a server first does on SIGUSR2 (compiling the handler, new types through
     its hot path) happens here, not at the window's opening signal. */
  if (warmup_s > 0) signal_server();

  double measure_start = start + warmup_s;
  double measure_end = measure_start + duration_s;
  double actual_start = 0, actual_end = 0;
  double cpu_start = 0, cpu_end = 0;
  double last_progress = start;
  uint64_t last_rounds = 0;
  int stalled = 0;
  int unwarmed_at_start = 0;
  if (warmup_s == 0) {
    signal_server();
    measuring = 1;
    actual_start = now_s();
    cpu_start = cpu_s();
  }

  for (;;) {
    double t = now_s();
    /* The window opens once every open connection has been echoed at least
       once, so a server still accepting the last connections (a burst can
       overflow its listen backlog, and the kernel then finishes those
       handshakes a second or more later) is not measured setting them up. */
    if (!measuring && actual_start == 0 && t >= measure_start &&
        (warmed >= active || t >= measure_start + STALL_TIMEOUT_S)) {
      unwarmed_at_start = active - warmed;
      signal_server();
      measuring = 1;
      actual_start = now_s();
      measure_end = actual_start + duration_s;
      cpu_start = cpu_s();
    }
    if (measuring && (t >= measure_end || !running)) {
      actual_end = t;
      cpu_end = cpu_s();
      measuring = 0;
      running = 0;
      signal_server();
      break;
    }
    if (rounds_total != last_rounds) {
      last_rounds = rounds_total;
      last_progress = t;
    } else if (t - last_progress > STALL_TIMEOUT_S) {
      stalled = 1;
      actual_end = t;
      if (measuring) signal_server();
      measuring = 0;
      break;
    }
    if (t > measure_end + 2 * STALL_TIMEOUT_S) break; /* hard bound (the window may open up to STALL_TIMEOUT_S late) */

    if (active == 0) {
      actual_end = t;
      if (measuring) signal_server();
      measuring = 0;
      break;
    }

    int n = epoll_wait(epfd, events, MAX_EVENTS, 50);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      break;
    }
    for (int k = 0; k < n; k++) {
      struct conn *c = events[k].data.ptr;
      if (c->state != C_ACTIVE) continue;
      uint32_t e = events[k].events;
      if (e & EPOLLERR) {
        conn_fail(c);
        continue;
      }
      if ((e & EPOLLOUT) && c->sent < msg_size) {
        if (conn_flush(c) < 0) {
          conn_fail(c);
          continue;
        }
      }
      if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
        if (conn_read(c) < 0) conn_fail(c);
      }
    }
  }
  if (actual_end == 0) actual_end = now_s();
  if (cpu_end == 0) cpu_end = cpu_s();
  /* The server takes its closing heap reading when it gets to the signal;
     closing every connection at once would put their teardown inside the
     window. A pause lets it read first. */
  if (signals_sent > 0) usleep(250000);

  int open_at_end = 0;
  for (int i = 0; i < n_conns; i++) {
    if (conns[i].fd >= 0) {
      if (conns[i].state == C_ACTIVE || conns[i].state == C_DONE) open_at_end++;
      close(conns[i].fd);
      conns[i].fd = -1;
    }
  }
  close(epfd);

  double window = actual_start > 0 ? actual_end - actual_start : 0;
  double rate = window > 0 ? (double)rounds_measured / window : 0;
  printf("{\"connections\":%d,\"size\":%zu,\"connected\":%d,\"connectSeconds\":%.3f,"
         "\"warmupSeconds\":%.3f,\"seconds\":%.6f,\"roundTrips\":%llu,"
         "\"roundTripsPerSecond\":%.1f,\"bytesPerSecond\":%.1f,"
         "\"p50us\":%.1f,\"p99us\":%.1f,\"latencyOverflow\":%llu,"
         "\"errors\":%llu,\"mismatches\":%llu,\"failedConnects\":%d,"
         "\"openAtEnd\":%d,\"unwarmedAtStart\":%d,\"signalsSent\":%d,\"stalled\":%s,\"cpuSeconds\":%.3f}\n",
         n_conns, msg_size, connected, connect_s, actual_start > 0 ? actual_start - start : 0.0, window,
         (unsigned long long)rounds_measured, rate,
         window > 0 ? (double)bytes_measured * 2.0 / window : 0.0,
         percentile(0.50), percentile(0.99), (unsigned long long)hist_over,
         (unsigned long long)errors, (unsigned long long)mismatches, failed_connects,
         open_at_end, unwarmed_at_start, signals_sent, stalled ? "true" : "false", actual_start > 0 ? cpu_end - cpu_start : 0.0);
  return (errors > 0 || stalled || rounds_measured == 0) ? 1 : 0;
}
