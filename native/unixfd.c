/*
 * Unix-domain sockets whose messages can carry file descriptors (SCM_RIGHTS).
 *
 * Node's net module can neither send nor receive descriptors, and a network service mesh
 * manager wants the pod's network namespace handed over as one, on the very connection
 * that carries the gRPC call (grpcfd). Everything here is non-blocking and driven by a
 * libuv poll handle on the loop Node-API hands us, so no thread of the pool is ever parked
 * on a socket; the stream logic (queues, back-pressure, end of stream) lives in
 * TypeScript (src/grpc/fd/).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

/* At most this many descriptors travel with one message; grpcfd sends one per inode. */
#define MAX_FDS 16

#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    if ((call) != napi_ok) return NULL;                                                                                \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  napi_value code, message, error;
  char text[128];
  snprintf(text, sizeof text, "%s: %s", syscall, strerror(err));
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_throw(env, error);
  return NULL;
}

static napi_value number(napi_env env, int64_t value) {
  napi_value out;
  napi_create_int64(env, value, &out);
  return out;
}

static int fill_address(napi_env env, napi_value path, struct sockaddr_un *addr) {
  size_t length = 0;
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (napi_get_value_string_utf8(env, path, NULL, 0, &length) != napi_ok) return EINVAL;
  /* The path and its NUL must fit: a longer one would be silently cut by the kernel's caller. */
  if (length + 1 > sizeof addr->sun_path) return ENAMETOOLONG;
  napi_get_value_string_utf8(env, path, addr->sun_path, sizeof addr->sun_path, &length);
  return 0;
}

/* connect(path): a connected, non-blocking stream socket. */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  struct sockaddr_un addr;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int err = fill_address(env, argv[0], &addr);
  if (err) return throw_errno(env, err, "connect");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  /* Blocking for the connect itself: on a unix socket it completes at once or fails. */
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    err = errno;
    close(fd);
    return throw_errno(env, err, "connect");
  }
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
    err = errno;
    close(fd);
    return throw_errno(env, err, "fcntl");
  }
  return number(env, fd);
}

/* listen(path, backlog): a listening, non-blocking socket bound at path (which must not exist). */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  struct sockaddr_un addr;
  int32_t backlog = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int err = fill_address(env, argv[0], &addr);
  if (err) return throw_errno(env, err, "bind");
  CHECK(napi_get_value_int32(env, argv[1], &backlog));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, backlog) < 0) {
    err = errno;
    close(fd);
    return throw_errno(env, err, "listen");
  }
  return number(env, fd);
}

/* accept(fd): a new non-blocking connection, or -1 when none is waiting. */
static napi_value js_accept(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (conn < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return number(env, -1);
    return throw_errno(env, errno, "accept");
  }
  return number(env, conn);
}

/*
 * send(fd, bytes, fds): sends what the socket takes now, the descriptors riding with its
 * first byte. Returns the bytes sent, or -1 when the socket is full (nothing was sent and
 * the descriptors are still to go).
 */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void *data;
  size_t length;
  uint32_t count = 0;
  int fds[MAX_FDS];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_buffer_info(env, argv[1], &data, &length));
  CHECK(napi_get_array_length(env, argv[2], &count));
  if (count > MAX_FDS) return throw_errno(env, E2BIG, "send");
  if (length == 0) return throw_errno(env, EINVAL, "send");
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    CHECK(napi_get_element(env, argv[2], i, &item));
    CHECK(napi_get_value_int32(env, item, &fds[i]));
  }
  struct iovec iov = {.iov_base = data, .iov_len = length};
  char control[CMSG_SPACE(sizeof(int) * MAX_FDS)];
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (count > 0) {
    memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * count);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * count);
  }
  ssize_t sent;
  do sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return number(env, -1);
    return throw_errno(env, errno, "sendmsg");
  }
  return number(env, sent);
}

/*
 * recv(fd, buffer): { bytes, fds } with bytes -1 when nothing is waiting and 0 at end of
 * stream. Received descriptors are close-on-exec and belong to the caller.
 */
