// Known, already reported property violations that a local fuzzing session may step over so
// that it can keep looking for others: STEPGATE_FUZZ_KNOWN=id1,id2 in the environment. The
// input is then rejected (return -1: libFuzzer does not add it to the corpus). CI never sets
// the variable, so every property is enforced there. See docs/FUZZING.md for the ids.
#pragma once

#include <string_view>

namespace stepgate::fuzz {

bool KnownViolation(std::string_view id);

}  // namespace stepgate::fuzz

// Inside LLVMFuzzerTestOneInput: aborts on a violated property, or returns -1 when `id` is
// listed in STEPGATE_FUZZ_KNOWN.
#define FUZZ_REQUIRE(id, condition, detail)                                              \
    do {                                                                                 \
        if (!(condition)) {                                                              \
            if (::stepgate::fuzz::KnownViolation(id)) return -1;                         \
            ::stepgate::fuzz::Fail("[" id "] property violated: " #condition, (detail)); \
        }                                                                                \
    } while (0)

// The same for a computed property id (empty: no violation).
#define FUZZ_REQUIRE_NONE(violation, detail)                                                \
    do {                                                                                    \
        const std::string fuzz_violation_ = (violation);                                    \
        if (!fuzz_violation_.empty()) {                                                     \
            if (::stepgate::fuzz::KnownViolation(fuzz_violation_)) return -1;               \
            ::stepgate::fuzz::Fail(("[" + fuzz_violation_ + "] property violated").c_str(), \
                                   (detail));                                               \
        }                                                                                   \
    } while (0)
