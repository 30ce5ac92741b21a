/*
 * proactor's native transport: a Node-API addon that drives libuv TCP and
 * pipe handles on Node's own loop (napi_get_uv_event_loop).
 *
 * Why it exists: every completion that reaches JavaScript through a Node
 * handle pays a C++ -> JavaScript crossing with its microtask checkpoint.
 * Here the libuv callbacks of one loop iteration (reads landing in the
 * caller's buffer, write and connect completions, accepted connections)
 * only append a record to an event array; a check handle, which libuv runs
 * right after the poll phase, hands the whole batch to JavaScript in one
 * call (napi_make_callback, so microtasks and nextTicks run after it as
 * after any Node callback).
 *
 * Records are three int32: socket id, event, value. JavaScript reads them
 * from an ArrayBuffer shared with this file; ids are small integers reused
 * only after libuv has closed a handle, so a record never names the wrong
 * socket.
 *
 * Reads stay started: the alloc callback hands libuv the buffer JavaScript
 * passed for the pending read, or, when JavaScript has no read pending, an
 * empty buffer, which makes libuv report UV_ENOBUFS, and reading stops
 * only then (stopping and restarting per read costs two epoll_ctl calls).
 *
 * Every JavaScript buffer libuv may still touch (the pending read's, a
 * write's that went asynchronous) is held by a strong reference until libuv
 * is done with it, so a collected or dropped buffer is never written to or
 * read from.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#ifndef _WIN32
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#define EV_READ 1       /* value: bytes landed in the read buffer */
#define EV_EOF 2        /* the peer finished sending */
#define EV_READ_ERROR 3 /* value: libuv status */
#define EV_WRITE 4      /* value: libuv status of an asynchronous write */
#define EV_CONNECT 5    /* value: libuv status */
#define EV_ACCEPT 6     /* value: the accepted socket's id, or a negative libuv status */

#define BATCH_CAPACITY 4096 /* records; a fuller batch is delivered at once */
#define STACK_BUFS 16

typedef struct psock psock;
typedef struct pstate pstate;

struct psock {
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  pstate* state;
  int32_t id;
  int is_pipe;
  int closing;
  int reading;        /* uv_read_start is in effect */
  int want;           /* JavaScript has a read pending into buf */
  int32_t landed;     /* bytes landed for the current read request */
  char* buf;
  size_t len;
  napi_ref buf_ref;
  uv_connect_t connect_req;
  uv_shutdown_t shutdown_req;
  int shutting_down;
  int32_t writes; /* asynchronous writes in flight */
};

typedef struct {
  uv_write_t req;
  psock* sock;
  uint32_t nrefs;
  napi_ref refs[1]; /* nrefs of them */
} pwrite;

struct pstate {
  napi_env env;
  uv_loop_t* loop;
  uv_check_t check;
  napi_ref deliver;
  napi_ref resource;
  napi_async_context async;
  napi_ref events_ref;
  int32_t* events;
  uint32_t count;
  int delivering;
  psock** slots;
  uint32_t nslots;
  int32_t* free_ids;
  uint32_t nfree;
  uint32_t open_handles;
  int torn_down;
  int check_closed;
  napi_async_cleanup_hook_handle cleanup; /* held while the environment's teardown waits for the handles to close */
  int32_t* from;     /* the sender of the last datagram udpReceive read (see js_udp_receive) */
  napi_ref from_ref;
  struct sockaddr_storage from_addr; /* the same sender, for udpSenderName */
  char send_host[64]; /* the last address udpSend parsed, and its sockaddr */
  struct sockaddr_storage send_addr;
  int32_t send_port;
};

/* ---------- helpers ---------- */

#define CHECK(call)                                  \
  do {                                               \
    if ((call) != napi_ok) return throw_last(env);   \
  } while (0)

static napi_value throw_last(napi_env env) {
  const napi_extended_error_info* info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    napi_get_last_error_info(env, &info);
    napi_throw_error(env, "ERR_PROACTOR_NATIVE", info && info->error_message ? info->error_message : "Node-API call failed");
  }
  return NULL;
}

