// What the transport tests share: a scratch folder with certificates made
// by transport/make_certs.sh, asio_server with its listeners read back,
// asio_client and openssl s_client command lines, and a TLS peer of the
// tests' own. Header-only, for transport_test.cpp and transport_tls_test.cpp.
#pragma once

#include <signal.h>
#include <stdlib.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "child_process.hpp"
#include "frame_codec.hpp"
#include "server_process.hpp"

namespace test::transport {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A folder of its own for each run: certificates and socket files.
struct scratch_dir {
  scratch_dir() {
    char name[] = "/tmp/asio-transport-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
    const auto r = test::run({"/bin/bash", MAKE_CERTS_SCRIPT, path + "/certs"}, {}, 60s);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "make_certs.sh: " << r.err);
  }
  ~scratch_dir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string path;
};

inline const scratch_dir& scratch() {
  static scratch_dir d;
  return d;
}
inline std::string cert(const std::string& file) { return scratch().path + "/certs/" + file; }
inline std::string socket_path(const std::string& name) { return scratch().path + "/" + name; }

// asio_server with the listeners given; reads back one "listening on" line
// per listener.
class server {
 public:
  // `prefix` runs it: {"/usr/bin/env", "VAR=value"}, a wrapper.
  explicit server(std::vector<std::string> args, int listeners = 1,
                  std::vector<std::string> prefix = {}) {
    std::vector<std::string> argv = std::move(prefix);
    argv.push_back(server_bin);
    argv.insert(argv.end(), args.begin(), args.end());
    child_.emplace(std::move(argv), std::string{}, /*keep_stdin_open=*/true);
    // The log shares standard output, and what it says while the listeners
    // open may come before their lines or after.
    while (names_.size() < static_cast<std::size_t>(listeners)) {
      const auto line = child_->read_line(10s);
      BOOST_REQUIRE_MESSAGE(line.has_value(), "no 'listening on' line; stderr: " << child_->err());
      if (line->rfind("listening on ", 0) == 0) {
        names_.push_back(line->substr(13));
      } else {
        early_log_ += *line + "\n";
      }
    }
  }

  // "127.0.0.1:PORT", "tls://127.0.0.1:PORT", "unix:PATH".
  const std::string& name(std::size_t i = 0) const { return names_.at(i); }
  std::string port(std::size_t i = 0) const { return name(i).substr(name(i).rfind(':') + 1); }
  child_process& process() { return *child_; }

  // Whether a line of the log holds `text`, read for 10 s at most (a server
  // that logs on, such as one health-checked every second, ends it too).
  bool log_shows(const std::string& text) {
    if (contains(early_log_, text)) return true;
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < give_up) {
      const auto line = child_->read_line(500ms);
      if (line && contains(*line, text)) return true;
    }
    return false;
  }
  // SIGTERM, and the exit status. Anything but 0 shows the server's stderr:
  // under a sanitizer, its report (ThreadSanitizer exits 66).
  int terminate() {
    child_->send_signal(SIGTERM);
    return exit_status();
  }
  // The exit status once it has exited by itself (-1 after 10 s), with its
  // stderr shown as terminate() does.
  int exit_status() {
    const int status = child_->wait(10s);
    if (status != 0) std::cerr << "asio_server exited " << status << "; stderr:\n" << child_->err();
    return status;
  }

 private:
  std::optional<child_process> child_;
  std::vector<std::string> names_;
  std::string early_log_;
};

inline std::vector<std::string> tls_args(const std::string& cert_name = "server") {
  return {"--listen",  "tls://127.0.0.1:0",     "--tls-cert", cert(cert_name + ".pem"),
          "--tls-key", cert(cert_name + ".key")};
}

inline test::run_result client(std::vector<std::string> args, std::string input = {}) {
  std::vector<std::string> argv{client_bin};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run(std::move(argv), std::move(input), 60s);
}

inline std::vector<std::string> tls_client(const server& srv, std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--tls", "--ca", cert("ca.pem"), "--port", srv.port()};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Pumps the child's output until it contains `text` (10 s at most).
inline bool output_shows(child_process& c, const std::string& text) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!contains(c.out(), text) && std::chrono::steady_clock::now() < give_up) {
    if (!c.read_line(100ms) && contains(c.out(), text)) break;
  }
  return contains(c.out(), text);
}

inline std::vector<std::string> s_client(const server& srv, std::vector<std::string> more) {
  std::vector<std::string> argv{"openssl",
                                "s_client",
                                "-connect",
                                "127.0.0.1:" + srv.port(),
                                "-CAfile",
                                cert("ca.pem"),
                                "-verify_return_error",
                                "-quiet"};
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

inline std::string frame_bytes(proto::frame_type type, std::uint32_t id, std::string_view payload) {
  std::vector<std::byte> out;
  proto::append_frame(out, type, id, payload);
  return {reinterpret_cast<const char*>(out.data()), out.size()};
}

// The server's resident memory, in KiB, once it stops moving (two looks
// 100 ms apart agree; 10 s at most): what it holds after an attack.
inline long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}
inline long settled_rss_kib(pid_t pid) {
  long last = rss_kib(pid);
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(100ms);  // the pause between two looks
    const long now = rss_kib(pid);
    if (std::exchange(last, now) == now) break;
  }
  return last;
}

namespace asio = boost::asio;

// A TLS client of the test's own, that can misbehave on purpose.
struct tls_peer {
  explicit tls_peer(const server& srv) : ctx(asio::ssl::context::tls_client), s(io, ctx) {
    ctx.load_verify_file(cert("ca.pem"));
    ctx.set_verify_mode(asio::ssl::verify_peer);
    s.next_layer().connect(
        {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(srv.port()))});
    s.handshake(asio::ssl::stream_base::client);
  }
  // A PING, and its PONG read back.
  void ping() {
    const std::string frame = frame_bytes(proto::frame_type::ping, 1, "");
    asio::write(s, asio::buffer(frame));
    char reply[proto::header_size];
    asio::read(s, asio::buffer(reply));
  }
  // An ECHO of `size` bytes; the type of its reply (0x83, or 0xFF: ERROR).
  int echo(std::size_t size) {
    const std::string frame = frame_bytes(proto::frame_type::echo, 2, std::string(size, 'e'));
    asio::write(s, asio::buffer(frame));
    std::string header(proto::header_size, '\0');
    asio::read(s, asio::buffer(header));
    const auto head = proto::decode_frame(proto::as_bytes(header), 0);
    std::string payload(head.decoded.header.length, '\0');
    asio::read(s, asio::buffer(payload));
    return head.decoded.header.type;
  }
  asio::io_context io;
  asio::ssl::context ctx;
  asio::ssl::stream<asio::ip::tcp::socket> s;
};

}  // namespace test::transport
