// JSON-lines logging on stderr. Fields are typed; a Secret has no conversion to a field, so it
// cannot be logged by mistake.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace stepgate::observability {

enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

// Parses trace|debug|info|warn|error|off; false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel& level);

void InitLogging(LogLevel level);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

using LogValue = std::variant<std::string_view, std::int64_t, bool>;
using LogField = std::pair<std::string_view, LogValue>;

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
void LogFields(LogLevel level, std::string_view event, const std::vector<LogField>& fields);

// Allows `per_second` events a second and counts the ones it drops, so that a flood of bad
// tokens cannot become a flood of log lines.
class LogRateLimiter {
 public:
    explicit LogRateLimiter(std::int64_t per_second) : per_second_(per_second) {}
    // True when this event may be logged; `suppressed` gets how many were dropped since the
    // last allowed one.
    bool Allow(std::int64_t now_seconds, std::int64_t& suppressed);

 private:
    std::int64_t per_second_;
    std::atomic<std::int64_t> window_{0};
    std::atomic<std::int64_t> count_{0};
    std::atomic<std::int64_t> dropped_{0};
};

}  // namespace stepgate::observability
