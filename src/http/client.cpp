#include "http/client.h"

#include <atomic>
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

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

// Runs the io_context until the operation started before it completes; `ec` starts as
// timed_out so that an operation cut by the stream's deadline reads as such.
template <class Start>
beast::error_code RunOne(asio::io_context& ioc, Start start) {
    beast::error_code ec = asio::error::timed_out;
    start(ec);
    ioc.run();
    ioc.restart();
    return ec;
}

template <class Stream>
Result<ClientResponse, std::string> Exchange(asio::io_context& ioc, Stream& stream,
                                             const ClientRequest& request, const ParsedUrl& url) {
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(request.method), url.target, 11};
    req.set(bhttp::field::host, url.authority);
    req.set(bhttp::field::user_agent, "stepgate");
    req.set(bhttp::field::accept, "application/json");
    for (const auto& [name, value] : request.headers) req.set(name, value);
    if (!request.body.empty() || request.method == "POST") {
        req.body() = request.body;
        req.prepare_payload();
    }
    auto ec = RunOne(ioc, [&](beast::error_code& out) {
        bhttp::async_write(stream, req, [&out](beast::error_code e, std::size_t) { out = e; });
    });
    if (ec) return MakeError("writing to " + url.host + " failed: " + ec.message());
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(request.max_body_bytes);
    ec = RunOne(ioc, [&](beast::error_code& out) {
        bhttp::async_read(stream, buffer, parser,
                          [&out](beast::error_code e, std::size_t) { out = e; });
    });
    if (ec) return MakeError("reading from " + url.host + " failed: " + ec.message());
    ClientResponse response;
    response.status = static_cast<int>(parser.get().result_int());
    response.content_type = std::string(parser.get()[bhttp::field::content_type]);
    response.body = std::move(parser.get().body());
    return response;
}

// getaddrinfo cannot be cancelled, and asio's resolver joins its thread when destroyed, so a
// hung DNS server would hold the caller past any deadline. The lookup runs on a detached thread
// instead; past the deadline the caller gives up and the thread finishes on its own. Lookups
// still pending are bounded, so a DNS outage cannot pile up threads.
constexpr int kMaxPendingLookups = 8;
std::atomic<int> pending_lookups{0};

struct Lookup {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    beast::error_code ec;
    asio::ip::tcp::resolver::results_type results;
};

Result<asio::ip::tcp::resolver::results_type, std::string> Resolve(
    const ParsedUrl& url, std::chrono::steady_clock::time_point deadline) {
    // A literal address needs no lookup (and no thread).
    beast::error_code literal_ec;
    const auto address = asio::ip::make_address(url.host, literal_ec);
    const bool numeric_port = !url.port.empty() && url.port.size() <= 5 &&
                              url.port.find_first_not_of("0123456789") == std::string::npos &&
                              std::stoul(url.port) <= 65535;
    if (!literal_ec && numeric_port) {
        const auto port = static_cast<unsigned short>(std::stoul(url.port));
        return asio::ip::tcp::resolver::results_type::create(asio::ip::tcp::endpoint(address, port),
                                                             url.host, url.port);
    }
    if (pending_lookups.fetch_add(1) >= kMaxPendingLookups) {
        pending_lookups.fetch_sub(1);
        return MakeError("resolving " + url.host + " failed: too many lookups pending");
    }
    auto lookup = std::make_shared<Lookup>();
    try {
        std::thread([lookup, host = url.host, port = url.port] {
            asio::io_context ioc;
            asio::ip::tcp::resolver resolver(ioc);
            beast::error_code ec;
            auto results = resolver.resolve(host, port, ec);
            {
                std::lock_guard lock(lookup->mutex);
                lookup->ec = ec;
                lookup->results = std::move(results);
                lookup->done = true;
            }
            lookup->done_cv.notify_one();
            pending_lookups.fetch_sub(1);
        }).detach();
    } catch (const std::system_error&) {
        pending_lookups.fetch_sub(1);
        return MakeError("resolving " + url.host + " failed: no thread for the lookup");
    }
    std::unique_lock lock(lookup->mutex);
    if (!lookup->done_cv.wait_until(lock, deadline, [&] { return lookup->done; }))
        return MakeError("resolving " + url.host + " failed: timed out");
    if (lookup->ec) return MakeError("resolving " + url.host + " failed: " + lookup->ec.message());
    return lookup->results;
}

}  // namespace

Result<ClientResponse, std::string> Fetch(const ClientRequest& request) {
    auto url = SplitUrl(request.url);
    if (!url) return MakeError(std::string("not an http(s) URL"));
    // One deadline for the whole exchange: lookup, connect, TLS, write and read. A provider
    // that answers a byte at a time cannot hold this thread past it.
    const auto deadline = std::chrono::steady_clock::now() + request.timeout;
    try {
        auto endpoints = Resolve(*url, deadline);
        if (!endpoints) return MakeError(endpoints.error());
        asio::io_context ioc;
        beast::tcp_stream tcp(ioc);
        tcp.expires_at(deadline);  // applies to every async operation on the stream from now on
        auto ec = RunOne(ioc, [&](beast::error_code& out) {
            tcp.async_connect(*endpoints,
                              [&out](beast::error_code result, const auto&) { out = result; });
        });
        if (ec) return MakeError("connecting to " + url->host + " failed: " + ec.message());
        if (!url->tls) {
            auto result = Exchange(ioc, tcp, request, *url);
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
        ec = RunOne(ioc, [&](beast::error_code& out) {
            stream.async_handshake(asio::ssl::stream_base::client,
                                   [&out](beast::error_code e) { out = e; });
        });
        if (ec) return MakeError("TLS with " + url->host + " failed: " + ec.message());
        auto result = Exchange(ioc, stream, request, *url);
        // The answer is complete; a close_notify is a courtesy, not worth a wait.
        tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
        return result;
    } catch (const std::exception& e) {
        return MakeError("request to " + url->host + " failed: " + std::string(e.what()));
    }
}

}  // namespace stepgate::http