static napi_value int_value(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static pstate* state_of(napi_env env) {
  void* data = NULL;
  napi_get_instance_data(env, &data);
  return (pstate*)data;
}

static psock* sock_of(pstate* st, napi_env env, napi_value v) {
  int32_t id = -1;
  if (napi_get_value_int32(env, v, &id) != napi_ok || id < 0 || (uint32_t)id >= st->nslots) return NULL;
  psock* s = st->slots[id];
  if (s == NULL || s->closing) return NULL;
  return s;
}

static void deliver_batch(pstate* st);

/* The arguments of a call whose first one is a socket id, and that socket (NULL: none open by that id). */
static psock* sock_args(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv) {
  if (napi_get_cb_info(env, info, argc, argv, NULL, NULL) != napi_ok || *argc < 1) return NULL;
  return sock_of(state_of(env), env, argv[0]);
}

static void push_event(pstate* st, int32_t id, int32_t ev, int32_t value) {
  if (st->torn_down) return;
  if (st->count == BATCH_CAPACITY) deliver_batch(st); /* a full batch goes now; order is kept */
  if (st->count == BATCH_CAPACITY) return;            /* only if JavaScript could not be entered */
  int32_t* rec = st->events + 3 * st->count++;
  rec[0] = id;
  rec[1] = ev;
  rec[2] = value;
}

static void release_read_buf(psock* s) {
  if (s->buf_ref != NULL) {
    napi_delete_reference(s->state->env, s->buf_ref);
    s->buf_ref = NULL;
  }
  s->buf = NULL;
  s->len = 0;
  s->want = 0;
}

static int32_t take_id(pstate* st) {
  if (st->nfree > 0) return st->free_ids[--st->nfree];
  uint32_t n = st->nslots == 0 ? 64 : st->nslots * 2;
  psock** slots = realloc(st->slots, n * sizeof(psock*));
  int32_t* free_ids = realloc(st->free_ids, n * sizeof(int32_t));
  if (slots == NULL || free_ids == NULL) {
    if (slots != NULL) st->slots = slots;
    if (free_ids != NULL) st->free_ids = free_ids;
    return -1;
  }
  st->slots = slots;
  st->free_ids = free_ids;
  for (uint32_t i = st->nslots; i < n; i++) slots[i] = NULL;
  /* ids handed out lowest first */
  for (uint32_t i = n; i > st->nslots + 1; i--) free_ids[st->nfree++] = (int32_t)(i - 1);
  int32_t id = (int32_t)st->nslots;
  st->nslots = n;
  return id;
}

static psock* new_sock(pstate* st, int is_pipe) {
  psock* s = calloc(1, sizeof(psock));
  if (s == NULL) return NULL;
  int32_t id = take_id(st);
  if (id < 0) {
    free(s);
    return NULL;
  }
  int r = is_pipe ? uv_pipe_init(st->loop, &s->h.pipe, 0) : uv_tcp_init(st->loop, &s->h.tcp);
  if (r != 0) {
    st->free_ids[st->nfree++] = id;
    free(s);
    return NULL;
  }
  s->state = st;
  s->id = id;
  s->is_pipe = is_pipe;
  s->h.handle.data = s;
  st->slots[id] = s;
  st->open_handles++;
  return s;
}

static void free_state(pstate* st) {
  free(st->slots);
  free(st->free_ids);
  free(st);
}

/* The last handle of a torn-down state has closed: free it, then let the environment's teardown go on.
 * Until that removal Node keeps running the loop (and keeps this library loaded), so no close
 * callback of ours can run after a worker thread's environment has unloaded the addon. */
static void finish_teardown(pstate* st) {
  napi_async_cleanup_hook_handle cleanup = st->cleanup;
  free_state(st);
  if (cleanup != NULL) napi_remove_async_cleanup_hook(cleanup);
}

static void on_close(uv_handle_t* handle) {
  psock* s = handle->data;
  pstate* st = s->state;
  st->slots[s->id] = NULL;
  st->free_ids[st->nfree++] = s->id;
  st->open_handles--;
  free(s);
  if (st->check_closed && st->open_handles == 0) finish_teardown(st);
}

static void close_sock(psock* s) {
  if (s->closing) return;
  s->closing = 1;
  release_read_buf(s);
  uv_close(&s->h.handle, on_close);
}

/* ---------- batch delivery ---------- */

static void deliver_batch(pstate* st) {
  if (st->delivering || st->count == 0 || st->torn_down) return;
  napi_env env = st->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  st->delivering = 1;
  while (st->count > 0) {
    uint32_t n = st->count;
    napi_value fn, resource, argv[1], result;
    napi_get_reference_value(env, st->deliver, &fn);
    napi_get_reference_value(env, st->resource, &resource);
    napi_create_uint32(env, n, &argv[0]);
    napi_status status = napi_make_callback(env, st->async, resource, fn, 1, argv, &result);
    /* records JavaScript has read go; any appended meanwhile move to the front */
    uint32_t rest = st->count - n;
    if (rest > 0) memmove(st->events, st->events + 3 * n, 3 * rest * sizeof(int32_t));
    st->count = rest;
    if (status != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value error;
        napi_get_and_clear_last_exception(env, &error);
        napi_fatal_exception(env, error); /* as any Node callback that throws: 'uncaughtException' */
      }
      break;
    }
  }
  st->delivering = 0;
  napi_close_handle_scope(env, scope);
}

