/*
 * udp-load: a load generator for UDP echo servers, with loss counted by the
 * sender.
 *
 * Sends request datagrams of S bytes from K non-blocking UDP sockets (each
 * connected to 127.0.0.1:PORT) and checks every byte of every reply. Every
 * request carries its slot and sequence number in its first 8 bytes, and the
 * rest is a pattern derived from both, so a reply with stale, misplaced or
 * changed bytes is caught (a mismatch), and a reply to an earlier attempt is
 * told apart from the awaited one (late).
 *
 * Modes:
 *  - echo (the default): a closed loop of --outstanding requests (64). Each
 *    slot sends one request and waits for its reply; a reply starts the
 *    next request of that slot. A request not answered within --timeout-ms
 *    (200) counts as lost and the slot sends a new one. Measured: replies
 *    per second, latency percentiles, loss.
 *  - flood: an open loop. Every socket sends as fast as the kernel takes
 *    datagrams for --duration seconds, whatever comes back; replies are
 *    counted and checked meanwhile and for half a second after. Loss is
 *    sent minus replied. Then --after requests (default 20) are sent one at
 *    a time, each waiting up to a second for its reply: whether the server
 *    serves normally once the flood stops.
 *
 * Phases: warm-up (not measured), measurement (--duration seconds). With
 * --signal-pid the program sends SIGUSR2 to that process right before and
 * right after the measurement, so the server can take heap snapshots that
 * cover exactly the measured window.
 *
 * Output: one JSON object on stdout. It only talks to 127.0.0.1, and every
 * loop is bounded by a deadline: the program stops by itself.
 *
 * Build: cc -O2 -o udp-load udp-load.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "load-common.h"

#define MAX_SOCKETS 64
#define MAX_OUTSTANDING 4096
#define MAX_SIZE 65507u
#define BATCH 64
#define HIST_US 1000000u /* latency histogram: 1 us buckets up to 1 s */

struct slot {
  int sock;        /* index into fds */
  uint32_t seq;    /* the sequence number of the request in flight */
  int in_flight;   /* 0: waiting to be (re)sent */
  double sent_at;  /* when the request in flight was sent */
};

static int fds[MAX_SOCKETS];
static int n_sockets = 1;
static int n_outstanding = 64;
static size_t msg_size = 64;
static int port = 0;
static double warmup_s = 0.5;
static double duration_s = 2.0;
static double timeout_s = 0.2;
static int flood = 0;
static int after_requests = 20;
static pid_t signal_pid = 0;

static struct slot *slots;
static uint32_t *hist;
static uint64_t hist_over;
static int measuring = 0;

/* Counters of the measured window. */
static uint64_t m_sent = 0;
static uint64_t m_replies = 0;
static uint64_t m_lost = 0;
/* Counters of the whole run. */
static uint64_t late = 0;
static uint64_t mismatches = 0;
static uint64_t errors = 0;
static uint64_t refused = 0;
static uint64_t send_blocked = 0;

static void usage(void) {
  fprintf(stderr,
          "usage: udp-load --port N [--host 127.0.0.1] [--mode echo|flood] [--size S] [--outstanding N]\n"
          "                [--sockets K] [--timeout-ms MS] [--warmup SECONDS] [--duration SECONDS]\n"
          "                [--after N] [--signal-pid PID]\n");
  exit(2);
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--host") == 0) {
      if (strcmp(arg_value(argc, argv, &i), "127.0.0.1") != 0) {
        fprintf(stderr, "udp-load: only 127.0.0.1 is allowed\n");
        exit(2);
      }
    } else if (strcmp(a, "--port") == 0) {
      port = atoi(arg_value(argc, argv, &i));
    } else if (strcmp(a, "--mode") == 0) {
      const char *m = arg_value(argc, argv, &i);
      if (strcmp(m, "flood") == 0) flood = 1;
      else if (strcmp(m, "echo") == 0) flood = 0;
      else usage();
    } else if (strcmp(a, "--size") == 0) {
      msg_size = (size_t)strtoul(arg_value(argc, argv, &i), NULL, 10);
    } else if (strcmp(a, "--outstanding") == 0) {
      n_outstanding = atoi(arg_value(argc, argv, &i));
    } else if (strcmp(a, "--sockets") == 0) {
      n_sockets = atoi(arg_value(argc, argv, &i));
    } else if (strcmp(a, "--timeout-ms") == 0) {
      timeout_s = atof(arg_value(argc, argv, &i)) / 1000.0;
    } else if (strcmp(a, "--warmup") == 0) {
      warmup_s = atof(arg_value(argc, argv, &i));
    } else if (strcmp(a, "--duration") == 0) {
      duration_s = atof(arg_value(argc, argv, &i));
    } else if (strcmp(a, "--after") == 0) {
      after_requests = atoi(arg_value(argc, argv, &i));
    } else if (strcmp(a, "--signal-pid") == 0) {
      signal_pid = (pid_t)atoi(arg_value(argc, argv, &i));
    } else {
      usage();
    }
  }
  if (port < 1 || port > 65535) usage();
  if (msg_size < 8 || msg_size > MAX_SIZE) {
    fprintf(stderr, "udp-load: --size must be 8..%u\n", MAX_SIZE);
    exit(2);
  }
  if (n_outstanding < 1 || n_outstanding > MAX_OUTSTANDING || n_sockets < 1 || n_sockets > MAX_SOCKETS) {
    fprintf(stderr, "udp-load: --outstanding must be 1..%d and --sockets 1..%d\n", MAX_OUTSTANDING, MAX_SOCKETS);
    exit(2);
  }
  if (warmup_s < 0 || warmup_s > 600 || duration_s <= 0 || duration_s > 600 || timeout_s <= 0 || timeout_s > 60 ||
      after_requests < 0 || after_requests > 10000) {
    fprintf(stderr, "udp-load: --warmup, --duration, --timeout-ms or --after out of range\n");
    exit(2);
  }
}

