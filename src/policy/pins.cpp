#include "policy/pins.h"

#include <algorithm>
#include <array>

#include "common/duration.h"
#include "common/encoding.h"
#include "policy/url.h"

namespace stepgate::policy {

namespace {

constexpr std::array<std::string_view, 6> kPinKeys = {"policy",     "level",      "max_age",
                                                      "groups_any", "groups_all", "scopes_all"};

bool SplitList(std::string_view value, std::vector<std::string>& out) {
    std::size_t pos = 0;
    while (pos <= value.size()) {
        const std::size_t end = std::min(value.find(',', pos), value.size());
        std::string_view item = value.substr(pos, end - pos);
        if (item.empty()) return false;
        out.emplace_back(item);
        pos = end + 1;
    }
    return !out.empty();
}

}  // namespace

std::string_view Describe(PinError error) {
    switch (error) {
        case PinError::kUnknownKey:
            return "unknown pin key in the auth URL";
        case PinError::kDuplicateKey:
            return "a pin key is repeated in the auth URL";
        case PinError::kBadValue:
            return "a pin value in the auth URL is malformed";
        case PinError::kUnknownPolicy:
            return "the pinned policy names no rule";
        case PinError::kUnknownLevel:
            return "the pinned level is not configured";
        case PinError::kPolicyAndInline:
            return "policy= cannot be combined with inline pins";
    }
    return "bad pins";
}

Result<std::optional<Pins>, PinError> ParsePins(
    std::string_view query, const Policy& policy,
    std::initializer_list<std::string_view> ignored_keys) {
    std::array<std::optional<std::string>, kPinKeys.size()> values;
    auto params = ParseQuery(query);
    if (!params) return MakeError(PinError::kBadValue);
    for (const auto& [key, value] : *params) {
        if (std::find(ignored_keys.begin(), ignored_keys.end(), key) != ignored_keys.end())
            continue;
        const auto it = std::find(kPinKeys.begin(), kPinKeys.end(), key);
        if (it == kPinKeys.end()) return MakeError(PinError::kUnknownKey);
        if (value.empty()) return MakeError(PinError::kBadValue);
        auto& slot = values[static_cast<std::size_t>(it - kPinKeys.begin())];
        if (slot) return MakeError(PinError::kDuplicateKey);
        slot = value;
    }
    const bool any =
        std::any_of(values.begin(), values.end(), [](const auto& v) { return v.has_value(); });
    if (!any) return std::optional<Pins>();

    Pins pins;
    if (values[0]) {
        if (std::any_of(values.begin() + 1, values.end(),
                        [](const auto& v) { return v.has_value(); })) {
            return MakeError(PinError::kPolicyAndInline);
        }
        const Rule* rule = policy.FindRule(*values[0]);
        if (rule == nullptr) return MakeError(PinError::kUnknownPolicy);
        pins.requirement = rule->require;
        pins.rule_name = rule->name;
        pins.query = "policy=" + PercentEncode(rule->name, ",:");
        return std::optional<Pins>(std::move(pins));
    }

    // Pins replace the rule as a whole; without `level=` they need the weakest level.
    pins.rule_name = "pinned";
    pins.requirement.level = policy.levels.empty() ? core::kNoLevel : 0;
    if (values[1]) {
        auto level = policy.FindLevel(*values[1]);
        if (!level) return MakeError(PinError::kUnknownLevel);
        pins.requirement.level = *level;
    }
    if (values[2]) {
        auto seconds = ParseDurationSeconds(*values[2]);
        if (!seconds) return MakeError(PinError::kBadValue);
        pins.requirement.max_age = *seconds;
    }
    if (values[3] && !SplitList(*values[3], pins.requirement.groups_any))
        return MakeError(PinError::kBadValue);
    if (values[4] && !SplitList(*values[4], pins.requirement.groups_all))
        return MakeError(PinError::kBadValue);
    if (values[5] && !SplitList(*values[5], pins.requirement.scopes_all))
        return MakeError(PinError::kBadValue);

    for (std::size_t i = 1; i < kPinKeys.size(); ++i) {
        if (!values[i]) continue;
        if (!pins.query.empty()) pins.query += '&';
        pins.query += kPinKeys[i];
        pins.query += '=';
        pins.query += PercentEncode(*values[i], ",:");
    }
    return std::optional<Pins>(std::move(pins));
}

}  // namespace stepgate::policy
