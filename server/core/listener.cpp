#include "core/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "asio_support.hpp"
#include "core/socket_setup.hpp"
#include "frame_codec.hpp"
#include "http/http_session.hpp"
#include "session/session.hpp"
#include "tls/handshake_slot.hpp"
#include "tls/tls_session.hpp"

namespace server {

namespace asio = boost::asio;
using asio::ip::tcp;
using local = asio::local::stream_protocol;

namespace {

std::string describe(const tcp::endpoint& ep) {
  std::ostringstream s;
  s << ep;
  return s.str();
}

[[noreturn]] void fail(const std::string& where, const std::string& why) {
  throw listen_error("cannot listen on " + where + ": " + why);
}

// Connections turned away since the last warning, so that a flood makes
// one line a second, not one per connection.
struct turned_away_log {
  std::uint64_t count = 0;
  std::chrono::steady_clock::time_point last_report;
};

// Over --max-connections: ERROR 4 and a close, costing no session (over TLS
// just the close: nothing can be said before a handshake). What the peer
// already sent is read first, so that the close is a FIN, not a reset that
// could destroy the ERROR before the peer reads it.
template <typename Socket>
void turn_away(Socket& socket, std::size_t max_connections, bool say_busy, turned_away_log& log) {
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  if (say_busy) {
    std::vector<std::byte> busy;
    proto::append_error(busy, 0, proto::error_code::server_busy,
                        "server busy: " + std::to_string(max_connections) +
                            " connections already; try again later");
    socket.write_some(asio::buffer(busy), ec);
  }
  socket.shutdown(Socket::shutdown_send, ec);
  // What the peer sent already, so that the close is not a reset that
  // destroys the ERROR; at most 64 KiB of it: a peer that keeps sending
  // cannot keep worker 0 here.
  std::array<char, 4096> sink;
  for (int i = 0; i < 16 && !ec; ++i) socket.read_some(asio::buffer(sink), ec);
  socket.close(ec);
  ++log.count;
  const auto now = std::chrono::steady_clock::now();
  if (now - log.last_report >= std::chrono::seconds(1)) {
    spdlog::warn("busy: turned away {} connection(s) over --max-connections {}", log.count,
                 max_connections);
    log.count = 0;
    log.last_report = now;
  }
}

}  // namespace

listener::listener(const listen_address& where, const server_config& config,
                   asio::io_context& context, const tls_context_ptr* tls)
    : where_(where), config_(config), tls_(tls) {
  if (where_.kind == transport::unix_socket) {
    open_unix(context);
  } else {
    open_tcp(context);
  }
}

listener::listener(int fd, transport kind, const server_config& config, asio::io_context& context,
                   const tls_context_ptr* tls)
    : config_(config), tls_(tls) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  boost::system::error_code ec;
  if (address.ss_family == AF_UNIX) {
    unix_.emplace(context);
    unix_->assign(local(), fd, ec);
    where_.kind = transport::unix_socket;
    if (!ec) where_.path = unix_->local_endpoint(ec).path();
    name_ = describe_listener(transport::unix_socket, where_.path);
  } else {
    tcp_.emplace(context);
    tcp_->assign(address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
    where_.kind = kind;
    if (!ec) {
      const auto bound = tcp_->local_endpoint(ec);
      port_ = bound.port();
      name_ = describe_listener(kind, describe(bound));
    }
  }
  if (ec) fail("the socket systemd passed (descriptor " + std::to_string(fd) + ")", ec.message());
}

listener::~listener() {
  close();
  if (unix_inode_ != 0) {
    struct stat st {};
    if (::lstat(where_.path.c_str(), &st) == 0 && st.st_ino == unix_inode_) {
      ::unlink(where_.path.c_str());
    }
  }
}

void listener::open_tcp(asio::io_context& context) {
  tcp_.emplace(context);
  boost::system::error_code ec;
  // Bound: the name printed, with the real port when asked for 0.
  const auto done = [&] {
    port_ = tcp_->local_endpoint(ec).port();
    name_ = describe_listener(where_.kind, describe(tcp_->local_endpoint(ec)));
    say_if_backlog_capped(config_.backlog);
  };

  if (where_.host.empty()) {
    const tcp::endpoint any6{asio::ip::address_v6::any(), where_.port};
    if (try_listen(*tcp_, any6, config_, ec)) return done();
    if (ec != asio::error::address_family_not_supported) fail(describe(any6), ec.message());
    const tcp::endpoint any4{asio::ip::address_v4::any(), where_.port};
    if (!try_listen(*tcp_, any4, config_, ec)) fail(describe(any4), ec.message());
    return done();
  }
  // A literal address, or a name to resolve; the first that binds wins.
  tcp::resolver resolver(context);
  const auto results =
      resolver.resolve(where_.host, std::to_string(where_.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) fail(where_.host + ":" + std::to_string(where_.port), ec.message());
  tcp::endpoint last;
  for (const auto& entry : results) {
    last = entry.endpoint();
    if (try_listen(*tcp_, last, config_, ec)) return done();
  }
  fail(describe(last), ec.message());
}

void listener::open_unix(asio::io_context& context) {
  const std::string& path = where_.path;
  name_ = describe_listener(transport::unix_socket, path);
  const std::string where = name_;
  if (path.size() > max_unix_path) {
    fail(where,
         "the path is longer than a Unix socket's " + std::to_string(max_unix_path) + " bytes");
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) fail(where, "a file that is not a socket is in the way");
    // A socket file: another server's, or left behind by one that died.
    local::socket probe(context);
    boost::system::error_code ec;
    probe.connect(local::endpoint(path), ec);
    if (!ec) fail(where, "another server is listening");
    if (ec != asio::error::connection_refused && ec != asio::error::not_found &&
        ec != boost::system::errc::no_such_file_or_directory) {
      fail(where, ec.message());
    }
    spdlog::info("{}: replacing a stale socket file (nobody was listening)", where);
    ::unlink(path.c_str());
  }
  unix_.emplace(context);
  boost::system::error_code ec;
  unix_->open(local(), ec);
  if (ec) fail(where, ec.message());
  // The file is made by bind() with the process's umask: narrow it first, so
  // that the socket is never more open than asked, then set it exactly.
  const mode_t old_mask = ::umask(static_cast<mode_t>(~config_.unix_mode & 0777));
  unix_->bind(local::endpoint(path), ec);
  ::umask(old_mask);
  if (ec) fail(where, ec.message());
  if (::lstat(path.c_str(), &st) == 0) unix_inode_ = st.st_ino;
  if (::chmod(path.c_str(), static_cast<mode_t>(config_.unix_mode)) != 0) {
    fail(where, std::string("cannot set its mode: ") + std::strerror(errno));
  }
  unix_->listen(static_cast<int>(config_.backlog), ec);
  if (ec) fail(where, ec.message());
}

void listener::close() noexcept {
  boost::system::error_code ignored;
  if (tcp_) tcp_->close(ignored);
  if (unix_) unix_->close(ignored);
}

namespace {}  // namespace

void listener::stop_accepting() noexcept {
  const bool kernel_moves_it = tcp_ && config_.reuse_port && kernel_migrates_queue();
  if (*take_queued_ && !kernel_moves_it) {
    try {
      (*take_queued_)();
    } catch (const std::exception& e) {  // out of memory: what is left is reset
      spdlog::warn("{}: taking the accept queue: {}", name_, e.what());
    }
  }
  close();
}

asio::awaitable<void> listener::accept_connections(
    std::span<const std::unique_ptr<worker>> workers) {
  // A PROXY header first (?proxy, or --proxy-protocol for all but --http).
  const bool proxied = where_.proxy || (where_.kind != transport::http && config_.proxy_protocol);
  if (unix_) {
    co_await accept_loop<local::acceptor, unix_stream>(
        *unix_, workers, [proxied](unix_stream socket, worker& owner, const server_config&) {
          start_session(std::move(socket), owner, proxied);
        });
  } else if (where_.kind == transport::http) {
    co_await accept_loop<tcp::acceptor, tcp_stream>(
        *tcp_, workers, [](tcp_stream socket, worker& owner, const server_config&) {
          boost::system::error_code ec;
          socket.set_option(tcp::no_delay(true), ec);
          start_http_session(std::move(socket), owner);
        });
  } else if (where_.kind == transport::tls) {
    co_await accept_loop<tcp::acceptor, tcp_stream>(
        *tcp_, workers,
        [this, proxied](tcp_stream socket, worker& owner, const server_config& live) {
          boost::system::error_code ec;
          socket.set_option(tcp::no_delay(true), ec);
          if (live.keepalive_seconds != 0) set_keepalive(socket, live.keepalive_seconds);
          start_tls_session(std::move(socket), **tls_, owner, proxied,
                            handshake_slot(owner.tls_handshakes(), owner.shared().budget));
        });
  } else {
    co_await accept_loop<tcp::acceptor, tcp_stream>(
        *tcp_, workers, [proxied](tcp_stream socket, worker& owner, const server_config& live) {
          boost::system::error_code ec;
          socket.set_option(tcp::no_delay(true), ec);  // replies go out when written
          if (live.keepalive_seconds != 0) set_keepalive(socket, live.keepalive_seconds);
          start_session(std::move(socket), owner, proxied);
        });
  }
}

template <typename Acceptor, typename Socket, typename Start>
asio::awaitable<void> listener::accept_loop(Acceptor& acceptor,
                                            std::span<const std::unique_ptr<worker>> workers,
                                            Start start) {
  const session_tracker& tracker = workers[0]->shared().tracker;
  asio::steady_timer backoff(acceptor.get_executor());
  std::size_t next = 0;
  bool starved = false;
  turned_away_log turned_away;
  // A connection accepted onto `owner`'s io_context gets its session there,
  // or is turned away over --max-connections.
  auto take = [&](Socket socket, worker& owner) {
    // The latest reload's settings: this loop runs on worker 0, whose they are.
    const server_config& live = workers[0]->config();
    const std::size_t open = where_.kind == transport::http
                                 ? workers[0]->shared().http_live.load(std::memory_order_relaxed)
                                 : tracker.live();
    bool room = open < live.max_connections;
    if (!room && where_.kind == transport::http) {
      // Full of HTTP connections: the one that has waited longest for its
      // request makes room (worker.hpp), on the first worker from the new
      // one's that has one. Until it has closed, one over the limit.
      for (std::size_t i = 0; i < workers.size() && !room; ++i) {
        worker& w = *workers[(next + i) % workers.size()];
        room = w.reserve_http_eviction();
        if (room) asio::post(w.context(), [&w] { w.evict_http_connection(); });
      }
    }
    if (!room) {
      // Worker 0's counts: this is its thread.
      workers[0]->metrics().refuse(metrics::refusal::max_connections);
      if (where_.kind == transport::tcp || where_.kind == transport::unix_socket) {
        workers[0]->metrics().engine.error(
            static_cast<std::uint16_t>(proto::error_code::server_busy));
      }
      turn_away(socket, live.max_connections,
                where_.kind == transport::tcp || where_.kind == transport::unix_socket,
                turned_away);
      return;
    }
    start(std::move(socket), owner, live);
    next = (next + 1) % workers.size();
  };
  // For stop_accepting(), on this thread while the loop waits: what is
  // queued, without waiting, at most a backlog's worth (a flood cannot keep
  // it going), before the workers hear of the drain.
  *take_queued_ = [&] {
    for (std::size_t i = 0; i < config_.backlog; ++i) {
      worker& owner = *workers[next];
      Socket socket(owner.context());
      boost::system::error_code ec;
      acceptor.non_blocking(true, ec);
      if (!ec) acceptor.accept(socket, ec);
      if (ec) return;
      take(std::move(socket), owner);
    }
  };
  // TLS: the next worker (from `next` on) with a free handshake slot while
  // the budget has room for one more (tls/handshake_slot.hpp); false when
  // there is none, and the connection waits in the listen queue.
  steady_clock::time_point said_full{};
  const auto room_for_a_handshake = [&] {
    if (where_.kind != transport::tls) return true;
    const server_config& live = workers[0]->config();
    if (workers[0]->shared().budget.fits(handshake_slot::charge)) {
      for (std::size_t i = 0; i < workers.size(); ++i) {
        const std::size_t candidate = (next + i) % workers.size();
        if (workers[candidate]->tls_handshakes().load(std::memory_order_relaxed) <
            live.max_tls_handshakes) {
          next = candidate;
          return true;
        }
      }
    }
    const auto now = steady_clock::now();
    if (now - said_full >= std::chrono::seconds(10)) {
      spdlog::warn(
          "{}: {} TLS handshakes in progress on every worker (--max-tls-handshakes), or the "
          "memory budget used up: new TLS connections wait in the listen queue",
          name_, live.max_tls_handshakes);
      said_full = now;
    }
    return false;
  };
  // However the loop ends (even as its io_context is destroyed, after the
  // listener): it refers to this frame.
  struct forget {
    std::shared_ptr<std::function<void()>> f;
    ~forget() { *f = nullptr; }
  } forget_on_exit{take_queued_};
  while (acceptor.is_open()) {
    if (!room_for_a_handshake()) {
      // Polled, since a slot frees on another thread: every millisecond
      // while all are taken (a thousand looks a second at most, only then),
      // so a slot is taken again at most 1 ms after it frees.
      backoff.expires_after(std::chrono::milliseconds(1));
      co_await backoff.async_wait(net::use_tuple);
      continue;
    }
    worker& owner = *workers[next];
    // Accepted onto the owner's io_context, so the socket is its from the start.
    Socket socket(owner.context());
    auto [ec] = co_await acceptor.async_accept(socket, net::use_tuple);
    if (ec == asio::error::operation_aborted) break;
    if (!acceptor.is_open()) {
      // Accepted just as stop_accepting() closed the listener: it still
      // gets a session, on this thread's worker (the others may have
      // finished their drain already), rather than a reset.
      if (!ec) {
        Socket mine(workers[0]->context());
        const auto protocol = socket.local_endpoint(ec).protocol();
        const auto fd = ec ? -1 : socket.release(ec);
        if (!ec) mine.assign(protocol, fd, ec);
        if (!ec) take(std::move(mine), *workers[0]);
      }
      break;
    }
    if (ec) {
      if (out_of_descriptors(ec)) {
        // Retrying at once would spin: the pending connection stays in the
        // backlog until a descriptor is free. Existing sessions go on.
        if (!starved) spdlog::warn("accept: {}; retrying every 100 ms", ec.message());
        starved = true;
        backoff.expires_after(std::chrono::milliseconds(100));
        co_await backoff.async_wait(net::use_tuple);
      } else {
        spdlog::debug("accept: {}", ec.message());  // that connection's problem, not ours
      }
      continue;
    }
    if (starved) spdlog::info("accept: descriptors available again");
    starved = false;
    take(std::move(socket), owner);
  }
}

}  // namespace server
