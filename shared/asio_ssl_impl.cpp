// Asio's TLS layer compiled once, like the rest of Asio (asio_impl.cpp), for
// the programs that speak TLS.
#include <boost/asio/ssl/impl/src.hpp>
