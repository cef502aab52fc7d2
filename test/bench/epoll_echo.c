/* The practical limit for the benchmarks: a minimal single-threaded echo
 * server on epoll, with nothing between the socket and the kernel. Each
 * readable connection is read once (up to 64 KiB) and written back; bytes the
 * socket cannot take yet wait in that connection's buffer, and it is not read
 * again until they are gone.
 *
 *   epoll_echo PORT        (listens on 127.0.0.1; prints "listening on ...")
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { chunk = 64 * 1024, max_events = 256 };

struct conn {
  int fd;
  size_t pending, sent; /* bytes waiting to be written back */
  char* buffer;
};

static void drop(int ep, struct conn* c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->buffer);
  free(c);
}

/* Writes what is pending; returns 0 when all of it went, 1 when the socket
 * is full, -1 on error. */
static int flush(struct conn* c) {
  while (c->sent < c->pending) {
    ssize_t n = send(c->fd, c->buffer + c->sent, c->pending - c->sent, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN ? 1 : -1;
    c->sent += (size_t)n;
  }
  c->pending = c->sent = 0;
  return 0;
}

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 9000, one = 1;
  signal(SIGPIPE, SIG_IGN);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
    perror("epoll_echo: listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(lfd, (struct sockaddr*)&addr, &len);
  printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);

  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, events[max_events];
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  for (;;) {
    int n = epoll_wait(ep, events, max_events, -1);
    for (int i = 0; i < n; ++i) {
      struct conn* c = events[i].data.ptr;
      if (c == NULL) { /* the listener */
        int fd;
        while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          c = calloc(1, sizeof *c);
          c->fd = fd;
          c->buffer = malloc(chunk);
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      if (c->pending) { /* EPOLLOUT: finish the last write, then read again */
        int r = flush(c);
        if (r < 0) drop(ep, c);
        if (r == 0) {
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
        }
        continue;
      }
      ssize_t got = recv(c->fd, c->buffer, chunk, 0);
      if (got <= 0) {
        if (got < 0 && errno == EAGAIN) continue;
        drop(ep, c);
        continue;
      }
      c->pending = (size_t)got;
      int r = flush(c);
      if (r < 0) drop(ep, c);
      if (r == 1) {
        struct epoll_event cev = {.events = EPOLLOUT, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
      }
    }
  }
}
