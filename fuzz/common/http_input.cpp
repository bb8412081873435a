#include "common/http_input.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>

#include "common/fuzz_support.h"
#include "http/request_parser.h"

namespace stepgate::fuzz {

namespace bhttp = boost::beast::http;

std::optional<HttpInput> ParseHttpInput(std::string_view data) {
    const auto lines = SplitLines(data);
    if (lines.empty()) return std::nullopt;
    std::string_view first = lines.front();
    std::string_view method = "GET";
    std::string_view target = first;
    if (const auto space = first.find(' '); space != std::string_view::npos) {
        method = first.substr(0, space);
        target = first.substr(space + 1);
    }
    HttpInput input;
    input.wire.reserve(data.size() + 64);
    input.wire.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        if (lines[i].empty()) continue;  // an empty line would end the head early
        input.wire.append(lines[i]).append("\r\n");
    }
    input.wire.append("\r\n");

    http::RequestParser parser(input.request);
    parser.header_limit(32 * 1024);  // http/server.h kMaxRequestHeadBytes
    parser.body_limit(64 * 1024);    // kMaxRequestBodyBytes
    parser.eager(true);
    boost::beast::error_code ec;
    const std::size_t used =
        parser.put(boost::asio::buffer(input.wire.data(), input.wire.size()), ec);
    (void)used;
    if (ec && ec != bhttp::error::need_more) return std::nullopt;
    if (!parser.is_header_done()) return std::nullopt;
    // The request borrows from input.wire (request_parser.h); returning moves both, so own it.
    parser.OwnHeaderText();
    return input;
}

}  // namespace stepgate::fuzz
