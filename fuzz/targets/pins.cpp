// policy::ParsePins: the query of the auth URL (`?level=mfa&max_age=300`, `?policy=admin`),
// over the fixed policy. Input: the query without '?'.
//
// Properties: pins name a known rule ("policy=") or are "pinned"; their level is a configured
// one or none; max_age is within 0..10 years; list values are non-empty; the canonical query
// they carry to /start parses back to the same requirement (and to the same canonical query);
// ignoring `rd` never turns a refusal into pins unless the refusal was about `rd`.
#include "policy/pins.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/fuzz_support.h"
#include "common/known.h"

using namespace stepgate;

namespace {

bool SameRequirement(const core::Requirement& a, const core::Requirement& b) {
    if (a.level != b.level || a.max_age != b.max_age || a.groups_any != b.groups_any ||
        a.groups_all != b.groups_all || a.scopes_all != b.scopes_all ||
        a.claims.size() != b.claims.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.claims.size(); ++i) {
        if (a.claims[i].name != b.claims[i].name || a.claims[i].accepted != b.claims[i].accepted)
            return false;
    }
    return true;
}

int CheckPins(const policy::Pins& pins, const policy::Policy& policy, std::string_view input) {
    FUZZ_REQUIRE("pins-shape", pins.rule_name == "pinned" || policy.FindRule(pins.rule_name),
                 input);
    const auto& r = pins.requirement;
    FUZZ_REQUIRE("pins-shape",
                 r.level >= core::kNoLevel && r.level < static_cast<int>(policy.levels.size()),
                 input);
    FUZZ_REQUIRE("pins-shape", !r.max_age || (*r.max_age >= 0 && *r.max_age <= 10LL * 366 * 86400),
                 input);
    for (const auto* list : {&r.groups_any, &r.groups_all, &r.scopes_all}) {
        for (const auto& item : *list) FUZZ_REQUIRE("pins-shape", !item.empty(), input);
    }
    FUZZ_REQUIRE("pins-shape", !pins.query.empty(), input);
    auto again = policy::ParsePins(pins.query, policy);
    FUZZ_REQUIRE("pins-canonical", again && again->has_value(), input);
    FUZZ_REQUIRE("pins-canonical", SameRequirement((*again)->requirement, r), input);
    FUZZ_REQUIRE("pins-canonical", (*again)->rule_name == pins.rule_name, input);
    FUZZ_REQUIRE("pins-canonical", (*again)->query == pins.query, input);
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)fuzz::Config();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const policy::Policy& policy = fuzz::Config()->policy;

    auto pins = policy::ParsePins(input, policy);
    if (pins && pins->has_value()) {
        if (CheckPins(**pins, policy, input) != 0) return -1;
    } else if (!pins) {
        (void)policy::Describe(pins.error());
    }
    // /start: `rd` travels with the pins and is skipped.
    auto start_pins = policy::ParsePins(input, policy, {"rd"});
    if (start_pins && start_pins->has_value()) {
        if (CheckPins(**start_pins, policy, input) != 0) return -1;
    }
    if (pins && start_pins && pins->has_value() && start_pins->has_value()) {
        FUZZ_REQUIRE("pins-rd", (*pins)->query == (*start_pins)->query, input);
    }
    return 0;
}