static void on_check(uv_check_t* check) {
  deliver_batch(check->data);
}

/* ---------- reads ---------- */

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* out) {
  (void)suggested;
  psock* s = handle->data;
  if (s->want && s->buf != NULL) {
    out->base = s->buf;
    out->len = s->len;
  } else {
    out->base = NULL; /* no read pending: libuv reports UV_ENOBUFS and reading stops */
    out->len = 0;
  }
}

static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  (void)buf;
  psock* s = stream->data;
  if (nread > 0) {
    s->want = 0;
    s->landed = (int32_t)nread;
    push_event(s->state, s->id, EV_READ, (int32_t)nread);
    return;
  }
  if (nread == 0) return; /* EAGAIN */
  uv_read_stop(stream);
  s->reading = 0;
  if (nread == UV_ENOBUFS) return; /* stopped lazily: JavaScript owns the buffer */
  s->want = 0;
  if (nread == UV_EOF) push_event(s->state, s->id, EV_EOF, 0);
  else push_event(s->state, s->id, EV_READ_ERROR, (int32_t)nread);
}

/* readStart(id, buf | undefined): a read is pending into buf (undefined: the buffer of the last read). 1 when reading was started on the handle, 0 when it was still started, or a libuv status. */
static napi_value js_read_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pstate* st = state_of(env);
  psock* s = sock_of(st, env, argv[0]);
  if (s == NULL) return int_value(env, UV_EBADF);
  napi_valuetype type = napi_undefined;
  if (argc > 1) napi_typeof(env, argv[1], &type);
  if (type != napi_undefined) {
    bool is_ta = false;
    CHECK(napi_is_typedarray(env, argv[1], &is_ta));
    if (!is_ta) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "readStart: expected a Uint8Array");
      return NULL;
    }
    napi_typedarray_type tt;
    size_t length;
    void* data;
    CHECK(napi_get_typedarray_info(env, argv[1], &tt, &length, &data, NULL, NULL));
    if (s->buf_ref != NULL) napi_delete_reference(env, s->buf_ref);
    s->buf_ref = NULL;
    CHECK(napi_create_reference(env, argv[1], 1, &s->buf_ref));
    s->buf = data;
    s->len = length;
  }
  if (s->buf == NULL || s->len == 0) return int_value(env, UV_EINVAL);
  s->want = 1;
  s->landed = 0;
  if (s->reading) return int_value(env, 0);
  int r = uv_read_start(&s->h.stream, on_alloc, on_read);
  if (r != 0) {
    s->want = 0;
    return int_value(env, r);
  }
  s->reading = 1;
  return int_value(env, 1);
}

/* readStop(id): the pending read is withdrawn. Returns the bytes that already landed for it (not yet delivered). */
static napi_value js_read_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  psock* s = sock_args(env, info, &argc, argv);
  if (s == NULL) return int_value(env, 0);
  int32_t landed = s->want ? 0 : s->landed;
  s->want = 0;
  s->landed = 0;
  return int_value(env, landed);
}

/* ---------- writes ---------- */

static void on_write(uv_write_t* req, int status) {
  pwrite* w = (pwrite*)req;
  psock* s = w->sock;
  pstate* st = s->state;
  for (uint32_t i = 0; i < w->nrefs; i++) napi_delete_reference(st->env, w->refs[i]);
  s->writes--;
  free(w);
  if (!s->closing) push_event(st, s->id, EV_WRITE, status);
}

static int buf_of(napi_env env, napi_value v, uv_buf_t* out) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type tt;
  size_t length;
  void* data;
  if (napi_get_typedarray_info(env, v, &tt, &length, &data, NULL, NULL) != napi_ok) return 0;
  *out = uv_buf_init(data, (unsigned int)length);
  return 1;
}

/*
 * write(id, buf | buf[]): 0 when the kernel took every byte (uv_try_write),
 * 1 when the rest goes through uv_write (an EV_WRITE record follows), or a
 * negative libuv status.
 */
