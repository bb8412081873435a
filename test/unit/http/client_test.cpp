// The provider client keeps one deadline for the whole exchange: a provider that accepts and
// then says nothing, or answers a byte at a time, cannot hold the provider thread or a worker
// past it. Local servers on 127.0.0.1 only.
#include "http/client.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <string>
#include <thread>

namespace stepgate::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Accepts one connection and runs `serve` on it, on its own thread.
class OneShotServer {
 public:
    template <class Serve>
    explicit OneShotServer(Serve serve)
        : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        port_ = acceptor_.local_endpoint().port();
        thread_ = std::thread([this, serve] {
            boost::system::error_code ec;
            tcp::socket socket(ioc_);
            acceptor_.accept(socket, ec);
            if (!ec) serve(socket);
        });
    }
    ~OneShotServer() {
        boost::system::error_code ec;
        acceptor_.close(ec);
        thread_.join();
    }
    std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/x"; }

 private:
    asio::io_context ioc_;
    tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::thread thread_;
};

std::string ReadHead(tcp::socket& socket) {
    std::string head;
    char c;
    boost::system::error_code ec;
    while (head.find("\r\n\r\n") == std::string::npos &&
           asio::read(socket, asio::buffer(&c, 1), ec) == 1)
        head.push_back(c);
    return head;
}

TEST(HttpClient, FetchesAnAnswer) {
    OneShotServer server([](tcp::socket& socket) {
        ReadHead(socket);
        const std::string answer =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        asio::write(socket, asio::buffer(answer));
    });
    auto response = Fetch({.url = server.Url(), .timeout = std::chrono::milliseconds(2000)});
    ASSERT_TRUE(response) << response.error();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->content_type, "application/json");
    EXPECT_EQ(response->body, "{}");
}

TEST(HttpClient, SilentServerTimesOutAtTheDeadline) {
    OneShotServer server([](tcp::socket& socket) {
        ReadHead(socket);
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
    });
    const auto start = Clock::now();
    auto response = Fetch({.url = server.Url(), .timeout = std::chrono::milliseconds(300)});
    const auto took = Clock::now() - start;
    ASSERT_FALSE(response);
    EXPECT_NE(response.error().find("127.0.0.1"), std::string::npos) << response.error();
    EXPECT_LT(took, std::chrono::milliseconds(1000));
}

TEST(HttpClient, ByteAtATimeServerCannotStretchTheDeadline) {
    // Each byte arrives well within the deadline; all of them together do not.
    OneShotServer server([](tcp::socket& socket) {
        ReadHead(socket);
        const std::string answer =
            "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n" + std::string(40, 'x');
        boost::system::error_code ec;
        for (char c : answer) {
            if (asio::write(socket, asio::buffer(&c, 1), ec) != 1) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
    });
    const auto start = Clock::now();
    auto response = Fetch({.url = server.Url(), .timeout = std::chrono::milliseconds(400)});
    const auto took = Clock::now() - start;
    ASSERT_FALSE(response);
    EXPECT_LT(took, std::chrono::milliseconds(1200));
}

TEST(HttpClient, RefusesWhatIsNotAnHttpUrl) {
    for (const char* url :
         {"ftp://127.0.0.1/", "127.0.0.1:80/x", "http://user@127.0.0.1/", "http:///x"}) {
        EXPECT_FALSE(Fetch({.url = url, .timeout = std::chrono::milliseconds(200)})) << url;
    }
}

TEST(HttpClient, UnresolvableHostFailsWithinTheDeadline) {
    // .invalid never resolves (RFC 6761); whatever the resolver does, the answer comes in time.
    const auto start = Clock::now();
    auto response = Fetch(
        {.url = "http://stepgate-test.invalid/x", .timeout = std::chrono::milliseconds(1500)});
    EXPECT_FALSE(response);
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2500));
}

}  // namespace
}  // namespace stepgate::http
