#include "core/requirement.h"

#include <algorithm>

namespace stepgate::core {

namespace {
bool Contains(const std::vector<std::string>& values, std::string_view value) {
    return std::find(values.begin(), values.end(), value) != values.end();
}
}  // namespace

LevelIndex LevelOf(const std::vector<Level>& levels, const Identity& identity) {
    for (int index = static_cast<int>(levels.size()) - 1; index >= 0; --index) {
        const Level& level = levels[static_cast<std::size_t>(index)];
        if (!identity.acr.empty() && Contains(level.acr, identity.acr)) return index;
        for (const auto& method : identity.amr) {
            if (Contains(level.amr_any, method)) return index;
        }
    }
    return kNoLevel;
}

std::vector<std::string> AcrValuesFor(const std::vector<Level>& levels, LevelIndex level) {
    std::vector<std::string> values;
    if (level < 0) return values;
    for (std::size_t index = static_cast<std::size_t>(level); index < levels.size(); ++index) {
        for (const auto& acr : levels[index].acr) {
            if (!Contains(values, acr)) values.push_back(acr);
        }
    }
    return values;
}

}  // namespace stepgate::core
