#include "http/server.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <vector>

#include "config/config.h"
#include "http/request_parser.h"
#include "http/response_writer.h"
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

// Every I/O object of a loop is bound to the loop's concrete executor: no type-erased
// any_io_executor to copy and destroy on each operation.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;
using SteadyClock = std::chrono::steady_clock;

// How often a loop looks for connections past their deadline: a read timeout fires between
// kReadTimeoutSeconds and kReadTimeoutSeconds + this.
constexpr auto kTimeoutSweepInterval = std::chrono::seconds(1);
// The read buffer starts small (idle connections are cheap) and grows while a line of the head
// does not fit: Beast consumes the request line and each complete field as they arrive, and
// refuses a head past kMaxRequestHeadBytes. Bodies are consumed as they arrive. A chunk header or
// trailer that fills the buffer is refused like an oversized head.
constexpr std::size_t kInitialReadBufferBytes = 2048;
constexpr std::size_t kMaxReadBufferBytes = kMaxRequestHeadBytes + kMaxRequestBodyBytes;
// A connection keeps the storage of its request and response for the next one, up to this.
constexpr std::size_t kKeptMessageBytes = 8192;

class Session;
using SessionRef = std::shared_ptr<Session>;

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

// The sessions of one event loop, touched only on that loop's thread: the timeout sweep walks
// them, and at shutdown idle keep-alive connections are closed at once instead of waiting out
// the drain bound.
struct SessionRegistry {
    std::vector<Session*> sessions;  // each session knows its index: O(1) removal
    bool draining = false;
    Timer* sweep = nullptr;  // the loop's sweep timer; null once the loop is being destroyed
};

class Session {
 public:
    Session(Socket socket, adapters::Runtime& runtime, oidc::Provider* provider,
            asio::thread_pool& workers, SessionRegistry& registry)
        : socket_(std::move(socket)),
          runtime_(runtime),
          provider_(provider),
          workers_(workers),
          registry_(registry) {
        beast::error_code ec;
        auto endpoint = socket_.remote_endpoint(ec);
        if (!ec) connection_.peer_address = endpoint.address().to_string();
        socket_.set_option(tcp::no_delay(true), ec);
    }

    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    ~Session() {
        // Swap-remove from the registry.
        Session* last = registry_.sessions.back();
        registry_.sessions[index_] = last;
        last->index_ = index_;
        registry_.sessions.pop_back();
        // Draining and the last connection gone: let the loop run out of work.
        if (registry_.draining && registry_.sessions.empty() && registry_.sweep != nullptr)
            registry_.sweep->cancel();
    }

    // The session lives as long as a reference to it: the one held by the operation in flight
    // (a read, a write, deferred work, a key refresh) and passed from each to the next.
    static void Run(SessionRef self) {
        Session& session = *self;
        session.index_ = session.registry_.sessions.size();
        session.registry_.sessions.push_back(&session);
        session.buffer_ = std::make_unique<char[]>(kInitialReadBufferBytes);
        session.capacity_ = kInitialReadBufferBytes;
        session.Read(std::move(self));
    }

    // Shutdown: a connection waiting for its next request is closed now; one with a request
    // in flight finishes it (its answer says Connection: close).
    void CloseIfIdle() {
        if (!waiting_for_request_ || begin_ != end_ || parser_->got_some()) return;
        beast::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }

    // The timeout sweep: the request did not arrive complete (or its answer could not be
    // written) before the deadline. The operation in flight ends with operation_aborted.
    void CloseIfExpired(SteadyClock::time_point now) {
        if (deadline_ > now) return;
        deadline_ = SteadyClock::time_point::max();
        beast::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }

 private:
    void Read(SessionRef self) {
        // One large request must not pin its buffers for the connection's life.
        if (request_.held_bytes() > kKeptMessageBytes) request_ = adapters::Request();
        if (response_.held_bytes() + response_.body().capacity() > kKeptMessageBytes)
            response_ = adapters::Response();
        if (out_.capacity() > kKeptMessageBytes) out_ = std::string();
        parser_.emplace(request_);
        parser_->header_limit(kMaxRequestHeadBytes);
        parser_->body_limit(kMaxRequestBodyBytes);
        parser_->eager(true);
        // One deadline for the request to arrive complete and its answer to be written.
        deadline_ = SteadyClock::now() + std::chrono::seconds(kReadTimeoutSeconds);
        waiting_for_request_ = true;
        if (registry_.draining && begin_ == end_) return Close();
        Parse(std::move(self));
    }

