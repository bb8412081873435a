#include "session/sealer.h"

#include <gtest/gtest.h>

#include "jose/base64url.h"

namespace stepgate::session {
namespace {

Secret SecretOf(char fill) { return Secret(std::string(32, fill)); }

TEST(Sealer, RoundTripsAndBindsTheContext) {
    auto sealer = Sealer::Create({SecretOf('a')}, "session");
    ASSERT_TRUE(sealer);
    const std::string sealed = sealer->Seal("{\"sub\":\"alice\"}", "_stepgate");
    EXPECT_EQ(sealer->Unseal(sealed, "_stepgate"), "{\"sub\":\"alice\"}");
    EXPECT_FALSE(sealer->Unseal(sealed, "_other"));
}

TEST(Sealer, EverySealUsesAFreshIv) {
    auto sealer = Sealer::Create({SecretOf('a')}, "session");
    EXPECT_NE(sealer->Seal("same", "c"), sealer->Seal("same", "c"));
}

TEST(Sealer, PurposesDoNotOpenEachOther) {
    auto session = Sealer::Create({SecretOf('a')}, "session");
    auto flow = Sealer::Create({SecretOf('a')}, "flow");
    EXPECT_FALSE(flow->Unseal(session->Seal("x", "c"), "c"));
}

TEST(Sealer, RotationSealsWithTheFirstAndOpensWithAll) {
    auto old_only = Sealer::Create({SecretOf('o')}, "session");
    auto rotated = Sealer::Create({SecretOf('n'), SecretOf('o')}, "session");
    auto new_only = Sealer::Create({SecretOf('n')}, "session");
    EXPECT_EQ(rotated->Unseal(old_only->Seal("v", "c"), "c"), "v");
    EXPECT_EQ(new_only->Unseal(rotated->Seal("v", "c"), "c"), "v");
    EXPECT_FALSE(old_only->Unseal(new_only->Seal("v", "c"), "c"));
}

TEST(Sealer, TamperedTruncatedAndGarbageValuesDoNotOpen) {
    auto sealer = Sealer::Create({SecretOf('a')}, "session");
    const std::string sealed = sealer->Seal("payload", "c");
    auto raw = *jose::Base64UrlDecode(sealed);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        std::string flipped = raw;
        flipped[i] = static_cast<char>(flipped[i] ^ 1);
        EXPECT_FALSE(sealer->Unseal(jose::Base64UrlEncode(flipped), "c")) << "byte " << i;
    }
    EXPECT_FALSE(sealer->Unseal(jose::Base64UrlEncode(raw.substr(0, raw.size() - 1)), "c"));
    EXPECT_FALSE(sealer->Unseal(jose::Base64UrlEncode(raw.substr(0, 20)), "c"));
    EXPECT_FALSE(sealer->Unseal("", "c"));
    EXPECT_FALSE(sealer->Unseal("!!!", "c"));
    EXPECT_FALSE(sealer->Unseal(std::string(70000, 'A'), "c"));
}

TEST(Sealer, NeedsASecret) { EXPECT_FALSE(Sealer::Create({}, "session")); }

}  // namespace
}  // namespace stepgate::session
