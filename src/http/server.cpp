#include "http/server.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "observability/log.h"
#include "oidc/provider.h"

namespace stepgate::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using observability::Log;
using observability::LogLevel;

namespace {

class Session;

// "chunked", alone (case-insensitive, surrounding spaces allowed): the only transfer coding a
// request to Stepgate may use.
bool IsChunkedOnly(std::string_view coding) {
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
        coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
        coding.remove_suffix(1);
    constexpr std::string_view kChunked = "chunked";
    if (coding.size() != kChunked.size()) return false;
    for (std::size_t i = 0; i < kChunked.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(coding[i])) != kChunked[i]) return false;
    }
    return true;
}

// The sessions of one event loop, touched only on that loop's thread: at shutdown, idle
// keep-alive connections are closed at once instead of waiting out the drain bound.
struct SessionRegistry {
    std::unordered_set<Session*> sessions;
    bool draining = false;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
    Session(tcp::socket socket, adapters::Runtime& runtime, oidc::Provider* provider,
            asio::thread_pool& workers, SessionRegistry& registry)
        : stream_(std::move(socket)),
          runtime_(runtime),
          provider_(provider),
          workers_(workers),
          registry_(registry) {
        beast::error_code ec;
        auto endpoint = stream_.socket().remote_endpoint(ec);
        if (!ec) connection_.peer_address = endpoint.address().to_string();
        stream_.socket().set_option(tcp::no_delay(true), ec);
    }

    ~Session() { registry_.sessions.erase(this); }

    void Run() {
        registry_.sessions.insert(this);
        Read();
    }

    // Shutdown: a connection waiting for its next request is closed now; one with a request
    // in flight finishes it (its answer says Connection: close).
    void CloseIfIdle() {
        if (!waiting_for_request_ || buffer_.size() != 0) return;
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.socket().close(ec);
    }

 private:
    void Read() {
        parser_.emplace();
        parser_->header_limit(kMaxRequestHeadBytes);
        parser_->body_limit(kMaxRequestBodyBytes);
        stream_.expires_after(std::chrono::seconds(kReadTimeoutSeconds));
        waiting_for_request_ = true;
        if (registry_.draining && buffer_.size() == 0) return Close();
        bhttp::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
    }

    void OnRead(beast::error_code ec) {
        waiting_for_request_ = false;
        if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
            ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
            return Close();
        }
        if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
            return Refuse(bhttp::status::request_header_fields_too_large,
                          "request header fields too large");
        if (ec == bhttp::error::body_limit)
            return Refuse(bhttp::status::payload_too_large, "payload too large");
        if (ec) return Refuse(bhttp::status::bad_request, "malformed request");
        // RFC 9112 §6.3: a request whose final transfer coding is not chunked has no
        // determinable length; answer 400 and close rather than read the rest as a new request.
        if (auto coding = parser_->get()[bhttp::field::transfer_encoding];
            !coding.empty() && !IsChunkedOnly(coding)) {
            return Refuse(bhttp::status::bad_request, "unsupported transfer coding");
        }
        request_ = parser_->release();
        Handle(/*may_refresh_keys=*/true);
    }

    void Handle(bool may_refresh_keys) {
        response_ = {};
        adapters::HandleStatus status = adapters::HandleStatus::kDone;
        try {
            deferred_ = nullptr;
            status = adapters::HandleRequest(runtime_, request_, response_, connection_,
                                             may_refresh_keys, &deferred_);
        } catch (const std::exception& e) {
            // The one outermost catch: anything stray denies with 500 (STYLE habit 3).
            runtime_.metrics().internal_errors.fetch_add(1, std::memory_order_relaxed);
            Log(LogLevel::kError, "internal_error", {{"error", std::string_view(e.what())}});
            response_ = {};
            response_.version(request_.version());
            response_.result(bhttp::status::internal_server_error);
            response_.set(bhttp::field::content_type, "text/plain; charset=utf-8");
            response_.body() = "internal error\n";
            response_.keep_alive(false);
        }
        if (status == adapters::HandleStatus::kDeferred && deferred_) {
            // Blocking provider I/O runs on the worker pool; the answer is written back on
            // this connection's loop.
            auto executor = stream_.get_executor();
            asio::post(workers_, [self = shared_from_this(), executor,
                                  work = std::move(deferred_)]() mutable {
                try {
                    work(self->response_);
                } catch (const std::exception& e) {
                    Log(LogLevel::kError, "internal_error",
                        {{"error", std::string_view(e.what())}});
                    self->response_.result(bhttp::status::internal_server_error);
                    self->response_.body() = "internal error\n";
                }
                asio::post(executor, [session = std::move(self)] { session->Write(); });
            });
            return;
        }
        if (status == adapters::HandleStatus::kNeedsKeyRefresh && provider_ != nullptr) {
            // Wait for the provider thread, then decide again on this connection's loop.
            auto executor = stream_.get_executor();
            // The session's last reference must drop on its own loop (the registry is the
            // loop's): move it into the handler posted there.
            provider_->RefreshForUnknownKid([self = shared_from_this(), executor]() mutable {
                asio::post(executor, [session = std::move(self)] { session->Handle(false); });
            });
            return;
        }
        if (status == adapters::HandleStatus::kNeedsKeyRefresh) return Handle(false);
        Write();
    }

    void Write() {
        response_.prepare_payload();
        if (++served_ >= kMaxRequestsPerConnection || registry_.draining)
            response_.keep_alive(false);
        bhttp::async_write(stream_, response_,
                           [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec || !self->response_.keep_alive()) return self->Close();
                               self->Read();
                           });
    }

    void Refuse(bhttp::status status, std::string_view text) {
        response_ = {};
        response_.version(11);
        response_.result(status);
        response_.set(bhttp::field::content_type, "text/plain; charset=utf-8");
        response_.set(bhttp::field::connection, "close");
        response_.body() = std::string(text) + "\n";
        response_.keep_alive(false);
        Write();
    }

    void Close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.close();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;  // bounded by the parser's header and body limits
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    adapters::Request request_;
    adapters::Response response_;
    adapters::Runtime& runtime_;
    oidc::Provider* provider_;
    asio::thread_pool& workers_;
    SessionRegistry& registry_;
    bool waiting_for_request_ = false;
    adapters::DeferredWork deferred_;
    adapters::ConnectionInfo connection_;
    int served_ = 0;
};

}  // namespace

