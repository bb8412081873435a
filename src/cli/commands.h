// The subcommands of `stepgate`. Each returns the process exit code: 0 success, 1 a user
// error (bad config, bad input) with one clear message on stderr, 2 bad usage.
#pragma once

#include <optional>
#include <string>

namespace stepgate::cli {

struct ServeOptions {
    std::string config_path;
    std::optional<std::string> listen;
    std::optional<std::string> log_level;
    int threads = 0;
    int shutdown_delay_seconds = 0;  // readiness false this long before connections stop
};
int RunServe(const ServeOptions& options);

int RunCheck(const std::string& config_path);

struct ExplainOptions {
    std::string config_path;
    std::string url;
    std::string method = "GET";
    std::optional<std::string> token;
    std::optional<std::string> claims;
    bool anonymous = false;
    std::optional<std::string> pins;
    std::optional<long long> at;
    bool json = false;
};
int RunExplain(const ExplainOptions& options);

int RunSecret();

}  // namespace stepgate::cli
