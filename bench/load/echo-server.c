/*
 * echo-server: a minimal single-threaded epoll echo server in C.
 *
 * It exists only as a reference point for the echo benchmark: if the load
 * generator drives this server at a higher rate than the Node servers being
 * measured, the generator is not what limits their numbers.
 *
 * Listens on 127.0.0.1 only, or with --path PATH on a Unix-domain stream
 * socket at PATH (made by the server, removed when it exits). Prints
 * "listening on 127.0.0.1:PORT" (with the real port when started with
 * --port 0) or "listening on PATH". Exits with status 0 on SIGTERM or
 * SIGINT, and by itself after --max-seconds (default 900).
 *
 * Build: cc -O2 -o echo-server echo-server.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 65536
#define MAX_EVENTS 512

struct conn {
  int fd;
  size_t len; /* bytes in buf not yet written back */
  size_t off; /* first unwritten byte */
  unsigned char buf[BUF_SIZE];
};

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void conn_close(int epfd, struct conn *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c);
}

/* Echo until the socket would block. Returns -1 when the connection is done. */
static int conn_pump(struct conn *c) {
  for (int guard = 0; guard < 1 << 16; guard++) {
    while (c->len > 0) {
      ssize_t n = send(c->fd, c->buf + c->off, c->len, MSG_NOSIGNAL);
      if (n > 0) {
        c->off += (size_t)n;
        c->len -= (size_t)n;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0; /* wait for EPOLLOUT; reading waits too (backpressure) */
      } else {
        return -1;
      }
    }
    c->off = 0;
    ssize_t n = recv(c->fd, c->buf, BUF_SIZE, 0);
    if (n > 0) {
      c->len = (size_t)n;
    } else if (n == 0) {
      return -1;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return 0;
    } else {
      return -1;
    }
  }
  return 0; /* more to do; the edge will come again or the next event resumes */
}

int main(int argc, char **argv) {
  int port = 0;
  const char *path = NULL;
  double max_seconds = 900;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      if (strcmp(argv[++i], "127.0.0.1") != 0) {
        fprintf(stderr, "echo-server: only 127.0.0.1 is allowed\n");
        return 2;
      }
    } else if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else if (strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc) {
      max_seconds = atof(argv[++i]);
    } else {
      fprintf(stderr, "usage: echo-server [--host 127.0.0.1] [--port N | --path PATH] [--max-seconds S]\n");
      return 2;
    }
  }

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  int lfd = socket(path != NULL ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) {
    perror("socket");
    return 1;
  }
  int one = 1;
  if (path != NULL) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (path[0] == '\0' || strlen(path) >= sizeof addr.sun_path) {
      fprintf(stderr, "echo-server: --path must be 1..%zu bytes\n", sizeof addr.sun_path - 1);
      return 2;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
      perror("bind/listen");
      return 1;
    }
    printf("listening on %s\n", path);
  } else {
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
      perror("bind/listen");
      return 1;
    }
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr *)&addr, &alen);
    printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  }
  fflush(stdout);

  int epfd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.ptr = NULL; /* NULL marks the listening socket */
  epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);

  struct epoll_event events[MAX_EVENTS];
  double deadline = now_s() + max_seconds;
  while (!stop_requested && now_s() < deadline) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, 200);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      break;
    }
    for (int k = 0; k < n; k++) {
      struct conn *c = events[k].data.ptr;
      if (c == NULL) {
        for (int a = 0; a < 256; a++) {
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          if (path == NULL) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *nc = malloc(sizeof *nc);
          if (!nc) {
            close(fd);
            continue;
          }
          nc->fd = fd;
          nc->len = 0;
          nc->off = 0;
          struct epoll_event cev;
          memset(&cev, 0, sizeof cev);
          cev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
          cev.data.ptr = nc;
          if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &cev) < 0) {
            close(fd);
            free(nc);
            continue;
          }
          if (conn_pump(nc) < 0) conn_close(epfd, nc);
        }
        continue;
      }
      if (events[k].events & EPOLLERR) {
        conn_close(epfd, c);
        continue;
      }
      if (conn_pump(c) < 0) conn_close(epfd, c);
    }
  }
  close(lfd);
  close(epfd);
  if (path != NULL) unlink(path);
  return 0;
}
