// Batched UDP for aop's DNS listeners: one readable-poll callback takes up to `batch` datagrams with
// one recvmmsg(2), JavaScript answers them into a shared buffer in one call, and one sendmmsg(2)
// sends the answers. node:dgram costs a JavaScript callback, a Buffer and a send per packet; that
// is the ceiling the benchmarks show (see README.md). Linux only; elsewhere aop uses node:dgram.
//
// The buffers are JavaScript's (ArrayBuffers handed over at open and held by reference), so no
// memory crosses in either direction per packet. Per slot i, `meta` holds 8 int32:
//   [0] bytes received (-1: datagram dropped, larger than the slot)   [1] bytes to send back (0: none)
//   [2] address family (4 or 6)   [3] source port   [4..7] source address, network order
// and `text` holds the source address as text (inet_ntop), NUL-terminated, TEXT_SLOT bytes per slot.

#include <node_api.h>
#include <uv.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define META 8
#define TEXT_SLOT 48
// Batches taken per wake-up before the loop gets a turn (timers, TCP, other sockets).
#define ROUNDS 8

typedef struct {
  napi_env env;
  int fd;
  int family;
  uv_poll_t poll;
  int poll_started;
  int poll_closed;
  int finalized;
  int closed;
  int in_callback;
  unsigned batch;
  // Datagrams in the batch being answered (what flush may send).
  unsigned batch_n;
  unsigned in_slot;
  unsigned out_slot;
  uint8_t *in;
  uint8_t *out;
  int32_t *meta;
  char *text;
  struct mmsghdr *rmsgs;
  struct iovec *riov;
  struct sockaddr_storage *addrs;
  struct mmsghdr *smsgs;
  struct iovec *siov;
  napi_ref refs[4];
  napi_ref callback;
  napi_async_context async;
  // Counters, read by JavaScript (tests and metrics): system calls and what they carried.
  double recv_calls, received, send_calls, sent, send_errors, oversize;
} udp_t;

static const char *errno_code(int e) {
  switch (e) {
    case ECONNREFUSED: return "ECONNREFUSED";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOBUFS: return "ENOBUFS";
    case EADDRINUSE: return "EADDRINUSE";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    default: return NULL;
  }
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  napi_value code, msg, error;
  const char *name = errno_code(err) ? errno_code(err) : "ERR_UDP_BATCH";
  char text[160];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_value n;
  napi_create_int32(env, err, &n);
  napi_set_named_property(env, error, "errno", n);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

// `host` (an IP literal of `family`) and `port` as a socket address; 0 when host is not one.
static int to_sockaddr(int family, const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    *len = sizeof *a;
    return inet_pton(AF_INET, host, &a->sin_addr) == 1;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons((uint16_t)port);
  *len = sizeof *a;
  return inet_pton(AF_INET6, host, &a->sin6_addr) == 1;
}

static void release(udp_t *u) {
  for (int i = 0; i < 4; i++) if (u->refs[i]) { napi_delete_reference(u->env, u->refs[i]); u->refs[i] = NULL; }
  if (u->callback) { napi_delete_reference(u->env, u->callback); u->callback = NULL; }
  if (u->async) { napi_async_destroy(u->env, u->async); u->async = NULL; }
}

static void free_udp(udp_t *u) {
  free(u->rmsgs); free(u->riov); free(u->addrs); free(u->smsgs); free(u->siov);
  free(u);
}

// The struct is freed when both libuv is done with the poll handle and JavaScript's handle is
// collected, whichever comes last.
static void maybe_free(udp_t *u) {
  if (u->finalized && (!u->poll_started || u->poll_closed)) free_udp(u);
}

static void on_poll_closed(uv_handle_t *h) {
  udp_t *u = (udp_t *)h->data;
  u->poll_closed = 1;
  maybe_free(u);
}

// Stop polling and close the socket. The poll handle is closed (not just stopped) before the
// descriptor: a handle left open would, when closed later, take the descriptor's number out of
// epoll, and by then that number may be a new socket's.
static void shut(udp_t *u) {
  if (u->closed) return;
  u->closed = 1;
  if (u->poll_started) uv_close((uv_handle_t *)&u->poll, on_poll_closed);
  if (u->fd >= 0) {
    close(u->fd);
    u->fd = -1;
  }
}

static void finalize(napi_env env, void *data, void *hint) {
  udp_t *u = (udp_t *)data;
  if (!u->closed) {
    // Collected without close(): the references die with the handle's owner anyway.
    u->refs[0] = u->refs[1] = u->refs[2] = u->refs[3] = NULL;
    u->callback = NULL;
    u->async = NULL;
    shut(u);
  }
  u->finalized = 1;
  maybe_free(u);
}

// Send the answers written into slots 0..n-1 and mark them sent (length 0), so a flush from
// JavaScript during the batch call and the send after it never send one answer twice.
static int send_batch(udp_t *u, unsigned n) {
  unsigned k = 0;
  for (unsigned i = 0; i < n; i++) {
    int32_t len = u->meta[i * META + 1];
    if (len == 0) continue;
    u->meta[i * META + 1] = 0;
    if (len < 0 || (unsigned)len > u->out_slot) continue;
    u->siov[k].iov_base = u->out + (size_t)i * u->out_slot;
    u->siov[k].iov_len = (size_t)len;
    memset(&u->smsgs[k].msg_hdr, 0, sizeof(struct msghdr));
    u->smsgs[k].msg_hdr.msg_name = &u->addrs[i];
    u->smsgs[k].msg_hdr.msg_namelen = u->family == 6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    u->smsgs[k].msg_hdr.msg_iov = &u->siov[k];
    u->smsgs[k].msg_hdr.msg_iovlen = 1;
    k++;
  }
  unsigned done = 0;
  while (done < k) {
    int r = sendmmsg(u->fd, u->smsgs + done, k - done, MSG_DONTWAIT);
    u->send_calls++;
    if (r < 0) {
      if (errno == EINTR) continue;
      // A full send buffer (EAGAIN) drops the rest, as the kernel would drop a datagram; a bad
      // destination (one client) must not cost the others their answers: skip it.
      u->send_errors++;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) { u->send_errors += k - done - 1; break; }
      done++;
      continue;
    }
    u->sent += r;
    done += (unsigned)r;
  }
  return 0;
}

