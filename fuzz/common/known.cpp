#include "common/known.h"

#include <cstdlib>
#include <string>

namespace stepgate::fuzz {

bool KnownViolation(std::string_view id) {
    static const std::string known = [] {
        const char* value = std::getenv("STEPGATE_FUZZ_KNOWN");
        return "," + std::string(value != nullptr ? value : "") + ",";
    }();
    return known.find("," + std::string(id) + ",") != std::string::npos;
}

}  // namespace stepgate::fuzz
