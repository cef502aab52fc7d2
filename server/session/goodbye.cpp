#include "session/goodbye.hpp"

namespace server {

last_words last_words_for(end_reason why) noexcept {
  switch (why) {
    case end_reason::shutdown:
    case end_reason::idle_timeout:
    case end_reason::frame_timeout:
      return last_words::go_away;
    case end_reason::over_budget:
      return last_words::refuse;
    case end_reason::handshake_timeout:
    case end_reason::bad_frame:
    case end_reason::incomplete_message:
      return last_words::nothing;
    case end_reason::peer_closed:
    case end_reason::peer_closed_mid_frame:
    case end_reason::connection_lost:
    case end_reason::handshake_failed:
    case end_reason::write_timeout:
    case end_reason::over_budget_unread:
    case end_reason::closed_by_server:
    case end_reason::internal_error:
      break;
  }
  return last_words::none;
}

}  // namespace server
