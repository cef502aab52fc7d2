// Asio's non-template code, compiled once for the whole project
// (BOOST_ASIO_SEPARATE_COMPILATION) instead of in every translation unit.
#include <boost/asio/impl/src.hpp>