static napi_value js_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  psock* s = sock_args(env, info, &argc, argv);
  if (s == NULL) return int_value(env, UV_EBADF);
  uv_buf_t stack_bufs[STACK_BUFS];
  uv_buf_t* bufs = stack_bufs;
  napi_value stack_vals[STACK_BUFS];
  napi_value* vals = stack_vals;
  uint32_t n = 1;
  bool is_array = false;
  CHECK(napi_is_array(env, argv[1], &is_array));
  if (is_array) {
    CHECK(napi_get_array_length(env, argv[1], &n));
    if (n > STACK_BUFS) {
      bufs = malloc(n * sizeof(uv_buf_t));
      vals = malloc(n * sizeof(napi_value));
      if (bufs == NULL || vals == NULL) {
        free(bufs == stack_bufs ? NULL : bufs);
        free(vals == stack_vals ? NULL : vals);
        return int_value(env, UV_ENOMEM);
      }
    }
    for (uint32_t i = 0; i < n; i++) {
      if (napi_get_element(env, argv[1], i, &vals[i]) != napi_ok || !buf_of(env, vals[i], &bufs[i])) {
        n = 0;
        break;
      }
    }
  } else {
    vals[0] = argv[1];
    if (!buf_of(env, argv[1], &bufs[0])) n = 0;
  }
  int32_t result;
  if (n == 0) {
    result = UV_EINVAL;
  } else {
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += bufs[i].len;
    int r = uv_try_write(&s->h.stream, bufs, n);
    if (r == UV_EAGAIN || r == UV_ENOSYS) r = 0;
    if (r < 0) {
      result = r;
    } else if ((size_t)r == total) {
      result = 0;
    } else {
      /* the rest through uv_write, its buffers held until on_write */
      size_t done = (size_t)r;
      uint32_t first = 0;
      while (first < n && done >= bufs[first].len) {
        done -= bufs[first].len;
        first++;
      }
      bufs[first].base += done;
      bufs[first].len -= done;
      uint32_t count = n - first;
      pwrite* w = malloc(sizeof(pwrite) + (count - 1) * sizeof(napi_ref));
      if (w == NULL) {
        result = UV_ENOMEM;
      } else {
        w->sock = s;
        w->nrefs = 0;
        for (uint32_t i = 0; i < count; i++) {
          if (napi_create_reference(env, vals[first + i], 1, &w->refs[w->nrefs]) == napi_ok) w->nrefs++;
        }
        int wr = uv_write(&w->req, &s->h.stream, bufs + first, count, on_write);
        if (wr != 0) {
          for (uint32_t i = 0; i < w->nrefs; i++) napi_delete_reference(env, w->refs[i]);
          free(w);
          result = wr;
        } else {
          s->writes++;
          result = 1;
        }
      }
    }
  }
  if (bufs != stack_bufs) free(bufs);
  if (vals != stack_vals) free(vals);
  return int_value(env, result);
}

static void on_shutdown(uv_shutdown_t* req, int status) {
  (void)req;
  (void)status;
}

/* shutdown(id): FIN after the writes handed on. */
static napi_value js_shutdown(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  psock* s = sock_args(env, info, &argc, argv);
  if (s == NULL) return int_value(env, UV_EBADF);
  if (s->shutting_down) return int_value(env, 0);
  int r = uv_shutdown(&s->shutdown_req, &s->h.stream, on_shutdown);
  if (r == 0) s->shutting_down = 1;
  return int_value(env, r);
}

/* close(id): lets go of the handle at once; no record for it follows. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  psock* s = sock_args(env, info, &argc, argv);
  if (s != NULL) close_sock(s);
  return NULL;
}

/* ---------- connect, listen, accept ---------- */

static void on_connect(uv_connect_t* req, int status) {
  psock* s = req->data;
  if (!s->closing) push_event(s->state, s->id, EV_CONNECT, status);
}

static int sockaddr_of(napi_env env, napi_value host, napi_value port, struct sockaddr_storage* addr) {
  char text[64];
  size_t len = 0;
  int32_t p = 0;
  if (napi_get_value_string_utf8(env, host, text, sizeof text, &len) != napi_ok) return UV_EINVAL;
  if (napi_get_value_int32(env, port, &p) != napi_ok || p < 0 || p > 65535) return UV_EINVAL;
  if (uv_ip4_addr(text, p, (struct sockaddr_in*)addr) == 0) return 0;
  if (uv_ip6_addr(text, p, (struct sockaddr_in6*)addr) == 0) return 0;
  return UV_EINVAL;
}

static int path_of(napi_env env, napi_value v, char* out, size_t size) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, out, size, &len) != napi_ok) return UV_EINVAL;
  if (len + 1 >= size) return UV_ENAMETOOLONG;
  return 0;
}

/* open(isPipe): a new unconnected socket's id, or a negative libuv status. */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool is_pipe = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) napi_get_value_bool(env, argv[0], &is_pipe);
  psock* s = new_sock(state_of(env), is_pipe ? 1 : 0);
  return int_value(env, s == NULL ? UV_ENOMEM : s->id);
}

