// The TLS module's entry point (see tls_module.hpp); built into
// asio_server_tls.so with tls_context.cpp and tls_session.cpp.
#include "tls_module.hpp"

#include <boost/asio/ssl/context.hpp>

#include "tls_context.hpp"
#include "tls_session.hpp"

namespace {

boost::asio::ssl::context* make_context(const server::tls_settings& tls) {
  return server::make_tls_context(tls).release();
}

void destroy_context(boost::asio::ssl::context* context) noexcept { delete context; }

}  // namespace

extern "C" const server::tls_module* asio_server_tls_module() {
  static const server::tls_module module{make_context, destroy_context, server::start_tls_session};
  return &module;
}
