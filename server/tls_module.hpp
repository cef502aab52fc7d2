// TLS as a module of its own (asio_server_tls.so, beside the executable),
// loaded only when a tls:// listener is configured: a server serving plain
// TCP or Unix sockets does not map OpenSSL at all, which would otherwise
// add 1.7 MiB to its memory at start. The module holds the TLS session
// (tls_session.cpp) and the TLS settings' loading (tls_context.cpp); it uses
// the rest of the server from the executable, which exports its symbols.
#pragma once

#include "server_config.hpp"
#include "streams.hpp"
#include "worker.hpp"

namespace boost::asio::ssl {
class context;
}

namespace server {

// What the module offers.
struct tls_module {
  // make_tls_context() (tls_context.hpp); throws cli::failure (exit 64).
  boost::asio::ssl::context* (*make_context)(const tls_settings& tls);
  void (*destroy_context)(boost::asio::ssl::context* context) noexcept;
  // start_tls_session() (tls_session.hpp).
  void (*start_session)(tcp_stream socket, boost::asio::ssl::context& context, worker& owner,
                        bool proxied);
};

// Loads the module, once, and keeps it loaded; throws cli::failure (exit
// 69) naming the file and the reason when it cannot.
const tls_module& load_tls_module();

// A TLS context made by the module, destroyed by it.
class tls_context_handle {
 public:
  tls_context_handle() = default;
  // Makes the context, if there is none yet; throws as make_context does.
  void emplace(const tls_module& module, const tls_settings& tls) {
    if (context_ != nullptr) return;
    context_ = module.make_context(tls);
    module_ = &module;
  }
  // A reload: makes a new context from `tls` (throws as make_context does,
  // and then the old one stays) and destroys the old one. Connections made
  // with the old one go on: each holds a reference to OpenSSL's SSL_CTX, and
  // nothing else of the context (no callbacks) is used after the handshake
  // began.
  void replace(const tls_module& module, const tls_settings& tls) {
    auto* fresh = module.make_context(tls);
    if (context_ != nullptr) module_->destroy_context(context_);
    context_ = fresh;
    module_ = &module;
  }
  ~tls_context_handle() {
    if (context_ != nullptr) module_->destroy_context(context_);
  }
  tls_context_handle(const tls_context_handle&) = delete;
  tls_context_handle& operator=(const tls_context_handle&) = delete;

  explicit operator bool() const noexcept { return context_ != nullptr; }
  boost::asio::ssl::context* get() const noexcept { return context_; }

 private:
  const tls_module* module_ = nullptr;
  boost::asio::ssl::context* context_ = nullptr;
};

}  // namespace server

// The module's entry point, found by name.
extern "C" const server::tls_module* asio_server_tls_module();
