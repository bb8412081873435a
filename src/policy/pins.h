// Pins: a requirement fixed per Ingress through the auth URL's query (CONTRACT "Query
// parameters on the auth URL"), e.g. `?level=mfa&max_age=300` or `?policy=admin`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "core/requirement.h"
#include "policy/policy.h"

namespace stepgate::policy {

enum class PinError {
    kUnknownKey,
    kDuplicateKey,
    kBadValue,  // empty, badly escaped, or a malformed duration
    kUnknownPolicy,
    kUnknownLevel,
    kPolicyAndInline,  // `policy=` cannot be combined with inline pins
};

std::string_view Describe(PinError error);

struct Pins {
    core::Requirement requirement;
    std::string rule_name;  // the policy's name, or "pinned" for inline pins
    std::string query;      // canonical query to carry on to /start
};

// nullopt when the query holds no pins. `ignored_keys` are accepted and skipped (for
// /start, where `rd` travels with the pins).
Result<std::optional<Pins>, PinError> ParsePins(
    std::string_view query, const Policy& policy,
    std::initializer_list<std::string_view> ignored_keys = {});

}  // namespace stepgate::policy
