#include "adapters/client_address.h"

#include <gtest/gtest.h>

namespace stepgate::adapters {
namespace {

Request WithForwarded(std::string xff, std::string real_ip = "") {
    Request request{boost::beast::http::verb::get, "/auth", 11};
    if (!xff.empty()) request.set("X-Forwarded-For", xff);
    if (!real_ip.empty()) request.set("X-Real-IP", real_ip);
    return request;
}

TEST(ClientAddress, UntrustedPeerIsTheClientWhateverItClaims) {
    std::vector<config::Cidr> trusted{*config::Cidr::Parse("10.0.0.0/8")};
    EXPECT_EQ(ClientAddress(WithForwarded("1.2.3.4"), "192.0.2.7", trusted), "192.0.2.7");
    EXPECT_EQ(ClientAddress(WithForwarded("1.2.3.4"), "10.1.1.1", {}), "10.1.1.1");
}

TEST(ClientAddress, TrustedPeerForwardsTheRightmostUntrustedHop) {
    std::vector<config::Cidr> trusted{*config::Cidr::Parse("10.0.0.0/8")};
    EXPECT_EQ(ClientAddress(WithForwarded("6.6.6.6, 203.0.113.9, 10.2.2.2"), "10.1.1.1", trusted),
              "203.0.113.9");
    EXPECT_EQ(ClientAddress(WithForwarded("", "203.0.113.5"), "10.1.1.1", trusted), "203.0.113.5");
    EXPECT_EQ(ClientAddress(WithForwarded("not-an-ip"), "10.1.1.1", trusted), "10.1.1.1");
    EXPECT_EQ(ClientAddress(WithForwarded("2001:db8::1"), "10.1.1.1", trusted), "2001:db8::1");
}

}  // namespace
}  // namespace stepgate::adapters
