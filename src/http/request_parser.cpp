#include "http/request_parser.h"

#include <boost/beast/http/error.hpp>

namespace stepgate::http {

void RequestParser::on_request_impl(boost::beast::http::verb method, string_view method_string,
                                    string_view target, int version, error_code&) {
    request_.SetRequestLine(method, method_string, target, static_cast<unsigned>(version));
    // Fields parsed from the same bytes are borrowed from them (until OwnHeaderText()).
    request_.BorrowFrom(put_begin_, put_end_);
}

std::size_t RequestParser::put(boost::asio::const_buffer buffer, boost::beast::error_code& ec) {
    put_begin_ = static_cast<const char*>(buffer.data());
    put_end_ = put_begin_ + buffer.size();
    const std::size_t used = boost::beast::http::basic_parser<true>::put(buffer, ec);
    put_begin_ = put_end_ = nullptr;
    return used;
}

void RequestParser::on_response_impl(int, string_view, int, error_code& ec) {
    ec = boost::beast::http::error::bad_version;  // a request parser never sees a status line
}

void RequestParser::on_field_impl(boost::beast::http::field name, string_view name_string,
                                  string_view value, error_code&) {
    // Fields after the head are a chunked body's trailer: never merged into the header
    // section (RFC 9110 §6.5.1), so a body cannot add an Authorization or an X-Original-URL
    // that the proxy in front never saw as a header.
    if (is_header_done()) return;
    request_.insert_borrowed(name, name_string, value);
}

}  // namespace stepgate::http
