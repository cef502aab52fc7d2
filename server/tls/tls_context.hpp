// The server's TLS settings, loaded and checked once at start: a certificate
// or key that cannot be read, or a key that does not match its certificate,
// is one line and exit 64 now, not a failed handshake later.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "core/server_config.hpp"

namespace server {

// TLS 1.3 only unless `tls.min_version` is "1.2"; no session tickets (no
// resumption, so no ticket key to rotate or protect); with a client CA,
// every client must present a certificate it signed (mutual TLS). Throws
// cli::failure (exit 64) naming the option and the file.
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const tls_settings& tls);

}  // namespace server
