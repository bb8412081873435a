// The listener and the sessions: only I/O. One io_context (event loop) per thread, each with
// its own SO_REUSEPORT acceptor, so the kernel spreads connections and loops share nothing.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/handler.h"
#include "common/result.h"

namespace stepgate::oidc {
class Provider;
}

namespace stepgate::http {

// Limits at the edge (STYLE habit 10).
inline constexpr std::size_t kMaxRequestHeadBytes = 32 * 1024;
inline constexpr std::size_t kMaxRequestBodyBytes = 64 * 1024;
// A request must arrive complete, and its answer be written, within this; an idle keep-alive
// connection is closed after it. Each loop checks its connections' deadlines once a second.
inline constexpr int kReadTimeoutSeconds = 30;
inline constexpr int kMaxRequestsPerConnection = 100000;
// Per event loop; past it a new connection is closed at once, so a flood of idle connections
// cannot exhaust file descriptors and starve the probes.
inline constexpr std::size_t kMaxConnectionsPerLoop = 8192;

struct ServerOptions {
    std::string listen;  // ADDRESS:PORT
    int threads = 0;     // 0: one per core
    int drain_seconds = 10;
};

class Server {
 public:
    Server(adapters::Runtime& runtime, oidc::Provider* provider, ServerOptions options);
    ~Server();

    // Binds every loop's acceptor; an error names the address.
    Status<std::string> Start();
    // Readiness turns false, acceptors close, in-flight requests finish (bounded), then stop.
    void Shutdown();
    void Wait();
    unsigned short port() const { return port_; }

 private:
    struct Loop;
    adapters::Runtime& runtime_;
    oidc::Provider* provider_;
    ServerOptions options_;
    std::vector<std::unique_ptr<Loop>> loops_;
    // Blocking calls to the provider (the token endpoint) run here, off the event loops.
    std::unique_ptr<boost::asio::thread_pool> workers_ =
        std::make_unique<boost::asio::thread_pool>(2);
    std::vector<std::thread> threads_;
    unsigned short port_ = 0;
    bool shutting_down_ = false;
    std::chrono::steady_clock::time_point drain_deadline_{};
};

}  // namespace stepgate::http