static void fill_meta(udp_t *u, unsigned i, unsigned len, int trunc) {
  int32_t *m = u->meta + i * META;
  m[0] = trunc ? -1 : (int32_t)len;
  m[1] = 0;
  char *t = u->text + (size_t)i * TEXT_SLOT;
  if (u->addrs[i].ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&u->addrs[i];
    m[2] = 6;
    m[3] = ntohs(a->sin6_port);
    memcpy(&m[4], &a->sin6_addr, 16);
    inet_ntop(AF_INET6, &a->sin6_addr, t, TEXT_SLOT);
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&u->addrs[i];
    m[2] = 4;
    m[3] = ntohs(a->sin_port);
    memcpy(&m[4], &a->sin_addr, 4);
    m[5] = m[6] = m[7] = 0;
    inet_ntop(AF_INET, &a->sin_addr, t, TEXT_SLOT);
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  udp_t *u = (udp_t *)h->data;
  if (status < 0 || u->closed) return;
  napi_env env = u->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  for (int round = 0; round < ROUNDS && !u->closed; round++) {
    for (unsigned i = 0; i < u->batch; i++) {
      u->riov[i].iov_base = u->in + (size_t)i * u->in_slot;
      u->riov[i].iov_len = u->in_slot;
      memset(&u->rmsgs[i].msg_hdr, 0, sizeof(struct msghdr));
      u->rmsgs[i].msg_hdr.msg_name = &u->addrs[i];
      u->rmsgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
      u->rmsgs[i].msg_hdr.msg_iov = &u->riov[i];
      u->rmsgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(u->fd, u->rmsgs, u->batch, MSG_DONTWAIT, NULL);
    u->recv_calls++;
    if (n < 0) {
      if (errno == EINTR) { round--; continue; }
      break;  // EAGAIN: drained. Any other error concerns one datagram (ICMP); the poll comes again.
    }
    if (n == 0) break;
    u->received += n;
    u->batch_n = (unsigned)n;
    for (unsigned i = 0; i < (unsigned)n; i++) {
      int trunc = (u->rmsgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      if (trunc) u->oversize++;
      fill_meta(u, i, u->rmsgs[i].msg_len, trunc);
    }
    napi_value cb, recv, argv[1], result;
    napi_get_reference_value(env, u->callback, &cb);
    napi_get_global(env, &recv);
    napi_create_uint32(env, (uint32_t)n, &argv[0]);
    u->in_callback = 1;
    napi_status st = napi_make_callback(env, u->async, recv, cb, 1, argv, &result);
    u->in_callback = 0;
    if (st == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
      break;
    }
    if (u->closed) break;
    // What the callback did not flush itself (see js_flush).
    send_batch(u, (unsigned)n);
    if ((unsigned)n < u->batch) break;
  }
  napi_close_handle_scope(env, scope);
}

static int get_buffer(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  if (napi_is_arraybuffer(env, v, &is) != napi_ok || !is) return 0;
  return napi_get_arraybuffer_info(env, v, data, len) == napi_ok;
}

// open(family, host, port, reusePort, batch, inSlot, outSlot, inBuf, outBuf, metaBuf, textBuf) -> handle
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 11) return throw_type(env, "open: 11 arguments expected");
  int32_t family, port, batch, in_slot, out_slot;
  bool reuse;
  char host[64];
  size_t host_len;
  if (napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6)) return throw_type(env, "open: family must be 4 or 6");
  if (napi_get_value_string_utf8(env, argv[1], host, sizeof host, &host_len) != napi_ok) return throw_type(env, "open: host must be a string");
  if (napi_get_value_int32(env, argv[2], &port) != napi_ok || port < 0 || port > 65535) return throw_type(env, "open: port must be 0-65535");
  if (napi_get_value_bool(env, argv[3], &reuse) != napi_ok) return throw_type(env, "open: reusePort must be a boolean");
  if (napi_get_value_int32(env, argv[4], &batch) != napi_ok || batch < 1 || batch > 1024) return throw_type(env, "open: batch must be 1-1024");
  if (napi_get_value_int32(env, argv[5], &in_slot) != napi_ok || in_slot < 512 || in_slot > 65536) return throw_type(env, "open: inSlot must be 512-65536");
  if (napi_get_value_int32(env, argv[6], &out_slot) != napi_ok || out_slot < 512 || out_slot > 65536) return throw_type(env, "open: outSlot must be 512-65536");
  void *bufs[4];
  size_t lens[4];
  for (int i = 0; i < 4; i++) if (!get_buffer(env, argv[7 + i], &bufs[i], &lens[i])) return throw_type(env, "open: buffers must be ArrayBuffers");
  if (lens[0] < (size_t)batch * in_slot || lens[1] < (size_t)batch * out_slot || lens[2] < (size_t)batch * META * 4 || lens[3] < (size_t)batch * TEXT_SLOT)
    return throw_type(env, "open: a buffer is smaller than batch x slot");

  struct sockaddr_storage ss;
  socklen_t sslen;
  if (!to_sockaddr(family, host, port, &ss, &sslen)) return throw_type(env, family == 4 ? "open: host is not an IPv4 address" : "open: host is not an IPv6 address");
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) { int e = errno; close(fd); return throw_errno(env, "SO_REUSEPORT", e); }
  if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) { int e = errno; close(fd); return throw_errno(env, "bind", e); }

  udp_t *u = calloc(1, sizeof *u);
  if (!u) { close(fd); return throw_errno(env, "calloc", ENOMEM); }
  u->env = env; u->fd = fd; u->family = family; u->batch = (unsigned)batch;
  u->in_slot = (unsigned)in_slot; u->out_slot = (unsigned)out_slot;
  u->in = bufs[0]; u->out = bufs[1]; u->meta = bufs[2]; u->text = bufs[3];
  u->rmsgs = calloc(batch, sizeof *u->rmsgs); u->riov = calloc(batch, sizeof *u->riov);
  u->addrs = calloc(batch, sizeof *u->addrs); u->smsgs = calloc(batch, sizeof *u->smsgs);
  u->siov = calloc(batch, sizeof *u->siov);
  if (!u->rmsgs || !u->riov || !u->addrs || !u->smsgs || !u->siov) { close(fd); free_udp(u); return throw_errno(env, "calloc", ENOMEM); }
  for (int i = 0; i < 4; i++) napi_create_reference(env, argv[7 + i], 1, &u->refs[i]);
  napi_value handle;
  napi_create_external(env, u, finalize, NULL, &handle);
  return handle;
}