/* connect(id, host, port) for TCP, connect(id, path) for a pipe: 0 (an EV_CONNECT record follows) or a libuv status. */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  psock* s = sock_args(env, info, &argc, argv);
  if (s == NULL) return int_value(env, UV_EBADF);
  s->connect_req.data = s;
  if (s->is_pipe) {
    char path[1024];
    int r = path_of(env, argv[1], path, sizeof path);
    if (r != 0) return int_value(env, r);
    uv_pipe_connect(&s->connect_req, &s->h.pipe, path, on_connect);
    return int_value(env, 0);
  }
  struct sockaddr_storage addr;
  int r = sockaddr_of(env, argv[1], argv[2], &addr);
  if (r == 0) r = uv_tcp_connect(&s->connect_req, &s->h.tcp, (struct sockaddr*)&addr, on_connect);
  return int_value(env, r);
}

static void on_connection(uv_stream_t* server, int status) {
  psock* srv = server->data;
  pstate* st = srv->state;
  if (status < 0) {
    push_event(st, srv->id, EV_ACCEPT, status);
    return;
  }
  psock* c = new_sock(st, srv->is_pipe);
  if (c == NULL) {
    push_event(st, srv->id, EV_ACCEPT, UV_ENOMEM);
    return;
  }
  int r = uv_accept(server, &c->h.stream);
  if (r != 0) {
    close_sock(c);
    push_event(st, srv->id, EV_ACCEPT, r);
    return;
  }
  push_event(st, srv->id, EV_ACCEPT, c->id);
}

/* bind(host, port, flags?) / bind(path): a bound server socket's id, or a negative libuv status.
 * flags are uv_tcp_bind's (UV_TCP_REUSEPORT is 2 from libuv 1.49; the running libuv is Node's). */
static napi_value js_bind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t flags = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 2) napi_get_value_int32(env, argv[2], &flags);
  pstate* st = state_of(env);
  napi_valuetype t1 = napi_undefined;
  if (argc > 1) napi_typeof(env, argv[1], &t1);
  int is_pipe = t1 == napi_undefined;
  int r;
  struct sockaddr_storage addr;
  char path[1024];
  if (is_pipe) r = path_of(env, argv[0], path, sizeof path);
  else r = sockaddr_of(env, argv[0], argv[1], &addr);
  if (r != 0) return int_value(env, r);
  psock* s = new_sock(st, is_pipe);
  if (s == NULL) return int_value(env, UV_ENOMEM);
  r = is_pipe ? uv_pipe_bind(&s->h.pipe, path) : uv_tcp_bind(&s->h.tcp, (struct sockaddr*)&addr, (unsigned int)flags);
  if (r != 0) {
    close_sock(s);
    return int_value(env, r);
  }
  return int_value(env, s->id);
}

/* listen(id, backlog): 0 or a libuv status; EV_ACCEPT records follow. */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t backlog = 511;
  psock* s = sock_args(env, info, &argc, argv);
  if (s == NULL) return int_value(env, UV_EBADF);
  napi_get_value_int32(env, argv[1], &backlog);
  return int_value(env, uv_listen(&s->h.stream, backlog, on_connection));
}

/* ---------- endpoints and options ---------- */

/* address(id, peer): { address, port, family } of a TCP socket, or a negative libuv status. */
static napi_value js_address(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  bool peer = false;
  psock* s = sock_args(env, info, &argc, argv);
  if (s == NULL) return int_value(env, UV_EBADF);
  if (s->is_pipe) return int_value(env, UV_EINVAL);
  if (argc > 1) napi_get_value_bool(env, argv[1], &peer);
  struct sockaddr_storage addr;
  int len = sizeof addr;
  int r = peer ? uv_tcp_getpeername(&s->h.tcp, (struct sockaddr*)&addr, &len) : uv_tcp_getsockname(&s->h.tcp, (struct sockaddr*)&addr, &len);
  if (r != 0) return int_value(env, r);
  char name[64] = "";
  int port;
  const char* family;
  if (addr.ss_family == AF_INET6) {
    struct sockaddr_in6* a6 = (struct sockaddr_in6*)&addr;
    uv_ip6_name(a6, name, sizeof name);
    port = ntohs(a6->sin6_port);
    family = "IPv6";
  } else {
    struct sockaddr_in* a4 = (struct sockaddr_in*)&addr;
    uv_ip4_name(a4, name, sizeof name);
    port = ntohs(a4->sin_port);
    family = "IPv4";
  }
  napi_value out, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "address", v));
  CHECK(napi_set_named_property(env, out, "port", int_value(env, port)));
  CHECK(napi_create_string_utf8(env, family, NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "family", v));
  return out;
}

