#include "http/client.h"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace stepgate::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

struct ParsedUrl {
    bool tls = false;
    std::string host;  // as written, for SNI and certificate checks
    std::string port;
    std::string authority;  // host[:port] as written: the Host header (RFC 9112 §3.2)
    std::string target;
};

std::optional<ParsedUrl> SplitUrl(std::string_view url) {
    ParsedUrl parsed;
    if (url.rfind("https://", 0) == 0) {
        parsed.tls = true;
        url.remove_prefix(8);
    } else if (url.rfind("http://", 0) == 0) {
        url.remove_prefix(7);
    } else {
        return std::nullopt;
    }
    const auto slash = url.find_first_of("/?#");
    std::string_view authority = url.substr(0, slash);
    parsed.target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    if (parsed.target.front() != '/') parsed.target.insert(0, "/");
    if (const auto hash = parsed.target.find('#'); hash != std::string::npos)
        parsed.target.resize(hash);
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    std::string_view host = authority;
    std::string_view port;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') return std::nullopt;
            port = authority.substr(close + 2);
        }
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    parsed.host = std::string(host);
    parsed.authority = std::string(authority);
    parsed.port = port.empty() ? (parsed.tls ? "443" : "80") : std::string(port);
    return parsed;
}

template <class Stream>
Result<ClientResponse, std::string> Exchange(Stream& stream, const ClientRequest& request,
                                             const ParsedUrl& url, beast::tcp_stream& tcp) {
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(request.method), url.target, 11};
    req.set(bhttp::field::host, url.authority);
    req.set(bhttp::field::user_agent, "stepgate");
    req.set(bhttp::field::accept, "application/json");
    for (const auto& [name, value] : request.headers) req.set(name, value);
    if (!request.body.empty() || request.method == "POST") {
        req.body() = request.body;
        req.prepare_payload();
    }
    beast::error_code ec;
    tcp.expires_after(request.timeout);
    bhttp::write(stream, req, ec);
    if (ec) return MakeError("writing to " + url.host + " failed: " + ec.message());
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(request.max_body_bytes);
    bhttp::read(stream, buffer, parser, ec);
    if (ec) return MakeError("reading from " + url.host + " failed: " + ec.message());
    ClientResponse response;
    response.status = static_cast<int>(parser.get().result_int());
    response.content_type = std::string(parser.get()[bhttp::field::content_type]);
    response.body = std::move(parser.get().body());
    return response;
}

}  // namespace

Result<ClientResponse, std::string> Fetch(const ClientRequest& request) {
    auto url = SplitUrl(request.url);
    if (!url) return MakeError(std::string("not an http(s) URL"));
    try {
        asio::io_context ioc;
        asio::ip::tcp::resolver resolver(ioc);
        beast::error_code ec;
        auto endpoints = resolver.resolve(url->host, url->port, ec);
        if (ec) return MakeError("resolving " + url->host + " failed: " + ec.message());
        // Synchronous operations on a tcp_stream honour no expiry, so the deadline is kept by
        // a socket-level timeout instead.
        beast::tcp_stream tcp(ioc);
        // Connect with a deadline (a black-holed provider must not hold this thread for the
        // kernel's minutes-long SYN retries).
        ec = asio::error::timed_out;
        tcp.expires_after(request.timeout);
        tcp.async_connect(endpoints, [&ec](beast::error_code result, const auto&) { ec = result; });
        ioc.run();
        ioc.restart();
        if (ec) return MakeError("connecting to " + url->host + " failed: " + ec.message());
        const auto millis = request.timeout.count();
        timeval tv{static_cast<time_t>(millis / 1000),
                   static_cast<suseconds_t>((millis % 1000) * 1000)};
        ::setsockopt(tcp.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(tcp.socket().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (!url->tls) {
            auto result = Exchange(tcp, request, *url, tcp);
            tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
            return result;
        }
        asio::ssl::context tls(asio::ssl::context::tls_client);
        tls.set_default_verify_paths();
        tls.set_verify_mode(asio::ssl::verify_peer);
        tls.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                        asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
        beast::ssl_stream<beast::tcp_stream&> stream(tcp, tls);
        stream.set_verify_callback(asio::ssl::host_name_verification(url->host));
        // SSL_set_tlsext_host_name is a macro with a C cast; call what it expands to.
        if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                     TLSEXT_NAMETYPE_host_name, const_cast<char*>(url->host.c_str())) != 1) {
            return MakeError("setting SNI for " + url->host + " failed");
        }
        stream.handshake(asio::ssl::stream_base::client, ec);
        if (ec) return MakeError("TLS with " + url->host + " failed: " + ec.message());
        auto result = Exchange(stream, request, *url, tcp);
        stream.shutdown(ec);
        return result;
    } catch (const std::exception& e) {
        return MakeError("request to " + url->host + " failed: " + std::string(e.what()));
    }
}

}  // namespace stepgate::http