/* The payload byte at offset i of request (slot, seq). */
static inline unsigned char pattern_byte(uint32_t slot, uint32_t seq, size_t i) {
  return (unsigned char)(slot * 131u + seq * 7u + (uint32_t)i * 31u + (uint32_t)(i >> 8));
}

static void fill_request(unsigned char *buf, uint32_t slot, uint32_t seq) {
  memcpy(buf, &slot, 4);
  memcpy(buf + 4, &seq, 4);
  for (size_t i = 8; i < msg_size; i++) buf[i] = pattern_byte(slot, seq, i);
}

/* 1 when buf[0..len) is exactly request (slot, seq). */
static int check_reply(const unsigned char *buf, size_t len, uint32_t slot, uint32_t seq) {
  if (len != msg_size) return 0;
  for (size_t i = 8; i < len; i++) {
    if (buf[i] != pattern_byte(slot, seq, i)) return 0;
  }
  return 1;
}

static void record_latency(double seconds) {
  double us = seconds * 1e6;
  if (us < 0) us = 0;
  if (us >= HIST_US) hist_over++;
  else hist[(uint32_t)us]++;
}

static double percentile_us(double p) {
  uint64_t total = hist_over;
  for (uint32_t i = 0; i < HIST_US; i++) total += hist[i];
  if (total == 0) return 0;
  uint64_t want = (uint64_t)(p * (double)total);
  uint64_t seen = 0;
  for (uint32_t i = 0; i < HIST_US; i++) {
    seen += hist[i];
    if (seen > want) return (double)i + 0.5;
  }
  return (double)HIST_US;
}

static void open_sockets(void) {
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int k = 0; k < n_sockets; k++) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      perror("udp-load: socket");
      exit(1);
    }
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
      perror("udp-load: connect");
      exit(1);
    }
    fds[k] = fd;
  }
}

static unsigned char *send_bufs; /* BATCH requests of msg_size bytes */
static unsigned char *recv_bufs; /* BATCH replies of up to MAX_SIZE + 1 bytes */
static struct mmsghdr recv_msgs[BATCH];
static struct iovec recv_iov[BATCH];

static void setup_receive(void) {
  for (int i = 0; i < BATCH; i++) {
    recv_iov[i].iov_base = recv_bufs + (size_t)i * (MAX_SIZE + 1);
    recv_iov[i].iov_len = MAX_SIZE + 1;
    memset(&recv_msgs[i], 0, sizeof recv_msgs[i]);
    recv_msgs[i].msg_hdr.msg_iov = &recv_iov[i];
    recv_msgs[i].msg_hdr.msg_iovlen = 1;
  }
}

/* Sends request (slot, seq) on socket k; 1 when the kernel took it. */
static int send_one(int k, uint32_t slot, uint32_t seq) {
  fill_request(send_bufs, slot, seq);
  ssize_t n = send(fds[k], send_bufs, msg_size, 0);
  if (n == (ssize_t)msg_size) return 1;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) send_blocked++;
  else if (n < 0 && errno == ECONNREFUSED) refused++;
  else errors++;
  return 0;
}

/* Sends every slot not in flight. */
static void send_pending(double now) {
  for (int s = 0; s < n_outstanding; s++) {
    struct slot *sl = &slots[s];
    if (sl->in_flight) continue;
    if (!send_one(sl->sock, (uint32_t)s, sl->seq)) continue;
    sl->in_flight = 1;
    sl->sent_at = now;
    if (measuring) m_sent++;
  }
}

