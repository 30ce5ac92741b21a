/*
 * tls-echo-load: a closed-loop TLS load generator for echo servers.
 *
 * Opens C connections to 127.0.0.1:PORT, one thread each, with blocking
 * OpenSSL sockets. In echo mode every connection handshakes once, then
 * sends one message of S bytes, reads until all S bytes have come back,
 * checks them against what it sent (the content moves every round and
 * differs per connection, so stale or misplaced bytes are caught), and
 * starts the next round. In handshake mode (--handshakes) every connection
 * connects, runs a full handshake (no session resumption), sends 1 byte,
 * reads it back, and closes, in a loop.
 *
 * Phases: connect and warm-up (--warmup seconds, not counted), then
 * measurement for --duration seconds. Output: one JSON object on stdout
 * with the rounds (or handshakes) per second, errors and mismatches.
 *
 * The CA file given with --ca is trusted and the server name is checked
 * (localhost), as a real client would. It only talks to 127.0.0.1.
 *
 * Build: cc -O2 -pthread -o tls-echo-load tls-echo-load.c -lssl -lcrypto
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 1024
#define MAX_SIZE (1u << 20)

static int port, connections = 64, size = 64, handshake_mode = 0;
static double duration = 3, warmup = 1;
static const char *ca_file, *cipher = NULL;
static SSL_CTX *ctx;
static atomic_int phase; /* 0 warm-up, 1 measuring, 2 after the window (not counted), 3 stop */
static atomic_long counted, errors, mismatches;
static pid_t signal_pid = 0; /* told SIGUSR2 as the measured window opens and closes (a heap probe) */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int tcp_connect(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static SSL *tls_connect(int *fd_out) {
  int fd = tcp_connect();
  if (fd < 0) return NULL;
  SSL *ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "localhost");
  SSL_set1_host(ssl, "localhost");
  if (SSL_connect(ssl) != 1) {
    SSL_free(ssl);
    close(fd);
    return NULL;
  }
  *fd_out = fd;
  return ssl;
}

static int read_full(SSL *ssl, unsigned char *buf, int n) {
  for (int got = 0; got < n;) {
    int r = SSL_read(ssl, buf + got, n - got);
    if (r <= 0) return -1;
    got += r;
  }
  return 0;
}

static void fill(unsigned char *buf, int n, unsigned id, unsigned round) {
  uint32_t x = id * 2654435761u + round * 40503u + 1u;
  for (int i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    buf[i] = (unsigned char)(x >> 16);
  }
}

static void *echo_thread(void *arg) {
  unsigned id = (unsigned)(uintptr_t)arg;
  unsigned char *out = malloc(MAX_SIZE), *in = malloc(MAX_SIZE);
  int fd;
  SSL *ssl = tls_connect(&fd);
  if (ssl == NULL) {
    atomic_fetch_add(&errors, 1);
    return NULL;
  }
  for (unsigned round = 0; atomic_load(&phase) < 3; round++) {
    fill(out, size, id, round);
    if (SSL_write(ssl, out, size) != size || read_full(ssl, in, size) != 0) {
      atomic_fetch_add(&errors, 1);
      break;
    }
    if (memcmp(in, out, (size_t)size) != 0) atomic_fetch_add(&mismatches, 1);
    if (atomic_load(&phase) == 1) atomic_fetch_add(&counted, 1);
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  close(fd);
  free(out);
  free(in);
  return NULL;
}

static void *handshake_thread(void *arg) {
  (void)arg;
  unsigned char b = 'h', back = 0;
  while (atomic_load(&phase) < 3) {
    int fd;
    SSL *ssl = tls_connect(&fd);
    if (ssl == NULL) {
      atomic_fetch_add(&errors, 1);
      usleep(1000);
      continue;
    }
    if (SSL_write(ssl, &b, 1) != 1 || read_full(ssl, &back, 1) != 0) atomic_fetch_add(&errors, 1);
    else if (back != b) atomic_fetch_add(&mismatches, 1);
    else if (atomic_load(&phase) == 1) atomic_fetch_add(&counted, 1);
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
  }
  return NULL;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(f, "--handshakes")) { handshake_mode = 1; continue; }
    if (v == NULL) { fprintf(stderr, "missing value after %s\n", f); return 2; }
    if (!strcmp(f, "--port")) port = atoi(v);
    else if (!strcmp(f, "--connections")) connections = atoi(v);
    else if (!strcmp(f, "--size")) size = atoi(v);
    else if (!strcmp(f, "--duration")) duration = atof(v);
    else if (!strcmp(f, "--warmup")) warmup = atof(v);
    else if (!strcmp(f, "--ca")) ca_file = v;
    else if (!strcmp(f, "--cipher")) cipher = v;
    else if (!strcmp(f, "--signal-pid")) signal_pid = (pid_t)atoi(v);
    else { fprintf(stderr, "unknown argument %s\n", f); return 2; }
    i++;
  }
  if (port <= 0 || ca_file == NULL || connections < 1 || connections > MAX_CONNECTIONS || size < 1 || size > (int)MAX_SIZE) {
    fprintf(stderr, "usage: tls-echo-load --port N --ca FILE [--connections C] [--size S] [--duration s] [--warmup s] [--cipher TLS13-SUITE] [--handshakes] [--signal-pid PID]\n");
    return 2;
  }
  ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if (cipher != NULL && SSL_CTX_set_ciphersuites(ctx, cipher) != 1) { fprintf(stderr, "bad cipher suite %s\n", cipher); return 2; }
  if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) { fprintf(stderr, "cannot load CA %s\n", ca_file); return 2; }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  pthread_t threads[MAX_CONNECTIONS];
  for (int i = 0; i < connections; i++) {
    pthread_create(&threads[i], NULL, handshake_mode ? handshake_thread : echo_thread, (void *)(uintptr_t)i);
  }
  usleep((useconds_t)(warmup * 1e6));
  if (signal_pid > 0) kill(signal_pid, SIGUSR2);
  double start = now();
  atomic_store(&phase, 1);
  usleep((useconds_t)(duration * 1e6));
  atomic_store(&phase, 2);
  if (signal_pid > 0) kill(signal_pid, SIGUSR2);
  double elapsed = now() - start;
  /* Keep the connections open while the server takes its closing heap
     reading, so their teardown falls outside the window. */
  if (signal_pid > 0) usleep(250000);
  atomic_store(&phase, 3);
  long n = atomic_load(&counted);
  for (int i = 0; i < connections; i++) pthread_join(threads[i], NULL);
  printf("{\"mode\":\"%s\",\"connections\":%d,\"size\":%d,\"seconds\":%.3f,\"count\":%ld,\"perSecond\":%.1f,\"errors\":%ld,\"mismatches\":%ld}\n",
         handshake_mode ? "handshakes" : "echo", connections, size, elapsed, n, (double)n / elapsed, atomic_load(&errors), atomic_load(&mismatches));
  SSL_CTX_free(ctx);
  return atomic_load(&errors) != 0 || atomic_load(&mismatches) != 0;
}