/* setNoDelay(id, on) / setKeepAlive(id, on, delaySeconds): 0 or a libuv status. */
static napi_value js_set_option(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void* which = NULL;
  bool on = false;
  int32_t delay = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, &which));
  psock* s = sock_of(state_of(env), env, argv[0]);
  if (s == NULL) return int_value(env, UV_EBADF);
  if (s->is_pipe) return int_value(env, 0);
  napi_get_value_bool(env, argv[1], &on);
  if (which == NULL) return int_value(env, uv_tcp_nodelay(&s->h.tcp, on));
  if (argc > 2) napi_get_value_int32(env, argv[2], &delay);
  return int_value(env, uv_tcp_keepalive(&s->h.tcp, on, delay < 1 ? 1 : (unsigned int)delay));
}

/* fileno(id): the descriptor (for tests and diagnostics), or a negative libuv status. */
static napi_value js_fileno(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  psock* s = sock_args(env, info, &argc, argv);
  if (s == NULL) return int_value(env, UV_EBADF);
  uv_os_fd_t fd;
  int r = uv_fileno(&s->h.handle, &fd);
  return int_value(env, r != 0 ? r : (int32_t)fd);
}

/* openHandles(): sockets and servers not yet closed by libuv (for leak checks). */
static napi_value js_open_handles(napi_env env, napi_callback_info info) {
  (void)info;
  return int_value(env, (int32_t)state_of(env)->open_handles);
}

/* ---------- datagrams: speculative system calls on a UDP socket's descriptor ----------
 *
 * A datagram socket stays a Node UDP handle (bind, options, connect, close
 * and the wait for readability are Node's); these two calls read or send
 * one datagram on its descriptor at once, without waiting, as asio tries an
 * operation before it waits for readiness. A datagram read this way lands
 * in the caller's buffer, with no Node buffer, sender object or callback
 * made for it. Nothing is kept after the call returns.
 */

#ifndef _WIN32
static int32_t status_of_errno(int e) {
  return e == EWOULDBLOCK ? UV_EAGAIN : -e; /* libuv's statuses are negated errno values on Unix */
}

/* The descriptor and the typed array of a call (fd, buf, ...); 0 when either is not what it should be. */
static int fd_and_buf(napi_env env, napi_value* argv, int32_t* fd, char** data, size_t* len) {
  bool is_ta = false;
  napi_typedarray_type tt;
  void* base;
  if (napi_get_value_int32(env, argv[0], fd) != napi_ok || *fd < 0) return 0;
  if (napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta) return 0;
  if (napi_get_typedarray_info(env, argv[1], &tt, len, &base, NULL, NULL) != napi_ok) return 0;
  if (tt != napi_uint8_array) return 0;
  *data = base;
  return 1;
}

/*
 * udpReceive(fd, buf): the length of one datagram read now into buf (cut to
 * buf's length, the rest of it dropped, as recvfrom does), with its sender
 * in the udpFrom array: [family 4 or 6, port, 4 address words (network
 * order), scope id]. UV_EAGAIN when none is waiting, or another libuv
 * status (ECONNREFUSED on a connected socket after an ICMP error).
 */