/*
 * Reads the next batch of replies waiting on socket k into recv_msgs;
 * returns how many (0: none waiting, or an error, which it counts).
 */
static int read_batch(int k) {
  for (;;) {
    int got = recvmmsg(fds[k], recv_msgs, BATCH, MSG_DONTWAIT, NULL);
    if (got >= 0) return got;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    if (errno == ECONNREFUSED) {
      refused++;
      continue;
    }
    errors++;
    return 0;
  }
}

/* Reply i of the last batch: its bytes, length, slot and sequence number; 0 when it is too short to carry them. */
static int reply_of(int i, const unsigned char **buf, size_t *len, uint32_t *slot, uint32_t *seq) {
  *buf = recv_iov[i].iov_base;
  *len = recv_msgs[i].msg_len;
  if (*len < 8) return 0;
  memcpy(slot, *buf, 4);
  memcpy(seq, *buf + 4, 4);
  return 1;
}

/* Takes every reply waiting on socket k. */
static void receive_echo(int k, double now) {
  for (int got = read_batch(k); got > 0; got = read_batch(k)) {
    for (int i = 0; i < got; i++) {
      const unsigned char *buf;
      size_t len;
      uint32_t s, seq;
      if (!reply_of(i, &buf, &len, &s, &seq) || s >= (uint32_t)n_outstanding) {
        mismatches++;
        continue;
      }
      struct slot *sl = &slots[s];
      if (!sl->in_flight || seq != sl->seq) {
        if (seq < sl->seq && check_reply(buf, len, s, seq)) late++;
        else mismatches++;
        continue;
      }
      if (!check_reply(buf, len, s, seq)) {
        mismatches++;
        continue; /* the slot times out and sends again */
      }
      if (measuring) {
        m_replies++;
        record_latency(now - sl->sent_at);
      }
      sl->seq++;
      sl->in_flight = 0;
    }
  }
}

static void expire(double now) {
  for (int s = 0; s < n_outstanding; s++) {
    struct slot *sl = &slots[s];
    if (sl->in_flight && now - sl->sent_at > timeout_s) {
      if (measuring) m_lost++;
      sl->seq++;
      sl->in_flight = 0;
    }
  }
}

static struct pollfd pfds[MAX_SOCKETS];

static void wait_readable(int ms) {
  for (int k = 0; k < n_sockets; k++) {
    pfds[k].fd = fds[k];
    pfds[k].events = POLLIN;
    pfds[k].revents = 0;
  }
  poll(pfds, (nfds_t)n_sockets, ms);
}

static void signal_server(void) {
  if (signal_pid > 0) kill(signal_pid, SIGUSR2);
}

static void run_echo(double *measured_s) {
  for (int s = 0; s < n_outstanding; s++) {
    slots[s].sock = s % n_sockets;
    slots[s].seq = 1;
    slots[s].in_flight = 0;
  }
  double start = now_s();
  double measure_at = start + warmup_s;
  double end_at = measure_at + duration_s;
  double last_expire = start;
  double began = 0;
  int phase = 0; /* 0 warm-up, 1 measuring */
  send_pending(start);
  for (;;) {
    double now = now_s();
    if (phase == 0 && now >= measure_at) {
      signal_server();
      measuring = 1;
      began = now_s();
      phase = 1;
    }
    if (phase == 1 && now >= end_at) {
      measuring = 0;
      *measured_s = now_s() - began;
      signal_server();
      break;
    }
    wait_readable(5);
    now = now_s();
    for (int k = 0; k < n_sockets; k++) receive_echo(k, now);
    if (now - last_expire > timeout_s / 4) {
      expire(now);
      last_expire = now;
    }
    send_pending(now);
  }
}

/* Flood: replies counted (and checked) from any slot and sequence. */
static uint64_t f_replies = 0;

static void receive_flood(int k) {
  for (int got = read_batch(k); got > 0; got = read_batch(k)) {
    for (int i = 0; i < got; i++) {
      const unsigned char *buf;
      size_t len;
      uint32_t s, seq;
      if (reply_of(i, &buf, &len, &s, &seq) && check_reply(buf, len, s, seq)) f_replies++;
      else mismatches++;
    }
  }
}

static uint64_t f_sent = 0;
static int after_answered = 0;