static napi_value js_recv(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out, list;
  void *data;
  size_t length;
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_buffer_info(env, argv[1], &data, &length));
  struct iovec iov = {.iov_base = data, .iov_len = length};
  char control[CMSG_SPACE(sizeof(int) * MAX_FDS)];
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t got;
  do got = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return throw_errno(env, errno, "recvmsg");
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_array(env, &list));
  uint32_t n = 0;
  if (got >= 0) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int *received = (int *)CMSG_DATA(c);
      for (size_t i = 0; i < k; i++) CHECK(napi_set_element(env, list, n++, number(env, received[i])));
    }
  }
  CHECK(napi_set_named_property(env, out, "bytes", number(env, got < 0 ? -1 : got)));
  CHECK(napi_set_named_property(env, out, "fds", list));
  /* Descriptors beyond MAX_FDS were closed by the kernel; say so instead of losing them quietly. */
  napi_value truncated;
  CHECK(napi_get_boolean(env, got >= 0 && (msg.msg_flags & MSG_CTRUNC) != 0, &truncated));
  CHECK(napi_set_named_property(env, out, "truncated", truncated));
  return out;
}

/* A libuv poll handle on a socket, calling back into JavaScript with readable/writable. */
typedef struct {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
} watcher_t;

static void on_closed(uv_handle_t *handle) {
  watcher_t *w = handle->data;
  napi_delete_reference(w->env, w->callback);
  napi_async_destroy(w->env, w->context);
  free(w);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  watcher_t *w = handle->data;
  napi_handle_scope scope;
  napi_value callback, recv, argv[2];
  napi_open_handle_scope(w->env, &scope);
  napi_get_reference_value(w->env, w->callback, &callback);
  /* make_callback wants an object as `this`. */
  napi_get_global(w->env, &recv);
  argv[0] = number(w->env, status);
  argv[1] = number(w->env, ((events & UV_READABLE) ? 1 : 0) | ((events & UV_WRITABLE) ? 2 : 0) | ((events & UV_DISCONNECT) ? 1 : 0));
  napi_value ignored;
  napi_make_callback(w->env, w->context, recv, callback, 2, argv, &ignored);
  napi_close_handle_scope(w->env, scope);
}

static void finalize_watcher(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  (void)data;
  /* The handle is closed by stop(); a watcher dropped unstopped stays open until the loop ends. */
}

/* watch(fd, callback): a handle for interest(handle, events) and stop(handle). */
static napi_value js_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out, name;
  int32_t fd;
  uv_loop_t *loop;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_uv_event_loop(env, &loop));
  watcher_t *w = calloc(1, sizeof *w);
  if (w == NULL) return throw_errno(env, ENOMEM, "watch");
  int err = uv_poll_init_socket(loop, &w->handle, fd);
  if (err < 0) {
    free(w);
    return throw_errno(env, -err, "uv_poll_init");
  }
  w->env = env;
  w->handle.data = w;
  CHECK(napi_create_reference(env, argv[1], 1, &w->callback));
  CHECK(napi_create_string_utf8(env, "unixfd", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &w->context));
  CHECK(napi_create_external(env, w, finalize_watcher, NULL, &out));
  return out;
}

static watcher_t *watcher_of(napi_env env, napi_value value) {
  void *w = NULL;
  if (napi_get_value_external(env, value, &w) != napi_ok) return NULL;
  return w;
}

/* interest(handle, events): 1 readable, 2 writable, 3 both, 0 none. */
static napi_value js_interest(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t events;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  watcher_t *w = watcher_of(env, argv[0]);
  CHECK(napi_get_value_int32(env, argv[1], &events));
  if (w == NULL) return throw_errno(env, EINVAL, "interest");
  int err = events == 0 ? uv_poll_stop(&w->handle)
                        : uv_poll_start(&w->handle, ((events & 1) ? UV_READABLE | UV_DISCONNECT : 0) | ((events & 2) ? UV_WRITABLE : 0),
                                        on_poll);
  if (err < 0) return throw_errno(env, -err, "uv_poll_start");
  return NULL;
}

/* stop(handle): the handle is closed; its socket may be closed after this returns. */
static napi_value js_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  watcher_t *w = watcher_of(env, argv[0]);
  if (w == NULL) return throw_errno(env, EINVAL, "stop");
  uv_poll_stop(&w->handle);
  if (!uv_is_closing((uv_handle_t *)&w->handle)) uv_close((uv_handle_t *)&w->handle, on_closed);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, errno, "close");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"listen", NULL, js_listen, NULL, NULL, NULL, napi_enumerable, NULL},
      {"accept", NULL, js_accept, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recv", NULL, js_recv, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"interest", NULL, js_interest, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stop", NULL, js_stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
