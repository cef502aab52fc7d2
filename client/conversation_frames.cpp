// What each frame from the server means to the exchange: a reply that
// answers a request (printed), an ERROR, a GOAWAY (what it leaves
// unprocessed is sent again with --reconnect, else reported).
#include "conversation.hpp"

#include "printable.hpp"

namespace client {

void conversation::on_frame(const proto::frame& f) {
  using proto::frame_type;
  if (f.type() == frame_type::goaway) return on_goaway(f);
  if (f.type() == frame_type::error && f.id() == 0) {
    // About the connection, not a request (the server is busy, say): it
    // closes next. With --reconnect, a reason to try again.
    report_error(f, !config_.reconnect);
    return;
  }
  const request* r = book_.find(f.id());
  if (!r) {
    throw protocol_error("the server sent " + std::string(proto::type_name(f.header.type)) +
                         " for request " + std::to_string(f.id()) +
                         ", which is not awaiting an answer");
  }
  refresh_deadline();
  ++current_.answered;
  if (f.type() == frame_type::error) {
    report_error(f, true);
  } else if (f.type() == frame_type::hello_reply) {
    out_ << proto::printable(f.text()) << std::endl;
  } else if (f.type() == frame_type::ack) {
    out_ << proto::printable(f.text()) << " (message " << r->number << ": "
         << proto::printable(r->text, 60) << ")" << std::endl;
  } else {
    throw protocol_error("the server answered request " + std::to_string(f.id()) + " with " +
                         std::string(proto::type_name(f.header.type)));
  }
  book_.answer(f.id());
}

void conversation::report_error(const proto::frame& f, bool counts) {
  const auto e = proto::parse_error(f.payload);
  err_ << "asio_client: server error " << (e ? e->code : 0) << " ("
       << proto::error_name(e ? e->code : 0) << ")";
  if (f.id() != 0) err_ << " for request " << f.id();
  err_ << ": " << proto::printable(e ? e->text : std::string_view{}) << std::endl;
  if (counts) raise(cli::exit_code::protocol);
}

void conversation::on_goaway(const proto::frame& f) {
  const auto last = read_goaway(f.payload);
  if (current_.goaway) return;  // said once is enough
  current_.goaway = last;
  // Stop sending; the requests after its id were not processed: they
  // are unsent again, first.
  const auto again = book_.goaway(last);
  err_ << "asio_client: the server is shutting down (GOAWAY after request " << last << ")";
  to_send_.notify_all();
  if (config_.reconnect) {
    // Sent again first on the next connection; read input waits there.
    if (again != 0) err_ << "; " << again << " request(s) will be sent again";
    err_ << "; connecting again" << std::endl;
    return;
  }
  // No more input; what the server will not answer is reported now, the
  // rest is still on its way.
  if (stdin_) stdin_->close();
  input_done_ = true;
  const auto dropped = book_.drop_unsent();
  if (dropped != 0) {
    err_ << "; " << dropped << " request(s) were not processed and can be sent again";
    raise(cli::exit_code::temp_fail);
  }
  err_ << std::endl;
}

}  // namespace client
