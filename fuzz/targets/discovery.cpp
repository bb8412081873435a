// oidc::ParseDiscovery: the provider's /.well-known/openid-configuration (fetched over the
// network: untrusted bytes). Input: the document.
//
// Properties: a document accepted names exactly the expected issuer and an http(s) jwks_uri.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/fuzz_support.h"
#include "common/known.h"
#include "oidc/provider.h"

using namespace stepgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto discovery = oidc::ParseDiscovery(text, fuzz::kIssuer);
    if (!discovery) return 0;
    FUZZ_REQUIRE("discovery", discovery->issuer == fuzz::kIssuer, text);
    FUZZ_REQUIRE("discovery",
                 discovery->jwks_uri.rfind("https://", 0) == 0 ||
                     discovery->jwks_uri.rfind("http://", 0) == 0,
                 text);
    return 0;
}