static void run_flood(double *measured_s) {
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  uint32_t seq = 1;
  double start = now_s();
  double end_at = start + duration_s;
  signal_server();
  for (;;) {
    double now = now_s();
    if (now >= end_at) break;
    for (int k = 0; k < n_sockets; k++) {
      for (int i = 0; i < BATCH; i++) {
        unsigned char *b = send_bufs + (size_t)i * msg_size;
        fill_request(b, (uint32_t)k, seq++);
        iov[i].iov_base = b;
        iov[i].iov_len = msg_size;
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int n = sendmmsg(fds[k], msgs, BATCH, MSG_DONTWAIT);
      if (n > 0) f_sent += (uint64_t)n;
      else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) send_blocked++;
      else if (n < 0 && errno == ECONNREFUSED) refused++;
      else if (n < 0) errors++;
      if (n < BATCH) seq -= (uint32_t)(BATCH - (n > 0 ? n : 0));
      receive_flood(k);
    }
  }
  /* The replies still on their way. */
  double drain_end = now_s() + 0.5;
  while (now_s() < drain_end) {
    wait_readable(20);
    for (int k = 0; k < n_sockets; k++) receive_flood(k);
  }
  *measured_s = now_s() - start;
  signal_server();

  /* Served normally afterwards: one request at a time, each within a second. */
  for (int r = 0; r < after_requests; r++) {
    uint32_t s = (uint32_t)MAX_OUTSTANDING + 1u;
    uint32_t want = 0x40000000u + (uint32_t)r;
    if (!send_one(0, s, want)) continue;
    double deadline = now_s() + 1.0;
    int answered = 0;
    while (!answered && now_s() < deadline) {
      wait_readable(20);
      int got = read_batch(0);
      for (int i = 0; i < got; i++) {
        const unsigned char *buf;
        size_t len;
        uint32_t rs, rseq;
        if (reply_of(i, &buf, &len, &rs, &rseq) && rs == s && rseq == want && check_reply(buf, len, s, want)) answered = 1;
      }
    }
    after_answered += answered;
  }
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  slots = calloc((size_t)n_outstanding, sizeof *slots);
  hist = calloc(HIST_US, sizeof *hist);
  send_bufs = malloc((size_t)BATCH * msg_size);
  recv_bufs = malloc((size_t)BATCH * (MAX_SIZE + 1));
  if (slots == NULL || hist == NULL || send_bufs == NULL || recv_bufs == NULL) {
    fprintf(stderr, "udp-load: out of memory\n");
    return 1;
  }
  setup_receive();
  open_sockets();
  double cpu0 = cpu_s();
  double measured = 0;
  if (flood) run_flood(&measured);
  else run_echo(&measured);
  double cpu = cpu_s() - cpu0;

  if (flood) {
    uint64_t lost = f_sent > f_replies ? f_sent - f_replies : 0;
    printf("{\"mode\":\"flood\",\"sockets\":%d,\"size\":%zu,\"seconds\":%.3f,\"sent\":%llu,\"replies\":%llu,"
           "\"lost\":%llu,\"lossRatio\":%.6f,\"sentPerSecond\":%.1f,\"repliesPerSecond\":%.1f,"
           "\"afterSent\":%d,\"afterAnswered\":%d,\"mismatches\":%llu,\"errors\":%llu,\"refused\":%llu,"
           "\"sendBlocked\":%llu,\"cpuSeconds\":%.3f}\n",
           n_sockets, msg_size, measured, (unsigned long long)f_sent, (unsigned long long)f_replies,
           (unsigned long long)lost, f_sent > 0 ? (double)lost / (double)f_sent : 0.0,
           measured > 0 ? (double)f_sent / measured : 0.0, measured > 0 ? (double)f_replies / measured : 0.0,
           after_requests, after_answered, (unsigned long long)mismatches, (unsigned long long)errors,
           (unsigned long long)refused, (unsigned long long)send_blocked, cpu);
  } else {
    printf("{\"mode\":\"echo\",\"outstanding\":%d,\"sockets\":%d,\"size\":%zu,\"warmupSeconds\":%.3f,"
           "\"seconds\":%.3f,\"sent\":%llu,\"roundTrips\":%llu,\"roundTripsPerSecond\":%.1f,\"lost\":%llu,"
           "\"lossRatio\":%.6f,\"late\":%llu,\"p50us\":%.1f,\"p99us\":%.1f,\"latencyOverflow\":%llu,"
           "\"mismatches\":%llu,\"errors\":%llu,\"refused\":%llu,\"sendBlocked\":%llu,\"cpuSeconds\":%.3f}\n",
           n_outstanding, n_sockets, msg_size, warmup_s, measured, (unsigned long long)m_sent,
           (unsigned long long)m_replies, measured > 0 ? (double)m_replies / measured : 0.0,
           (unsigned long long)m_lost, m_sent > 0 ? (double)m_lost / (double)m_sent : 0.0,
           (unsigned long long)late, percentile_us(0.5), percentile_us(0.99), (unsigned long long)hist_over,
           (unsigned long long)mismatches, (unsigned long long)errors, (unsigned long long)refused,
           (unsigned long long)send_blocked, cpu);
  }
  for (int k = 0; k < n_sockets; k++) close(fds[k]);
  return 0;
}
