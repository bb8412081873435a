#include "http/request_parser.h"

#include <boost/beast/http/error.hpp>

namespace stepgate::http {

void RequestParser::on_request_impl(boost::beast::http::verb method, string_view method_string,
                                    string_view target, int version, error_code&) {
    request_.SetRequestLine(method, method_string, target, static_cast<unsigned>(version));
    // The whole head is in the buffer being parsed, from the method on (Beast parses a head
    // only once it has all of it): the fields are borrowed from there.
    request_.BorrowFrom(method_string.data());
}

void RequestParser::on_response_impl(int, string_view, int, error_code& ec) {
    ec = boost::beast::http::error::bad_version;  // a request parser never sees a status line
}

void RequestParser::on_field_impl(boost::beast::http::field name, string_view name_string,
                                  string_view value, error_code&) {
    request_.insert_borrowed(name, name_string, value);
}

}  // namespace stepgate::http
