#include "transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/this_coro.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "cli_support.hpp"
#include "client_asio.hpp"
#include "connection.hpp"
#include "exit_codes.hpp"
#include "failure.hpp"

namespace client {

namespace ssl = asio::ssl;
using local = asio::local::stream_protocol;

void stream::shutdown_send() noexcept {
  boost::system::error_code ignored;
  if (auto* t = std::get_if<tcp_socket>(&s_)) t->shutdown(tcp_socket::shutdown_send, ignored);
  if (auto* u = std::get_if<unix_socket>(&s_)) u->shutdown(unix_socket::shutdown_send, ignored);
}

void stream::cancel() noexcept {
  boost::system::error_code ignored;
  std::visit([&](auto& s) { layer(s).lowest_layer().cancel(ignored); }, s_);
}

void stream::close() noexcept {
  boost::system::error_code ignored;
  std::visit([&](auto& s) { layer(s).lowest_layer().close(ignored); }, s_);
}

stream::tcp_socket* stream::tcp() noexcept {
  if (auto* t = std::get_if<tcp_socket>(&s_)) return t;
  if (auto* p = std::get_if<std::unique_ptr<tls_socket>>(&s_)) return &(*p)->next_layer();
  return nullptr;
}

namespace {

[[noreturn]] void bad_file(const std::string& option, const std::string& path,
                           const std::string& why) {
  throw cli::failure(cli::exit_code::usage, option + " " + path + ": " + why);
}

void check_readable(const std::string& option, const std::string& path) {
  std::ifstream f(path);
  if (!f) bad_file(option, path, std::string("cannot read: ") + std::strerror(errno));
}

// Why a handshake failed, in words: the certificate check's own reason when
// that is what failed.
std::string handshake_failure(stream::tls_socket& tls, const boost::system::error_code& ec) {
  const long verify = ::SSL_get_verify_result(tls.native_handle());
  ::ERR_clear_error();
  if (verify != X509_V_OK) {
    return std::string("certificate verify failed (") + ::X509_verify_cert_error_string(verify) +
           ")";
  }
  return ec.message();
}

}  // namespace

connector::connector(const client_config& config) : config_(config) {
  const auto& t = config.transport;
  if (!t.unix_path.empty()) {
    where_ = "unix:" + t.unix_path;
  } else {
    where_ = config.host + ":" + std::to_string(config.port);
    host_ = std::string(cli::strip_brackets(config.host));
  }
  if (!t.tls) return;
  identity_ = tls_identity_of(config.host);
  tls_ = std::make_unique<ssl::context>(ssl::context::tls_client);
  ::SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (t.ca_file.empty()) {
    tls_->set_default_verify_paths(ec);
  } else {
    check_readable("--ca", t.ca_file);
    tls_->load_verify_file(t.ca_file, ec);
    if (ec) bad_file("--ca", t.ca_file, "not a PEM certificate (" + ec.message() + ")");
  }
  tls_->set_verify_mode(ssl::verify_peer);
  if (!t.cert_file.empty()) {
    check_readable("--cert", t.cert_file);
    tls_->use_certificate_chain_file(t.cert_file, ec);
    if (ec) bad_file("--cert", t.cert_file, "not a PEM certificate (" + ec.message() + ")");
    check_readable("--key", t.key_file);
    tls_->use_private_key_file(t.key_file, ssl::context::pem, ec);
    if (ec) bad_file("--key", t.key_file, "not a PEM private key (" + ec.message() + ")");
    if (::SSL_CTX_check_private_key(tls_->native_handle()) != 1) {
      ::ERR_clear_error();
      bad_file("--key", t.key_file, "does not match --cert " + t.cert_file);
    }
  }
}

connector::~connector() = default;

// The server's certificate must name the host asked for: an address is
// checked against its IP entries (without a zone), a name against its DNS
// entries and sent as SNI. Anything that cannot be set up refuses the
// connection: OpenSSL leaves a check it was not given unset, and would then
// accept any certificate the CA signed.
bool connector::require_identity(SSL* tls) const {
  X509_VERIFY_PARAM* param = ::SSL_get0_param(tls);
  if (const auto* address = std::get_if<tls_address>(&identity_)) {
    return ::X509_VERIFY_PARAM_set1_ip(param, address->bytes.data(), address->size) == 1;
  }
  if (const auto* name = std::get_if<tls_name>(&identity_)) {
    return ::X509_VERIFY_PARAM_set1_host(param, name->name.c_str(), name->name.size()) == 1 &&
           ::SSL_set_tlsext_host_name(tls, name->name.c_str()) == 1;
  }
  return false;
}

stream connector::make(const asio::any_io_executor& executor) {
  if (!config_.transport.unix_path.empty()) return stream(local::socket(executor));
  if (tls_) return stream(std::make_unique<stream::tls_socket>(tcp::socket(executor), *tls_));
  return stream(tcp::socket(executor));
}

awaitable<std::optional<std::string>> connector::resolve() {
  if (endpoints_ || !config_.transport.unix_path.empty()) co_return std::nullopt;
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [ec, results] = co_await resolver.async_resolve(host_, std::to_string(config_.port),
                                                       tcp::resolver::numeric_service, use_tuple);
  if (ec) co_return ec.message();
  endpoints_ = std::move(results);
  co_return std::nullopt;
}

awaitable<std::optional<std::string>> connector::open(stream& s) {
  if (auto* u = s.unix()) {
    auto [ec] = co_await u->async_connect(local::endpoint(config_.transport.unix_path), use_tuple);
    if (ec) co_return ec.message();
    co_return std::nullopt;
  }
  if (const auto* none = std::get_if<tls_no_identity>(&identity_); none && s.tls()) {
    co_return none->reason;
  }
  if (auto why = co_await resolve()) co_return why;
  tcp::socket& socket = *s.tcp();
  auto [ec, endpoint] = co_await asio::async_connect(socket, *endpoints_, use_tuple);
  if (ec) co_return ec.message();
  socket.set_option(tcp::no_delay(true), ec);
  if (auto* tls = s.tls()) {
    if (!require_identity(tls->native_handle())) {
      ::ERR_clear_error();
      co_return "cannot set up the check of the server's certificate";
    }
    std::tie(ec) = co_await tls->async_handshake(ssl::stream_base::client, use_tuple);
    if (ec) co_return handshake_failure(*tls, ec);
  }
  co_return std::nullopt;
}

awaitable<stream> connector::connect(std::chrono::milliseconds timeout) {
  stream s = make(co_await asio::this_coro::executor);
  auto result = co_await (open(s) || sleep_for(timeout));
  if (result.index() == 1) throw connect_error("cannot connect to " + where_ + ": timed out");
  if (const auto& why = std::get<0>(result)) {
    throw connect_error("cannot connect to " + where_ + ": " + *why);
  }
  co_return std::move(s);
}

awaitable<stream> connect(std::string host, std::uint16_t port, std::chrono::milliseconds timeout) {
  client_config config;
  config.host = std::move(host);
  config.port = port;
  connector server(config);
  co_return co_await server.connect(timeout);
}

}  // namespace client
