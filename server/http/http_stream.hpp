// The types an HTTP connection and the WebSocket upgraded from it share
// (http_session.cpp, websocket_session.cpp): Beast's stream over a TCP
// socket on the worker's io_context, and a request with a string body.
#pragma once

#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/streams.hpp"

namespace server {

using http_stream = boost::beast::basic_stream<boost::asio::ip::tcp, executor>;
using http_request = boost::beast::http::request<boost::beast::http::string_body>;

}  // namespace server
