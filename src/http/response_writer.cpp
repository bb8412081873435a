#include "http/response_writer.h"

#include <charconv>
#include <cstdint>
#include <iterator>

namespace stepgate::http {

namespace bhttp = boost::beast::http;

namespace {

void AppendField(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
}

}  // namespace

void WriteResponse(const adapters::Response& response, bool keep_alive, std::string& out) {
    out.clear();
    const unsigned version = response.version();
    const unsigned code = response.result_int();
    char status_line[] = "HTTP/1.1 200 ";
    status_line[5] = static_cast<char>('0' + version / 10 % 10);
    status_line[7] = static_cast<char>('0' + version % 10);
    status_line[9] = static_cast<char>('0' + code / 100 % 10);
    status_line[10] = static_cast<char>('0' + code / 10 % 10);
    status_line[11] = static_cast<char>('0' + code % 10);
    out.append(status_line, sizeof status_line - 1);
    out.append(response.reason());
    out.append("\r\n");
    for (const auto& field : response) {
        if (field.name() == bhttp::field::content_length ||
            field.name() == bhttp::field::connection)
            continue;
        AppendField(out, field.name_string(), field.value());
    }
    char length[24];
    const auto end = std::to_chars(std::begin(length), std::end(length),
                                   static_cast<std::uint64_t>(response.body().size()))
                         .ptr;
    AppendField(out, "Content-Length", std::string_view(length, end - length));
    if (version >= 11 && !keep_alive) AppendField(out, "Connection", "close");
    if (version < 11 && keep_alive) AppendField(out, "Connection", "keep-alive");
    out.append("\r\n");
    out.append(response.body());
}

}  // namespace stepgate::http