    // Feeds the buffered bytes to the parser (a pipelined request may already be there), and
    // reads more while it needs them. The error codes are those of bhttp::async_read.
    void Parse(SessionRef self) {
        while (begin_ != end_) {
            beast::error_code ec;
            const std::size_t used =
                parser_->put(asio::const_buffer(buffer_.get() + begin_, end_ - begin_), ec);
            begin_ += used;
            if (ec == bhttp::error::need_more) break;
            if (ec || parser_->is_done()) return OnRead(std::move(self), ec);
            if (used == 0) break;
        }
        // More bytes are needed (the rest of the head, or a body): the fields parsed so far
        // borrow from the bytes about to be moved or read over (request_parser.h).
        parser_->OwnHeaderText();
        if (begin_ == end_) {
            begin_ = end_ = 0;
        } else if (begin_ != 0) {
            std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (end_ == capacity_) {
            if (capacity_ >= kMaxReadBufferBytes)
                return OnRead(std::move(self), bhttp::error::buffer_overflow);
            const std::size_t capacity = std::min(capacity_ * 2, kMaxReadBufferBytes);
            auto grown = std::make_unique<char[]>(capacity);
            std::memcpy(grown.get(), buffer_.get(), end_);
            buffer_ = std::move(grown);
            capacity_ = capacity;
        }
        socket_.async_read_some(
            asio::mutable_buffer(buffer_.get() + end_, capacity_ - end_),
            [this, self = std::move(self)](beast::error_code ec, std::size_t n) mutable {
                if (ec == asio::error::eof) {
                    if (!parser_->got_some())
                        return OnRead(std::move(self), bhttp::error::end_of_stream);
                    ec = {};
                    parser_->put_eof(ec);
                    return OnRead(std::move(self), ec);
                }
                if (ec) return OnRead(std::move(self), ec);
                end_ += n;
                Parse(std::move(self));
            });
    }

    void OnRead(SessionRef self, beast::error_code ec) {
        waiting_for_request_ = false;
        if (ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
            ec == asio::error::operation_aborted) {
            return Close();
        }
        if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
            return Refuse(std::move(self), bhttp::status::request_header_fields_too_large,
                          "request header fields too large");
        if (ec == bhttp::error::body_limit)
            return Refuse(std::move(self), bhttp::status::payload_too_large, "payload too large");
        if (ec) return Refuse(std::move(self), bhttp::status::bad_request, "malformed request");
        // RFC 9112 §6.3: a request whose final transfer coding is not chunked has no
        // determinable length; answer 400 and close rather than read the rest as a new request.
        if (auto coding = request_[bhttp::field::transfer_encoding];
            !coding.empty() && !IsChunkedOnly(coding)) {
            return Refuse(std::move(self), bhttp::status::bad_request,
                          "unsupported transfer coding");
        }
        Handle(std::move(self), /*may_refresh_keys=*/true);
    }

    // The request stays until the next one is read.
    const adapters::Request& request() const { return request_; }

    void ResetResponse() { response_.Clear(); }  // keeps the buffers

    void Handle(SessionRef self, bool may_refresh_keys) {
        ResetResponse();
        adapters::HandleStatus status = adapters::HandleStatus::kDone;
        try {
            deferred_ = nullptr;
            status = adapters::HandleRequest(runtime_, request(), response_, connection_,
                                             may_refresh_keys, &deferred_);
        } catch (const std::exception& e) {
            // The one outermost catch: anything stray denies with 500 (STYLE habit 3).
            runtime_.metrics().internal_errors.fetch_add(1, std::memory_order_relaxed);
            Log(LogLevel::kError, "internal_error", {{"error", std::string_view(e.what())}});
            ResetResponse();
            response_.version(request().version());
            response_.result(bhttp::status::internal_server_error);
            response_.set(bhttp::field::content_type, "text/plain; charset=utf-8");
            response_.body() = "internal error\n";
            response_.keep_alive(false);
        }
        if (status == adapters::HandleStatus::kDeferred && deferred_) {
            // Blocking provider I/O runs on the worker pool; the answer is written back on
            // this connection's loop.
            asio::post(workers_, [this, self = std::move(self), executor = socket_.get_executor(),
                                  work = std::move(deferred_)]() mutable {
                try {
                    work(response_);
                } catch (const std::exception& e) {
                    Log(LogLevel::kError, "internal_error",
                        {{"error", std::string_view(e.what())}});
                    response_.result(bhttp::status::internal_server_error);
                    response_.body() = "internal error\n";
                }
                // The session's last reference must drop on its own loop (the registry is the
                // loop's): move it into the handler posted there.
                asio::post(executor, [this, session = std::move(self)]() mutable {
                    Write(std::move(session));
                });
            });
            return;
        }
        if (status == adapters::HandleStatus::kNeedsKeyRefresh && provider_ != nullptr) {
            // Wait for the provider thread, then decide again on this connection's loop.
            provider_->RefreshForUnknownKid(
                [this, self = std::move(self), executor = socket_.get_executor()]() mutable {
                    asio::post(executor, [this, session = std::move(self)]() mutable {
                        Handle(std::move(session), false);
                    });
                });
            return;
        }
        if (status == adapters::HandleStatus::kNeedsKeyRefresh)
            return Handle(std::move(self), false);
        Write(std::move(self));
    }

    // The answer closes the connection past kMaxRequestsPerConnection or when draining.
    void Serialize() {
        ++served_;
        const bool limit = served_ >= kMaxRequestsPerConnection || registry_.draining;
        keep_alive_ = response_.keep_alive() && !limit;
        WriteResponse(response_, keep_alive_, out_);
    }

    // The answer is sent from a posted handler: every request that arrived in the same epoll
    // batch is decided first, then the answers go out together. A client waiting on several
    // connections is then woken once per batch instead of once per answer (a cross-core wake-up
    // costs several microseconds on a VM), for the price of one post.
    void Write(SessionRef self) {
        Serialize();
        asio::post(socket_.get_executor(),
                   [this, self = std::move(self)]() mutable { Send(std::move(self)); });
    }

    void Send(SessionRef self) {
        asio::async_write(
            socket_, asio::const_buffer(out_.data(), out_.size()),
            [this, self = std::move(self)](beast::error_code ec, std::size_t) mutable {
                if (ec || !keep_alive_) return Close();
                Read(std::move(self));
            });
    }

    void Refuse(SessionRef self, bhttp::status status, std::string_view text) {
        ResetResponse();
        response_.version(11);
        response_.result(status);
        response_.set(bhttp::field::content_type, "text/plain; charset=utf-8");
        response_.body().append(text).append("\n");
        response_.keep_alive(false);
        Write(std::move(self));
    }

    void Close() {
        beast::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        socket_.close(ec);
    }

    Socket socket_;
    // The read buffer: [begin_, end_) is received and not yet parsed.
    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    adapters::Request request_;  // filled by parser_; its buffers are reused
    std::optional<RequestParser> parser_;
    adapters::Response response_;
    std::string out_;  // the serialized response, reused
    bool keep_alive_ = false;
    adapters::Runtime& runtime_;
    oidc::Provider* provider_;
    asio::thread_pool& workers_;
    SessionRegistry& registry_;
    std::size_t index_ = 0;  // in registry_.sessions
    SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
    bool waiting_for_request_ = false;
    adapters::DeferredWork deferred_;
    adapters::ConnectionInfo connection_;
    int served_ = 0;
};

}  // namespace

