// The server's request parser is Beast's basic_parser filling an adapters::Request. Checked
// against Beast's own request_parser<string_body> on the same bytes: the same verdict (error
// code), the same bytes consumed, the same request line, fields in order and keep-alive. The
// smuggling-relevant rules (Content-Length vs chunked, bad chunk sizes, obs-fold, limits) are
// Beast's in both, so any difference here is a bug of the adapter.
#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace stepgate::http {
namespace {

namespace bhttp = boost::beast::http;

struct Parsed {
    boost::beast::error_code error;
    std::size_t consumed = 0;
    bool done = false;
    bool header_done = false;
    std::string method;
    std::string target;
    unsigned version = 0;
    bool keep_alive = false;
    std::vector<std::pair<std::string, std::string>> fields;
};

// `buffered` holds the bytes parsed last: our request may still borrow from them afterwards.
template <class Parser>
void Feed(Parser& parser, std::string_view wire, Parsed& out, std::string& buffered) {
    parser.header_limit(1024);
    parser.body_limit(64);
    parser.eager(true);
    // In two pieces, as a socket may deliver them (Beast takes the request line and complete
    // fields from the first).
    const std::size_t cut = wire.size() / 2;
    buffered.assign(wire.substr(0, cut));
    std::size_t offset = cut;
    for (;;) {
        boost::beast::error_code ec;
        const std::size_t used = parser.put(boost::asio::buffer(buffered), ec);
        out.consumed += used;
        const bool need_more = ec == bhttp::error::need_more;
        out.error = ec;
        if (!need_more && (ec || parser.is_done())) break;
        if ((need_more || used == 0) && offset == wire.size()) break;
        // The bytes are about to move: ours must stop borrowing them first, as the server does.
        if constexpr (std::is_same_v<Parser, RequestParser>) parser.OwnHeaderText();
        buffered.erase(0, used);
        if (need_more || used == 0) {
            buffered.append(wire.substr(offset));
            offset = wire.size();
        }
    }
    out.done = parser.is_done();
    out.header_done = parser.is_header_done();
}

Parsed WithBeast(std::string_view wire) {
    bhttp::request_parser<bhttp::string_body> parser;
    Parsed out;
    std::string buffered;
    Feed(parser, wire, out, buffered);
    if (out.header_done) {
        const auto& request = parser.get();
        out.method = std::string(request.method_string());
        out.target = std::string(request.target());
        out.version = request.version();
        out.keep_alive = request.keep_alive();
        // Beast merges a chunked trailer into the fields; ours keeps the head alone (RFC 9110
        // §6.5.1): compare with the fields Beast had when the head was done.
        bhttp::request_parser<bhttp::empty_body> head;
        head.header_limit(1024);
        head.eager(false);
        boost::beast::error_code ec;
        head.put(boost::asio::buffer(wire.data(), wire.size()), ec);
        for (const auto& field : head.get())
            out.fields.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    return out;
}

// Our fields are read back through equal_range, name by name (`names` in first-seen order).
Parsed WithOurs(std::string_view wire, adapters::Request& request,
                const std::vector<std::string>& names) {
    RequestParser parser(request);
    Parsed out;
    std::string buffered;
    Feed(parser, wire, out, buffered);
    if (out.header_done) {
        out.method = std::string(request.method_string());
        out.target = std::string(request.target());
        out.version = request.version();
        out.keep_alive = request.keep_alive();
        for (const auto& name : names) {
            for (auto [it, end] = request.equal_range(name); it != end; ++it)
                out.fields.emplace_back(std::string(it->name_string()), std::string(it->value()));
        }
    }
    return out;
}

std::vector<std::string> DistinctNames(
    const std::vector<std::pair<std::string, std::string>>& fields) {
    std::vector<std::string> names;
    for (const auto& field : fields) {
        const bool seen = std::any_of(names.begin(), names.end(), [&](const std::string& name) {
            return boost::beast::iequals(name, field.first);
        });
        if (!seen) names.push_back(field.first);
    }
    return names;
}

// Beast's fields grouped by name (case-insensitive), the order WithOurs reads ours back in.
std::vector<std::pair<std::string, std::string>> GroupedByName(
    const std::vector<std::pair<std::string, std::string>>& fields) {
    std::vector<std::pair<std::string, std::string>> grouped;
    for (const auto& name : DistinctNames(fields)) {
        for (const auto& field : fields) {
            if (boost::beast::iequals(field.first, name)) grouped.push_back(field);
        }
    }
    return grouped;
}

const std::vector<std::string> kWires = {
    // Plain requests, repeated and mixed-case names, unknown methods, HTTP/1.0.
    "GET /auth HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /auth?x=1 HTTP/1.1\r\nHost: a\r\nX-Original-URL: https://app/x\r\n"
    "x-original-url: https://app/y\r\nCookie: a=1\r\nCOOKIE: b=2\r\n\r\n",
    "PROPFIND /dav HTTP/1.1\r\nHost: a\r\n\r\n",
    "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET / HTTP/1.0\r\n\r\n",
    "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
    "GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n",
    "GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
    "GET / HTTP/1.1\r\nX-Empty:\r\nX-Spaces:   v  \r\n\r\n",
    "GET / HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n",
    // Bodies: dropped by ours, parsed (and limited) by both.
    "POST /logout HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    "POST /logout HTTP/1.1\r\nContent-Length: 100\r\n\r\nhello",
    "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nT: v\r\n\r\n",
    "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n" + std::string(65, 'a') +
        "\r\n0\r\n\r\n",
    "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "POST /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "POST /x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    "POST /x HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n",
    "POST /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    // Malformed heads.
    "GET /auth HTTP/1.1\r\nHost : a\r\n\r\n",
    "GET /auth HTTP/1.1\r\nHo st: a\r\n\r\n",
    "GET /auth HTTP/1.1\r\n: a\r\n\r\n",
    "GET /auth HTTP/1.1\r\nHost: a\rb\r\n\r\n",
    "GET /auth HTTP/1.1\r\nHost: a\x01\r\n\r\n",
    "GET /auth HTTP/1.1\nHost: a\n\n",
    "GET /auth HTTP/2.0\r\n\r\n",
    "GET /auth HTTP/1.1 extra\r\n\r\n",
    "GET  /auth HTTP/1.1\r\n\r\n",
    "GET /a b HTTP/1.1\r\n\r\n",
    "G@T /auth HTTP/1.1\r\n\r\n",
    "\r\nGET /auth HTTP/1.1\r\n\r\n",
    "GET /auth HTTP/1.1\r\nX: " + std::string(2000, 'v') + "\r\n\r\n",
    "GET /auth HTTP/1.1\r\nHost: a\r\n",
    // Pipelined: only the first request is consumed.
    "GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: b\r\n\r\n",
};

TEST(RequestParser, AgreesWithBeastsRequestParser) {
    adapters::Request request;  // reused across requests, as a connection does
    for (const auto& wire : kWires) {
        SCOPED_TRACE(wire.substr(0, 80));
        const Parsed beast = WithBeast(wire);
        const Parsed ours = WithOurs(wire, request, DistinctNames(beast.fields));
        EXPECT_EQ(ours.error, beast.error)
            << ours.error.message() << " vs " << beast.error.message();
        EXPECT_EQ(ours.consumed, beast.consumed);
        EXPECT_EQ(ours.done, beast.done);
        EXPECT_EQ(ours.header_done, beast.header_done);
        EXPECT_EQ(ours.method, beast.method);
        EXPECT_EQ(ours.target, beast.target);
        EXPECT_EQ(ours.version, beast.version);
        EXPECT_EQ(ours.keep_alive, beast.keep_alive);
        EXPECT_EQ(ours.fields, GroupedByName(beast.fields));
    }
}

TEST(RequestParser, FillsTheRequestLineAndLooksUpFieldsByNameOrEnum) {
    adapters::Request request;
    RequestParser parser(request);
    const std::string wire =
        "BREW /pot?x=1 HTTP/1.0\r\nhost: a.example\r\nx-original-url: /u\r\n"
        "Authorization: Bearer t\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n";
    boost::beast::error_code ec;
    EXPECT_EQ(parser.put(boost::asio::buffer(wire), ec), wire.size());
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(parser.is_done());
    EXPECT_EQ(request.method(), bhttp::verb::unknown);
    EXPECT_EQ(request.method_string(), "BREW");
    EXPECT_EQ(request.target(), "/pot?x=1");
    EXPECT_EQ(request.version(), 10u);
    EXPECT_FALSE(request.keep_alive());
    EXPECT_EQ(request[bhttp::field::host], "a.example");
    EXPECT_EQ(request["HOST"], "a.example");
    EXPECT_EQ(request["X-Original-URL"], "/u");
    EXPECT_EQ(request[bhttp::field::authorization], "Bearer t");
    EXPECT_EQ(request[bhttp::field::accept], "");
    EXPECT_EQ(request["X-Missing"], "");
    auto [it, end] = request.equal_range(bhttp::field::cookie);
    ASSERT_NE(it, end);
    EXPECT_EQ(it->value(), "a=1");
    ++it;
    ASSERT_NE(it, end);
    EXPECT_EQ(it->value(), "b=2");
    ++it;
    EXPECT_EQ(it, end);
}

TEST(RequestParser, ClearsTheRequestItFills) {
    adapters::Request request;
    {
        RequestParser parser(request);
        const std::string wire = "GET /first HTTP/1.1\r\nX-A: 1\r\n\r\n";
        boost::beast::error_code ec;
        parser.put(boost::asio::buffer(wire), ec);
        ASSERT_FALSE(ec);
    }
    RequestParser parser(request);
    const std::string wire = "GET /second HTTP/1.1\r\nX-B: 2\r\n\r\n";
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(wire), ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(request.target(), "/second");
    EXPECT_EQ(request["X-A"], "");
    EXPECT_EQ(request["X-B"], "2");
    EXPECT_EQ(request.field_count(), 1u);
}

// The fields borrow the parsed bytes (no copy per request) until OwnHeaderText(), which the
// server calls before it moves or reads over them; a copy of the request owns its text.
TEST(RequestParser, FieldsBorrowTheBufferUntilTheyAreOwned) {
    adapters::Request request;
    RequestParser parser(request);
    std::string buffer =
        "POST /auth HTTP/1.1\r\nHost: a.example\r\nX-Original-URL: /u\r\n"
        "Content-Length: 10\r\n\r\nabc";
    boost::beast::error_code ec;
    parser.eager(true);
    const std::size_t used = parser.put(boost::asio::buffer(buffer), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(parser.is_header_done());
    ASSERT_FALSE(parser.is_done());
    EXPECT_TRUE(request.borrows());
    EXPECT_EQ(request["X-Original-URL"].data(), buffer.data() + buffer.find("/u\r\n"));

    const adapters::Request copy = request;
    EXPECT_FALSE(copy.borrows());
    parser.OwnHeaderText();
    EXPECT_FALSE(request.borrows());
    std::fill(buffer.begin(), buffer.end(), 'x');  // the server reads the body over them
    for (const adapters::Request* r : {static_cast<const adapters::Request*>(&request), &copy}) {
        EXPECT_EQ((*r)[bhttp::field::host], "a.example");
        EXPECT_EQ((*r)["x-original-url"], "/u");
        EXPECT_EQ((*r)[bhttp::field::content_length], "10");
        EXPECT_EQ(r->target(), "/auth");
        EXPECT_EQ(r->field_count(), 3u);
    }
    // The rest of the body, from a new buffer; fields added afterwards are copied.
    const std::string rest = "defghij";
    EXPECT_EQ(parser.put(boost::asio::buffer(rest), ec), rest.size());
    EXPECT_FALSE(ec);
    EXPECT_TRUE(parser.is_done());
    (void)used;
    request.insert_borrowed(bhttp::field::accept, "Accept", "*/*");  // no base: copied
    buffer.clear();
    EXPECT_EQ(request[bhttp::field::accept], "*/*");
    EXPECT_EQ(request[bhttp::field::host], "a.example");
}

// Overwrites the stack below the caller, where a parser's locals were.
[[gnu::noinline]] void ScribbleOverTheStack() {
    volatile char scratch[16 * 1024];
    for (std::size_t i = 0; i < sizeof(scratch); ++i) scratch[i] = 'Z';
}

// Beast joins a folded (obs-fold) value in a buffer of its own, on its stack, valid only
// during the callback: such a value must be copied, never borrowed, wherever that stack lies.
// Parsed on another thread, as the server's loops do (thread stacks and heap arenas can then
// be close together).
TEST(RequestParser, AFoldedValueIsCopiedNotBorrowedFromBeastsBuffer) {
    const std::string wire =
        "GET /auth HTTP/1.1\r\nHost: a.example\r\nX-Folded: one\r\n two\r\nX-Plain: p\r\n"
        "X-Folded-Too: three\r\n\tfour\r\n\r\n";
    bhttp::request_parser<bhttp::string_body> beast;
    boost::beast::error_code beast_ec;
    beast.put(boost::asio::buffer(wire), beast_ec);
    ASSERT_FALSE(beast_ec) << beast_ec.message();
    const std::string expected_folded(beast.get()["X-Folded"]);
    const std::string expected_too(beast.get()["X-Folded-Too"]);

    std::string folded, folded_too, plain;
    bool plain_borrowed = false;
    std::thread([&] {
        std::string buffer = wire;
        adapters::Request request;
        RequestParser parser(request);
        boost::beast::error_code ec;
        parser.put(boost::asio::buffer(buffer), ec);
        ASSERT_FALSE(ec) << ec.message();
        ScribbleOverTheStack();
        folded = std::string(request["X-Folded"]);
        folded_too = std::string(request["X-Folded-Too"]);
        plain = std::string(request["X-Plain"]);
        plain_borrowed =
            request["X-Plain"].data() == buffer.data() + buffer.find("p\r\nX-Folded-Too");
    }).join();
    EXPECT_EQ(folded, expected_folded);
    EXPECT_EQ(folded_too, expected_too);
    EXPECT_EQ(plain, "p");
    EXPECT_TRUE(plain_borrowed);
}

// RFC 9110 §6.5.1: a trailer is not merged into the header section (Beast's own
// request_parser does merge it): the decision reads the head the proxy saw, nothing more.
TEST(RequestParser, TrailerFieldsAreNotMergedIntoTheHead) {
    adapters::Request request;
    RequestParser parser(request);
    parser.eager(true);
    const std::string wire =
        "POST /auth HTTP/1.1\r\nHost: a.example\r\nX-Original-URL: https://a.example/public/x\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n0\r\nAuthorization: Bearer smuggled\r\n"
        "X-Original-URL: https://a.example/admin/x\r\n\r\n";
    boost::beast::error_code ec;
    EXPECT_EQ(parser.put(boost::asio::buffer(wire), ec), wire.size());
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_TRUE(parser.is_done());
    EXPECT_EQ(request.count(bhttp::field::authorization), 0u);
    EXPECT_EQ(request.count("X-Original-URL"), 1u);
    EXPECT_EQ(request["X-Original-URL"], "https://a.example/public/x");
    EXPECT_EQ(request.field_count(), 3u);
}

TEST(Request, SetReplacesEveryFieldOfTheNameAndInsertAppends) {
    adapters::Request request{bhttp::verb::get, "/auth", 11};
    EXPECT_EQ(request.method_string(), "GET");
    request.insert("X-Forwarded-For", "1.1.1.1");
    request.insert("x-forwarded-for", "2.2.2.2");
    request.insert(bhttp::field::host, "a");
    request.set("X-FORWARDED-FOR", "3.3.3.3");
    EXPECT_EQ(request["X-Forwarded-For"], "3.3.3.3");
    auto [it, end] = request.equal_range("X-Forwarded-For");
    ASSERT_NE(it, end);
    EXPECT_EQ(std::next(it), end);
    request.set(bhttp::field::host, "b");
    EXPECT_EQ(request["Host"], "b");
    EXPECT_EQ(request.field_count(), 2u);
    EXPECT_TRUE(request.keep_alive());
    request.set(bhttp::field::connection, "Upgrade, CLOSE");
    EXPECT_FALSE(request.keep_alive());
}

}  // namespace
}  // namespace stepgate::http
