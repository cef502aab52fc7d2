// The session coroutine instantiated for the plain streams: TCP and Unix
// domain sockets (the coroutine itself is in session.ipp).
#include "session/session.ipp"

namespace server {

template class session<tcp_stream>;
template void start_session<tcp_stream>(tcp_stream, worker&, bool);
template class session<unix_stream>;
template void start_session<unix_stream>(unix_stream, worker&, bool);

}  // namespace server