struct Server::Loop {
    SessionRegistry registry;  // declared first: outlives the sessions the io_context destroys
    // One thread runs the loop and touches its sockets, acceptor and timers (other threads
    // only post to it, or stop it): the reactor's per-socket locks, taken several times per
    // request, are then not needed. Posting from other threads stays safe (the scheduler
    // keeps its lock).
    asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    Acceptor acceptor{ioc.get_executor()};
    Timer sweep{ioc.get_executor()};
    std::optional<asio::executor_work_guard<Executor>> work;

    Loop() { registry.sweep = &sweep; }
    // Sessions still alive are destroyed with the io_context, after the timer.
    ~Loop() { registry.sweep = nullptr; }
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;
};

Server::Server(adapters::Runtime& runtime, oidc::Provider* provider, ServerOptions options)
    : runtime_(runtime), provider_(provider), options_(std::move(options)) {}

Server::~Server() {
    Shutdown();
    Wait();
}

namespace {

void Accept(Acceptor& acceptor, adapters::Runtime& runtime, oidc::Provider* provider,
            asio::thread_pool& workers, SessionRegistry& registry) {
    acceptor.async_accept(
        [&acceptor, &runtime, provider, &workers, &registry](beast::error_code ec, Socket socket) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
            if (!ec && registry.sessions.size() >= kMaxConnectionsPerLoop) {
                beast::error_code ignored;
                socket.close(ignored);
            } else if (!ec) {
                Session::Run(std::make_shared<Session>(std::move(socket), runtime, provider,
                                                       workers, registry));
            }
            Accept(acceptor, runtime, provider, workers, registry);
        });
}

// One timer per loop closes the connections whose deadline passed, instead of a timer per
// operation. It stops when the loop drains and its last connection is gone.
void Sweep(Timer& timer, SessionRegistry& registry) {
    timer.expires_after(kTimeoutSweepInterval);
    timer.async_wait([&timer, &registry](beast::error_code ec) {
        if (ec == asio::error::operation_aborted) return;
        const auto now = SteadyClock::now();
        // Closing only cancels operations (their handlers run later): the list is stable.
        for (Session* session : registry.sessions) session->CloseIfExpired(now);
        if (registry.draining && registry.sessions.empty()) return;
        Sweep(timer, registry);
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
        Accept(loop->acceptor, runtime_, provider_, *workers_, loop->registry);
        Sweep(loop->sweep, loop->registry);
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
            // Copy: kept from when closing could end sessions at once; cheap at shutdown.
            std::vector<Session*> sessions(l->registry.sessions.begin(),
                                           l->registry.sessions.end());
            for (Session* session : sessions) session->CloseIfIdle();
            if (l->registry.sessions.empty()) l->sweep.cancel();
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
