#include "observability/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

namespace stepgate::observability {

namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

std::shared_ptr<spdlog::logger>& Logger() {
    static std::shared_ptr<spdlog::logger> logger = [] {
        auto created = spdlog::stderr_logger_mt("stepgate");
        created->set_pattern("%v");
        created->set_level(spdlog::level::trace);  // filtering happens in LogEnabled
        created->flush_on(spdlog::level::trace);
        return created;
    }();
    return logger;
}

std::string_view LevelName(LogLevel level) {
    switch (level) {
        case LogLevel::kTrace:
            return "trace";
        case LogLevel::kDebug:
            return "debug";
        case LogLevel::kInfo:
            return "info";
        case LogLevel::kWarn:
            return "warn";
        case LogLevel::kError:
            return "error";
        case LogLevel::kOff:
            return "off";
    }
    return "info";
}

std::string Timestamp() {
    const auto now = std::chrono::system_clock::now();
    const auto seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[96];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis));
    return buffer;
}

}  // namespace

bool ParseLogLevel(std::string_view text, LogLevel& level) {
    for (int i = 0; i <= static_cast<int>(LogLevel::kOff); ++i) {
        if (LevelName(static_cast<LogLevel>(i)) == text) {
            level = static_cast<LogLevel>(i);
            return true;
        }
    }
    return false;
}

void InitLogging(LogLevel level) {
    SetLogLevel(level);
    (void)Logger();
}

void SetLogLevel(LogLevel level) {
    g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

bool LogEnabled(LogLevel level) {
    return level != LogLevel::kOff &&
           static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

namespace {

template <class Fields>
void Emit(LogLevel level, std::string_view event, const Fields& fields) {
    if (!LogEnabled(level)) return;
    nlohmann::ordered_json line;
    line["ts"] = Timestamp();
    line["level"] = LevelName(level);
    line["event"] = event;
    for (const auto& [name, value] : fields) {
        std::visit([&, key = std::string(name)](const auto& v) { line[key] = v; }, value);
    }
    // Invalid UTF-8 from a client must not throw out of the logger: replace it.
    Logger()->info(line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
    Emit(level, event, fields);
}

void LogFields(LogLevel level, std::string_view event, const std::vector<LogField>& fields) {
    Emit(level, event, fields);
}

bool LogRateLimiter::Allow(std::int64_t now_seconds, std::int64_t& suppressed) {
    suppressed = 0;
    std::int64_t window = window_.load(std::memory_order_relaxed);
    if (window != now_seconds && window_.compare_exchange_strong(window, now_seconds)) {
        count_.store(0, std::memory_order_relaxed);
    }
    if (count_.fetch_add(1, std::memory_order_relaxed) < per_second_) {
        suppressed = dropped_.exchange(0, std::memory_order_relaxed);
        return true;
    }
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
}

}  // namespace stepgate::observability
