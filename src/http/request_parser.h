// Beast's HTTP/1.1 request parser (its validation: request line, field syntax, Content-Length
// and Transfer-Encoding rules, limits) filling an adapters::Request instead of a
// beast::http::request, whose fields cost an allocation each, and borrowing the fields' text
// from the buffer parsed instead of copying it. The body is counted against the
// body limit and dropped: no endpoint reads one.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>

#include "adapters/http_message.h"

namespace stepgate::http {

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
    // Clears `request` and fills it as the head is parsed. One parser per request (Beast's
    // parsers are single-use); the request outlives it.
    explicit RequestParser(adapters::Request& request) : request_(request) { request_.Clear(); }

    // Beast's put() for one contiguous buffer (the only kind accepted here): the request's
    // fields may point into those bytes (FieldList::BorrowFrom). Beast consumes the request
    // line and each complete field as they arrive, so a head can span several calls.
    std::size_t put(boost::asio::const_buffer buffer, boost::beast::error_code& ec);

    // Call before the bytes given to put() move or are overwritten while the request is still
    // in use (a head or body still to come, a buffer compacted or grown for the next read):
    // the fields then own their text, and later fields are copied.
    void OwnHeaderText() { request_.OwnBorrowedText(); }

 private:
    using string_view = boost::beast::string_view;
    using error_code = boost::beast::error_code;

    void on_request_impl(boost::beast::http::verb method, string_view method_string,
                         string_view target, int version, error_code& ec) override;
    void on_response_impl(int, string_view, int, error_code& ec) override;
    void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                       error_code& ec) override;
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(boost::optional<std::uint64_t> const&, error_code&) override {}
    std::size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
        return body.size();
    }
    void on_finish_impl(error_code&) override {}

    adapters::Request& request_;
    const char* put_begin_ = nullptr;  // the bytes of the put() in progress
    const char* put_end_ = nullptr;
};

}  // namespace stepgate::http