static napi_value js_udp_receive(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  char* data;
  size_t len;
  if (argc < 2 || !fd_and_buf(env, argv, &fd, &data, &len)) return int_value(env, UV_EINVAL);
  struct sockaddr_storage addr;
  socklen_t alen;
  ssize_t n;
  do {
    alen = sizeof addr;
    n = recvfrom(fd, len == 0 ? NULL : data, len, MSG_DONTWAIT, (struct sockaddr*)&addr, &alen);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return int_value(env, status_of_errno(errno));
  pstate* st = state_of(env);
  int32_t* from = st->from;
  memset(from, 0, 7 * sizeof(int32_t));
  memcpy(&st->from_addr, &addr, alen < sizeof addr ? alen : sizeof addr);
  if (addr.ss_family == AF_INET6) {
    struct sockaddr_in6* a6 = (struct sockaddr_in6*)&addr;
    from[0] = 6;
    from[1] = ntohs(a6->sin6_port);
    memcpy(from + 2, &a6->sin6_addr, 16);
    from[6] = (int32_t)a6->sin6_scope_id;
  } else if (addr.ss_family == AF_INET) {
    struct sockaddr_in* a4 = (struct sockaddr_in*)&addr;
    from[0] = 4;
    from[1] = ntohs(a4->sin_port);
    memcpy(from + 2, &a4->sin_addr, 4);
  }
  return int_value(env, (int32_t)n);
}

/*
 * udpSenderName(): the address of the last datagram's sender as text, as
 * Node writes it (inet_ntop; a link-local IPv6 address with its interface
 * after '%'). Called only when the udpFrom words name a sender not seen
 * just before, so a stream of datagrams from one peer makes no string.
 */
static napi_value js_udp_sender_name(napi_env env, napi_callback_info info) {
  (void)info;
  pstate* st = state_of(env);
  char ip[INET6_ADDRSTRLEN + UV_IF_NAMESIZE + 2] = "";
  if (st->from_addr.ss_family == AF_INET6) {
    struct sockaddr_in6* a6 = (struct sockaddr_in6*)&st->from_addr;
    uv_inet_ntop(AF_INET6, &a6->sin6_addr, ip, sizeof ip);
    if (IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr) && a6->sin6_scope_id > 0) {
      size_t at = strlen(ip);
      size_t rest = sizeof ip - at - 1;
      ip[at] = '%';
      if (uv_if_indextoiid(a6->sin6_scope_id, ip + at + 1, &rest) != 0) ip[at] = '\0';
    }
  } else if (st->from_addr.ss_family == AF_INET) {
    uv_inet_ntop(AF_INET, &((struct sockaddr_in*)&st->from_addr)->sin_addr, ip, sizeof ip);
  }
  napi_value out;
  CHECK(napi_create_string_latin1(env, ip, NAPI_AUTO_LENGTH, &out));
  return out;
}

/*
 * udpSend(fd, buf, host, port): sends buf as one datagram now, to host:port
 * (an IP address in text), or to the connected peer when host is ''. The
 * bytes sent, UV_EAGAIN when the socket's send buffer is full (nothing was
 * sent), or another libuv status (EMSGSIZE, EACCES for a broadcast
 * address without SO_BROADCAST, ...).
 */
static napi_value js_udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  char* data;
  size_t len;
  if (argc < 4 || !fd_and_buf(env, argv, &fd, &data, &len)) return int_value(env, UV_EINVAL);
  pstate* st = state_of(env);
  char host[64];
  size_t hlen = 0;
  int32_t port = 0;
  if (napi_get_value_string_utf8(env, argv[2], host, sizeof host, &hlen) != napi_ok || hlen + 1 >= sizeof host) return int_value(env, UV_EINVAL);
  if (napi_get_value_int32(env, argv[3], &port) != napi_ok || port < 0 || port > 65535) return int_value(env, UV_EINVAL);
  const struct sockaddr* to = NULL;
  socklen_t tolen = 0;
  if (hlen > 0) {
    /* the address text is parsed only when it is not the last one sent to */
    if (port != st->send_port || strcmp(host, st->send_host) != 0) {
      st->send_host[0] = '\0';
      if (uv_ip4_addr(host, port, (struct sockaddr_in*)&st->send_addr) != 0 &&
          uv_ip6_addr(host, port, (struct sockaddr_in6*)&st->send_addr) != 0)
        return int_value(env, UV_EINVAL);
      memcpy(st->send_host, host, hlen + 1);
      st->send_port = port;
    }
    to = (const struct sockaddr*)&st->send_addr;
    tolen = st->send_addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  }
  ssize_t n;
  do {
    n = sendto(fd, data, len, MSG_DONTWAIT, to, tolen);
  } while (n < 0 && errno == EINTR);
  return int_value(env, n < 0 ? status_of_errno(errno) : (int32_t)n);
}
#endif

/* ---------- setup ---------- */

static void on_check_close(uv_handle_t* handle) {
  pstate* st = handle->data;
  st->check_closed = 1; /* the state goes with the last handle closed after teardown */
  if (st->open_handles == 0) finish_teardown(st);
}

/* The environment (the process, or a worker thread) is going away: close every handle. Node waits,
 * running the loop, until finish_teardown removes this hook. */
static void teardown(napi_async_cleanup_hook_handle cleanup, void* data) {
  pstate* st = data;
  st->cleanup = cleanup;
  st->torn_down = 1;
  for (uint32_t i = 0; i < st->nslots; i++) {
    psock* s = st->slots[i];
    if (s != NULL) close_sock(s);
  }
  if (st->deliver != NULL) napi_delete_reference(st->env, st->deliver);
  if (st->resource != NULL) napi_delete_reference(st->env, st->resource);
  if (st->events_ref != NULL) napi_delete_reference(st->env, st->events_ref);
  if (st->from_ref != NULL) napi_delete_reference(st->env, st->from_ref);
  if (st->async != NULL) napi_async_destroy(st->env, st->async);
  st->deliver = st->resource = st->events_ref = st->from_ref = NULL;
  st->async = NULL;
  uv_close((uv_handle_t*)&st->check, on_check_close);
}

