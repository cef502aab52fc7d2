// The session coroutine instantiated for the plain streams: TCP and Unix
// domain sockets (the coroutine itself is in session_loop.hpp).
#include "session/session_loop.hpp"
#include "session/session_watch.hpp"
#include "session/start_session.hpp"

namespace server {

template class session<tcp_stream>;
template void start_session<tcp_stream>(tcp_stream, worker&, bool);
template class session<unix_stream>;
template void start_session<unix_stream>(unix_stream, worker&, bool);

}  // namespace server
