// oidc::DecodeFlow: the flow cookie's plaintext (JSON) after unsealing. Input: the JSON; also
// tried as a sealed flow cookie value (Sealer::Unseal with the fixed secret, "flow" purpose).
//
// Properties: a decoded flow has non-empty state, nonce and code verifier; EncodeFlow then
// DecodeFlow gives the same flow back; CheckAuthentication on it does not misbehave for the
// values EncodeFlow can produce (max_age within the 10 years a duration may say).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/fuzz_support.h"
#include "common/known.h"
#include "oidc/flow.h"

using namespace stepgate;

namespace {

bool SameFlow(const oidc::FlowState& a, const oidc::FlowState& b) {
    return a.state == b.state && a.nonce == b.nonce && a.code_verifier == b.code_verifier &&
           a.rd == b.rd && a.level == b.level && a.max_age == b.max_age &&
           a.started_at == b.started_at && a.subject_hint == b.subject_hint;
}

int Check(std::string_view input) {
    const auto flow = oidc::DecodeFlow(input);
    if (!flow) return 0;
    FUZZ_REQUIRE("flow-decoded",
                 !flow->state.empty() && !flow->nonce.empty() && !flow->code_verifier.empty(),
                 input);
    const auto again = oidc::DecodeFlow(oidc::EncodeFlow(*flow));
    FUZZ_REQUIRE("flow-roundtrip", again && SameFlow(*flow, *again), input);
    (void)oidc::FlowCookieName(fuzz::kSessionCookie, flow->state);

    constexpr std::int64_t kTenYears = 10LL * 366 * 24 * 3600;
    if (!flow->max_age || (*flow->max_age >= 0 && *flow->max_age <= kTenYears)) {
        core::Identity identity;
        identity.level = 1;
        identity.auth_time = fuzz::kNow - 120;
        (void)oidc::CheckAuthentication(*flow, identity, fuzz::kNow, 30);
    }
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)fuzz::FlowSealer();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (Check(input) != 0) return -1;
    const std::string cookie = oidc::FlowCookieName(fuzz::kSessionCookie, "fuzz-state-0123456789");
    if (auto plaintext = fuzz::FlowSealer().Unseal(input, cookie)) {
        if (Check(*plaintext) != 0) return -1;
    }
    return 0;
}