static udp_t *unwrap(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  napi_get_value_external(env, v, &data);
  return (udp_t *)data;
}

// The handle of a call that takes it alone (port, flush, close, counters); NULL with a TypeError
// `what` thrown when the argument is not one.
static udp_t *sole_handle(napi_env env, napi_callback_info info, const char *what) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *u = argc ? unwrap(env, argv[0]) : NULL;
  if (!u) throw_type(env, what);
  return u;
}

// port(handle) -> the bound port (the kernel's choice when 0 was asked)
static napi_value js_port(napi_env env, napi_callback_info info) {
  udp_t *u = sole_handle(env, info, "port: an open handle expected");
  if (!u) return NULL;
  if (u->closed) return throw_type(env, "port: an open handle expected");
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(u->fd, (struct sockaddr *)&ss, &len) < 0) return throw_errno(env, "getsockname", errno);
  int port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) : ntohs(((struct sockaddr_in *)&ss)->sin_port);
  napi_value out;
  napi_create_int32(env, port, &out);
  return out;
}

// start(handle, callback(n)): poll for datagrams; callback answers slots 0..n-1 in place.
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *u = argc == 2 ? unwrap(env, argv[0]) : NULL;
  napi_valuetype t;
  if (!u || u->closed) return throw_type(env, "start: an open handle expected");
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) return throw_type(env, "start: callback must be a function");
  if (u->poll_started) return throw_type(env, "start: already started");
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  napi_create_reference(env, argv[1], 1, &u->callback);
  napi_value name;
  napi_create_string_utf8(env, "aop:udp-batch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &u->async);
  int r = uv_poll_init(loop, &u->poll, u->fd);
  if (r < 0) return throw_errno(env, "uv_poll_init", -r);
  u->poll.data = u;
  u->poll_started = 1;
  r = uv_poll_start(&u->poll, UV_READABLE, on_readable);
  if (r < 0) return throw_errno(env, "uv_poll_start", -r);
  return NULL;
}