/* start(deliver): deliver(count) receives each batch; returns the Int32Array of records. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pstate* st = state_of(env);
  if (st->deliver != NULL) {
    napi_throw_error(env, "ERR_PROACTOR_NATIVE", "start: already started");
    return NULL;
  }
  napi_valuetype type;
  CHECK(napi_typeof(env, argv[0], &type));
  if (type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "start: expected a function");
    return NULL;
  }
  napi_value resource, name, array, buffer;
  void* data;
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_string_utf8(env, "proactor:native", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, resource, name, &st->async));
  CHECK(napi_create_reference(env, resource, 1, &st->resource));
  CHECK(napi_create_reference(env, argv[0], 1, &st->deliver));
  CHECK(napi_create_arraybuffer(env, 3 * BATCH_CAPACITY * sizeof(int32_t), &data, &buffer));
  CHECK(napi_create_typedarray(env, napi_int32_array, 3 * BATCH_CAPACITY, buffer, 0, &array));
  CHECK(napi_create_reference(env, array, 1, &st->events_ref));
  st->events = data;
  return array;
}

static napi_value make_fn(napi_env env, napi_value exports, const char* name, napi_callback cb, void* data) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, data, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, name, fn) != napi_ok) return NULL;
  return fn;
}

static napi_value init(napi_env env, napi_value exports) {
  pstate* st = calloc(1, sizeof(pstate));
  if (st == NULL) {
    napi_throw_error(env, "ERR_PROACTOR_NATIVE", "out of memory");
    return NULL;
  }
  st->env = env;
  if (napi_get_uv_event_loop(env, &st->loop) != napi_ok || st->loop == NULL) {
    free(st);
    napi_throw_error(env, "ERR_PROACTOR_NATIVE", "no libuv loop");
    return NULL;
  }
  if (napi_add_async_cleanup_hook(env, teardown, st, NULL) != napi_ok) {
    free(st);
    napi_throw_error(env, "ERR_PROACTOR_NATIVE", "could not register the environment cleanup hook");
    return NULL;
  }
  uv_check_init(st->loop, &st->check);
  st->check.data = st;
  uv_check_start(&st->check, on_check);
  uv_unref((uv_handle_t*)&st->check); /* never keeps the process alive by itself */
  napi_set_instance_data(env, st, NULL, NULL);
  static int keepalive_tag;
  make_fn(env, exports, "start", js_start, NULL);
  make_fn(env, exports, "open", js_open, NULL);
  make_fn(env, exports, "connect", js_connect, NULL);
  make_fn(env, exports, "bind", js_bind, NULL);
  make_fn(env, exports, "listen", js_listen, NULL);
  make_fn(env, exports, "readStart", js_read_start, NULL);
  make_fn(env, exports, "readStop", js_read_stop, NULL);
  make_fn(env, exports, "write", js_write, NULL);
  make_fn(env, exports, "shutdown", js_shutdown, NULL);
  make_fn(env, exports, "close", js_close, NULL);
  make_fn(env, exports, "address", js_address, NULL);
  make_fn(env, exports, "setNoDelay", js_set_option, NULL);
  make_fn(env, exports, "setKeepAlive", js_set_option, &keepalive_tag);
  make_fn(env, exports, "fileno", js_fileno, NULL);
  make_fn(env, exports, "openHandles", js_open_handles, NULL);
  napi_value v;
  napi_create_int32(env, BATCH_CAPACITY, &v);
  napi_set_named_property(env, exports, "batchCapacity", v);
#ifndef _WIN32
  napi_value from_buffer, from_array;
  void* from_data;
  if (napi_create_arraybuffer(env, 8 * sizeof(int32_t), &from_data, &from_buffer) == napi_ok &&
      napi_create_typedarray(env, napi_int32_array, 8, from_buffer, 0, &from_array) == napi_ok &&
      napi_create_reference(env, from_array, 1, &st->from_ref) == napi_ok) {
    st->from = from_data;
    napi_set_named_property(env, exports, "udpFrom", from_array);
    make_fn(env, exports, "udpReceive", js_udp_receive, NULL);
    make_fn(env, exports, "udpSend", js_udp_send, NULL);
    make_fn(env, exports, "udpSenderName", js_udp_sender_name, NULL);
  }
#endif
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
