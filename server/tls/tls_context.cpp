#include "tls/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "exit_codes.hpp"
#include "failure.hpp"

namespace server {

namespace ssl = boost::asio::ssl;

namespace {

[[noreturn]] void fail(const std::string& what) { throw cli::failure(cli::exit_code::usage, what); }

// The file can be opened; otherwise the reason the system gives.
void check_readable(const char* option, const std::string& path) {
  std::ifstream file(path);
  if (!file) fail(std::string(option) + " " + path + ": cannot read: " + std::strerror(errno));
}

// The first reason OpenSSL queued, without its codes and file names.
std::string openssl_reason(const boost::system::error_code& ec) {
  const unsigned long e = ::ERR_peek_error();
  ::ERR_clear_error();
  if (e != 0) {
    if (const char* r = ::ERR_reason_error_string(e)) return r;
  }
  return ec.message();
}

// Whether the file holds a private key OpenSSL can read (so that a key that
// loads but is refused is a mismatch, not a bad file).
bool is_private_key(const std::string& path) {
  BIO* bio = ::BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) return false;
  EVP_PKEY* key = ::PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  ::BIO_free(bio);
  ::ERR_clear_error();
  if (key == nullptr) return false;
  ::EVP_PKEY_free(key);
  return true;
}

}  // namespace

std::unique_ptr<ssl::context> make_tls_context(const tls_settings& tls) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  const int min = tls.min_version == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
  ::SSL_CTX_set_min_proto_version(ctx, min);
  // No resumption: no session cache, and no tickets (whose key would have
  // to be rotated and shared by every server behind one name).
  ::SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  ::SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  ::SSL_CTX_set_num_tickets(ctx, 0);
  // An idle connection gives its record buffers back to OpenSSL. Writes
  // are non-blocking (tls_stream.hpp): one that would block returns what
  // whole records it wrote, and is asked again with the rest from the
  // session's own buffer.
  ::SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // One read() takes what has come, many records, not a record's header
  // and then its body: half the system calls for small requests.
  ::SSL_CTX_set_read_ahead(ctx, 1);
  // A peer that ends its side of TCP without close_notify (a half-close)
  // ends the stream as close_notify would, with no decode_error alert sent
  // back: the protocol's framing, not TLS, says whether a frame was cut
  // short (the session logs that as closed mid-frame).
  ::SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  // TLS 1.3's suites, AES-128-GCM first as in Mozilla's modern profile: as
  // safe, and the cheapest per byte with AES instructions.
  ::SSL_CTX_set_ciphersuites(
      ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
  ::SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);

  boost::system::error_code ec;
  check_readable("--tls-cert", tls.cert_file);
  context->use_certificate_chain_file(tls.cert_file, ec);
  if (ec) {
    fail("--tls-cert " + tls.cert_file + ": not a PEM certificate chain (" + openssl_reason(ec) +
         ")");
  }
  check_readable("--tls-key", tls.key_file);
  context->use_private_key_file(tls.key_file, ssl::context::pem, ec);
  if ((ec && is_private_key(tls.key_file)) || (!ec && ::SSL_CTX_check_private_key(ctx) != 1)) {
    ::ERR_clear_error();
    fail("--tls-key " + tls.key_file + " does not match the certificate in --tls-cert " +
         tls.cert_file);
  }
  if (ec) {
    fail("--tls-key " + tls.key_file + ": not a PEM private key (" + openssl_reason(ec) + ")");
  }
  if (!tls.client_ca_file.empty()) {
    check_readable("--tls-client-ca", tls.client_ca_file);
    context->load_verify_file(tls.client_ca_file, ec);
    STACK_OF(X509_NAME)* names = ::SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (ec || names == nullptr) {
      fail("--tls-client-ca " + tls.client_ca_file + ": not a PEM certificate (" +
           openssl_reason(ec) + ")");
    }
    ::SSL_CTX_set_client_CA_list(ctx, names);  // named in the CertificateRequest
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

}  // namespace server