// sendTo(handle, bytes: Uint8Array, port, host): one datagram, for answers made after the batch.
static napi_value js_send_to(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_t *u = argc == 4 ? unwrap(env, argv[0]) : NULL;
  if (!u) return throw_type(env, "sendTo: a handle expected");
  if (u->closed) return NULL;  // closing: answers still in progress are dropped, as dgram's would be
  bool is;
  napi_is_typedarray(env, argv[1], &is);
  if (!is) return throw_type(env, "sendTo: bytes must be a Uint8Array");
  napi_typedarray_type tt;
  size_t len, off;
  void *data;
  napi_value ab;
  napi_get_typedarray_info(env, argv[1], &tt, &len, &data, &ab, &off);
  int32_t port;
  char host[64];
  size_t host_len;
  if (napi_get_value_int32(env, argv[2], &port) != napi_ok || port < 0 || port > 65535) return throw_type(env, "sendTo: port must be 0-65535");
  if (napi_get_value_string_utf8(env, argv[3], host, sizeof host, &host_len) != napi_ok) return throw_type(env, "sendTo: host must be a string");
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (!to_sockaddr(u->family, host, port, &ss, &sslen)) return throw_type(env, u->family == 4 ? "sendTo: host is not an IPv4 address" : "sendTo: host is not an IPv6 address");
  u->send_calls++;
  if (sendto(u->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sslen) < 0) u->send_errors++;
  else u->sent++;
  return NULL;
}

// flush(handle): during the batch call, send the answers written so far with one sendmmsg now.
// The listener calls it once the stored answers are in, before it starts the slow ones (their
// synchronous part and the promise reactions the callback's return runs): a stored answer does
// not wait for another query's full lookup. Outside a batch call it does nothing.
static napi_value js_flush(napi_env env, napi_callback_info info) {
  udp_t *u = sole_handle(env, info, "flush: a handle expected");
  if (!u) return NULL;
  if (u->closed || !u->in_callback) return NULL;
  send_batch(u, u->batch_n);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  udp_t *u = sole_handle(env, info, "close: a handle expected");
  if (!u) return NULL;
  release(u);
  shut(u);
  return NULL;
}