struct Server::Loop {
    SessionRegistry registry;  // declared first: outlives the sessions the io_context destroys
    asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
};

Server::Server(adapters::Runtime& runtime, oidc::Provider* provider, ServerOptions options)
    : runtime_(runtime), provider_(provider), options_(std::move(options)) {}

Server::~Server() {
    Shutdown();
    Wait();
}

namespace {

void Accept(tcp::acceptor& acceptor, asio::io_context& ioc, adapters::Runtime& runtime,
            oidc::Provider* provider, asio::thread_pool& workers, SessionRegistry& registry) {
    acceptor.async_accept(ioc, [&acceptor, &ioc, &runtime, provider, &workers, &registry](
                                   beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
        if (!ec && registry.sessions.size() >= kMaxConnectionsPerLoop) {
            beast::error_code ignored;
            socket.close(ignored);
        } else if (!ec) {
            std::make_shared<Session>(std::move(socket), runtime, provider, workers, registry)
                ->Run();
        }
        Accept(acceptor, ioc, runtime, provider, workers, registry);
    });
}

}  // namespace

Status<std::string> Server::Start() {
    const auto colon = options_.listen.rfind(':');
    std::string host = options_.listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    const std::string port_text = options_.listen.substr(colon + 1);
    beast::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) return MakeError("cannot listen on " + options_.listen + ": not an IP address");
    if (!config::ValidListen(options_.listen))
        return MakeError("cannot listen on " + options_.listen + ": not ADDRESS:PORT");
    unsigned short port = static_cast<unsigned short>(std::strtoul(port_text.c_str(), nullptr, 10));

    int threads = options_.threads > 0 ? options_.threads
                                       : static_cast<int>(std::thread::hardware_concurrency());
    if (threads <= 0) threads = 1;
    for (int i = 0; i < threads; ++i) {
        auto loop = std::make_unique<Loop>();
        tcp::endpoint endpoint(address, port);
        loop->acceptor.open(endpoint.protocol(), ec);
        if (!ec) loop->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec) {
            int one = 1;
            if (::setsockopt(loop->acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one,
                             sizeof one) != 0) {
                ec = beast::error_code(errno, beast::system_category());
            }
        }
        if (!ec) loop->acceptor.bind(endpoint, ec);
        if (!ec) loop->acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) return MakeError("cannot listen on " + options_.listen + ": " + ec.message());
        // With port 0 the first loop picks the port and the others share it.
        port = loop->acceptor.local_endpoint().port();
        loop->work.emplace(loop->ioc.get_executor());
        Accept(loop->acceptor, loop->ioc, runtime_, provider_, *workers_, loop->registry);
        loops_.push_back(std::move(loop));
    }
    port_ = port;
    for (auto& loop : loops_) {
        threads_.emplace_back([ioc = &loop->ioc] {
            for (;;) {
                try {
                    ioc->run();
                    return;
                } catch (const std::exception& e) {
                    Log(LogLevel::kError, "event_loop_error",
                        {{"error", std::string_view(e.what())}});
                }
            }
        });
    }
    return Ok{};
}

void Server::Shutdown() {
    if (loops_.empty() || shutting_down_) return;
    shutting_down_ = true;
    runtime_.SetDraining();
    drain_deadline_ =
        std::chrono::steady_clock::now() + std::chrono::seconds(options_.drain_seconds);
    for (auto& loop : loops_) {
        asio::post(loop->ioc, [l = loop.get()] {
            beast::error_code ec;
            l->acceptor.close(ec);
            l->work.reset();
            l->registry.draining = true;
            // Copy: closing may end sessions, which leave the registry.
            std::vector<Session*> sessions(l->registry.sessions.begin(),
                                           l->registry.sessions.end());
            for (Session* session : sessions) session->CloseIfIdle();
        });
    }
}

void Server::Wait() {
    if (shutting_down_) {
        // In-flight requests finish on their own; idle keep-alive connections are cut at the
        // drain bound.
        auto all_stopped = [this] {
            return std::all_of(loops_.begin(), loops_.end(),
                               [](const auto& l) { return l->ioc.stopped(); });
        };
        while (!all_stopped() && std::chrono::steady_clock::now() < drain_deadline_) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        for (auto& loop : loops_) loop->ioc.stop();
    }
    for (auto& thread : threads_) {
        if (thread.joinable()) thread.join();
    }
    if (workers_) workers_->join();
}

}  // namespace stepgate::http
