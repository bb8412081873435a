// The bytes the server writes for an adapters::Response, read back with Beast's response
// parser: the status, the fields in order, Content-Length and the Connection field that
// persistence needs for HTTP/1.1 and HTTP/1.0.
#include "http/response_writer.h"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace stepgate::http {
namespace {

namespace bhttp = boost::beast::http;

bhttp::response<bhttp::string_body> ParseBack(const std::string& wire) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    boost::beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(wire), ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(parser.is_done());
    EXPECT_EQ(used, wire.size());
    return parser.release();
}

TEST(ResponseWriter, WritesStatusFieldsInOrderLengthAndBody) {
    adapters::Response response;
    response.result(bhttp::status::unauthorized);
    response.insert(bhttp::field::server, "stepgate");
    response.insert(bhttp::field::www_authenticate, "Bearer error=\"invalid_token\"");
    response.insert("X-Auth-Request-User", "alice");
    response.insert(bhttp::field::set_cookie, "a=1");
    response.insert(bhttp::field::set_cookie, "b=2");
    response.body() = "no\n";
    std::string out;
    WriteResponse(response, true, out);
    EXPECT_EQ(out,
              "HTTP/1.1 401 Unauthorized\r\n"
              "Server: stepgate\r\n"
              "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n"
              "X-Auth-Request-User: alice\r\n"
              "Set-Cookie: a=1\r\n"
              "Set-Cookie: b=2\r\n"
              "Content-Length: 3\r\n"
              "\r\n"
              "no\n");
    const auto parsed = ParseBack(out);
    EXPECT_EQ(parsed.result_int(), 401u);
    EXPECT_TRUE(parsed.keep_alive());
    EXPECT_EQ(parsed.body(), "no\n");
}

TEST(ResponseWriter, ConnectionFollowsPersistenceAndVersion) {
    adapters::Response response;
    std::string out;
    WriteResponse(response, false, out);
    EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    EXPECT_FALSE(ParseBack(out).keep_alive());

    response.version(10);
    WriteResponse(response, true, out);
    EXPECT_EQ(out, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_TRUE(ParseBack(out).keep_alive());
    WriteResponse(response, false, out);
    EXPECT_EQ(out, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
    EXPECT_FALSE(ParseBack(out).keep_alive());
}

TEST(ResponseWriter, IgnoresLengthAndConnectionFieldsTheHandlerSet) {
    adapters::Response response;
    response.set(bhttp::field::content_length, "99");
    response.set(bhttp::field::connection, "keep-alive");
    response.body() = "ok";
    std::string out;
    WriteResponse(response, false, out);
    EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
}

TEST(Response, KeepAliveFollowsTheVersionUntilSetAndClearResets) {
    adapters::Response response;
    EXPECT_TRUE(response.keep_alive());
    response.version(10);
    EXPECT_FALSE(response.keep_alive());
    response.keep_alive(true);
    EXPECT_TRUE(response.keep_alive());
    response.version(11);
    response.keep_alive(false);
    EXPECT_FALSE(response.keep_alive());
    response.result(503u);
    response.insert(bhttp::field::server, "stepgate");
    response.body() = "x";
    response.Clear();
    EXPECT_TRUE(response.keep_alive());
    EXPECT_EQ(response.result(), bhttp::status::ok);
    EXPECT_EQ(response.field_count(), 0u);
    EXPECT_TRUE(response.body().empty());
}

TEST(Response, FieldsFindCountEraseAndTrim) {
    adapters::Response response;
    response.insert(bhttp::field::server, "stepgate");
    response.insert(bhttp::field::set_cookie, "a=1");
    response.insert(bhttp::field::set_cookie, "  b=2\t");
    response.insert("X-Custom", "v");
    EXPECT_EQ(response.count(bhttp::field::set_cookie), 2u);
    EXPECT_EQ(response.count("x-custom"), 1u);
    std::vector<std::string> cookies;
    for (auto it = response.find(bhttp::field::set_cookie);
         it != response.end() && it->name() == bhttp::field::set_cookie; ++it)
        cookies.emplace_back(it->value());
    EXPECT_EQ(cookies, (std::vector<std::string>{"a=1", "b=2"}));
    response.erase(bhttp::field::set_cookie);
    EXPECT_EQ(response.count(bhttp::field::set_cookie), 0u);
    EXPECT_EQ(response.find(bhttp::field::set_cookie), response.end());
    response.erase("X-CUSTOM");
    EXPECT_EQ(response["X-Custom"], "");
    EXPECT_EQ(response[bhttp::field::server], "stepgate");
    EXPECT_EQ(response.field_count(), 1u);
}

TEST(Response, UnknownStatusCodeKeepsItsNumber) {
    adapters::Response response;
    response.result(299u);
    EXPECT_EQ(response.result(), bhttp::status::unknown);
    EXPECT_EQ(response.result_int(), 299u);
    std::string out;
    WriteResponse(response, true, out);
    EXPECT_EQ(out.substr(0, 13), "HTTP/1.1 299 ");
    EXPECT_THROW(response.result(1000u), std::invalid_argument);  // no room in the status line
    EXPECT_EQ(response.result_int(), 299u);
}

}  // namespace
}  // namespace stepgate::http