static void set_num(napi_env env, napi_value obj, const char *name, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

// counters(handle) -> { recvCalls, received, sendCalls, sent, sendErrors, oversize }
static napi_value js_counters(napi_env env, napi_callback_info info) {
  udp_t *u = sole_handle(env, info, "counters: a handle expected");
  if (!u) return NULL;
  napi_value obj;
  napi_create_object(env, &obj);
  set_num(env, obj, "recvCalls", u->recv_calls);
  set_num(env, obj, "received", u->received);
  set_num(env, obj, "sendCalls", u->send_calls);
  set_num(env, obj, "sent", u->sent);
  set_num(env, obj, "sendErrors", u->send_errors);
  set_num(env, obj, "oversize", u->oversize);
  return obj;
}


// ---- upstream queries: one connected socket per query, all in C ------------------------------
// exchange(family, host, port, query, onReply) -> id. The socket is connect()ed without a bind,
// so the kernel draws a random ephemeral port (RFC 5452), and drops datagrams from any other
// source. onReply(null, reply) for each datagram (JavaScript matches ID and question), or
// onReply(code) for a network error (an ICMP unreachable gives ECONNREFUSED). closeExchange(id)
// ends it. node:dgram costs a handle, an EventEmitter, a connect callback and a send callback per
// query; the resolver asks thousands a second when cold.

typedef struct client_s {
  napi_env env;
  uv_poll_t poll;
  int fd;
  uint32_t id;
  int closed;
  napi_ref callback;
  struct client_s *next;  // in the id table's bucket
} client_t;

#define CLIENT_BUCKETS 4096
typedef struct {
  client_t *buckets[CLIENT_BUCKETS];
  uint32_t next_id;
  napi_async_context async;
  uint8_t *scratch;
  double open, opened;
} clients_t;

static void clients_free(napi_env env, void *data, void *hint) {
  clients_t *c = (clients_t *)data;
  free(c->scratch);
  free(c);
}

static clients_t *clients_of(napi_env env) {
  clients_t *c = NULL;
  napi_get_instance_data(env, (void **)&c);
  if (c) return c;
  c = calloc(1, sizeof *c);
  c->scratch = malloc(65536);
  c->next_id = 1;
  napi_value name;
  napi_create_string_utf8(env, "aop:udp-exchange", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &c->async);
  napi_set_instance_data(env, c, clients_free, NULL);
  return c;
}

static client_t *client_find(clients_t *cs, uint32_t id, client_t ***link) {
  client_t **l = &cs->buckets[id % CLIENT_BUCKETS];
  while (*l && (*l)->id != id) l = &(*l)->next;
  if (link) *link = l;
  return *l;
}

static void client_closed(uv_handle_t *h) {
  free(h->data);
}

static void client_close(clients_t *cs, client_t *c) {
  client_t **link;
  if (client_find(cs, c->id, &link) == c) *link = c->next;
  c->closed = 1;
  if (c->callback) { napi_delete_reference(c->env, c->callback); c->callback = NULL; }
  uv_close((uv_handle_t *)&c->poll, client_closed);
  close(c->fd);
  c->fd = -1;
  cs->open--;
}

static void client_call(client_t *c, napi_value *argv, size_t argc) {
  napi_env env = c->env;
  clients_t *cs = clients_of(env);
  napi_value cb, recv, result;
  if (!c->callback) return;
  napi_get_reference_value(env, c->callback, &cb);
  napi_get_global(env, &recv);
  napi_status st = napi_make_callback(env, cs->async, recv, cb, argc, argv, &result);
  if (st == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
}

static void client_readable(uv_poll_t *h, int status, int events) {
  client_t *c = (client_t *)h->data;
  if (c->closed) return;
  napi_env env = c->env;
  clients_t *cs = clients_of(env);
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  // A few datagrams at most per wake-up: the first that matches ends the exchange.
  for (int i = 0; i < 8 && !c->closed; i++) {
    ssize_t n = recv(c->fd, cs->scratch, 65536, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      napi_value argv[1];
      napi_create_string_utf8(env, errno_code(errno) ? errno_code(errno) : "EIO", NAPI_AUTO_LENGTH, &argv[0]);
      client_call(c, argv, 1);
      break;
    }
    napi_value argv[2];
    napi_get_null(env, &argv[0]);
    void *data;
    napi_create_buffer_copy(env, (size_t)n, cs->scratch, &data, &argv[1]);
    client_call(c, argv, 2);
  }
  napi_close_handle_scope(env, scope);
}

static napi_value js_exchange(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) return throw_type(env, "exchange: 5 arguments expected");
  int32_t family, port;
  char host[64];
  size_t host_len;
  if (napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6)) return throw_type(env, "exchange: family must be 4 or 6");
  if (napi_get_value_string_utf8(env, argv[1], host, sizeof host, &host_len) != napi_ok) return throw_type(env, "exchange: host must be a string");
  if (napi_get_value_int32(env, argv[2], &port) != napi_ok || port < 1 || port > 65535) return throw_type(env, "exchange: port must be 1-65535");
  bool is;
  napi_is_typedarray(env, argv[3], &is);
  if (!is) return throw_type(env, "exchange: query must be a Uint8Array");
  napi_valuetype t;
  if (napi_typeof(env, argv[4], &t) != napi_ok || t != napi_function) return throw_type(env, "exchange: onReply must be a function");
  napi_typedarray_type tt;
  size_t len, off;
  void *data;
  napi_value ab;
  napi_get_typedarray_info(env, argv[3], &tt, &len, &data, &ab, &off);

  struct sockaddr_storage ss;
  socklen_t sslen;
  if (!to_sockaddr(family, host, port, &ss, &sslen)) return throw_type(env, family == 4 ? "exchange: host is not an IPv4 address" : "exchange: host is not an IPv6 address");
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (connect(fd, (struct sockaddr *)&ss, sslen) < 0) { int e = errno; close(fd); return throw_errno(env, "connect", e); }
  if (send(fd, data, len, MSG_DONTWAIT) < 0) { int e = errno; close(fd); return throw_errno(env, "send", e); }
  clients_t *cs = clients_of(env);
  client_t *c = calloc(1, sizeof *c);
  if (!c) { close(fd); return throw_errno(env, "calloc", ENOMEM); }
  c->env = env; c->fd = fd;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int r = uv_poll_init(loop, &c->poll, fd);
  if (r < 0) { close(fd); free(c); return throw_errno(env, "uv_poll_init", -r); }
  c->poll.data = c;
  do { c->id = cs->next_id++; } while (c->id == 0 || client_find(cs, c->id, NULL));
  client_t **link;
  client_find(cs, c->id, &link);
  *link = c;
  napi_create_reference(env, argv[4], 1, &c->callback);
  cs->open++;
  cs->opened++;
  uv_poll_start(&c->poll, UV_READABLE, client_readable);
  napi_value out;
  napi_create_uint32(env, c->id, &out);
  return out;
}

static napi_value js_close_exchange(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t id;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &id) != napi_ok) return throw_type(env, "closeExchange: an id expected");
  clients_t *cs = clients_of(env);
  client_t *c = client_find(cs, id, NULL);
  if (c) client_close(cs, c);
  return NULL;
}

static napi_value js_exchanges(napi_env env, napi_callback_info info) {
  clients_t *cs = clients_of(env);
  napi_value obj;
  napi_create_object(env, &obj);
  set_num(env, obj, "open", cs->open);
  set_num(env, obj, "opened", cs->opened);
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
    {"port", NULL, js_port, NULL, NULL, NULL, napi_default, NULL},
    {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
    {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_default, NULL},
    {"flush", NULL, js_flush, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
    {"counters", NULL, js_counters, NULL, NULL, NULL, napi_default, NULL},
    {"exchange", NULL, js_exchange, NULL, NULL, NULL, napi_default, NULL},
    {"closeExchange", NULL, js_close_exchange, NULL, NULL, NULL, napi_default, NULL},
    {"exchanges", NULL, js_exchanges, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
