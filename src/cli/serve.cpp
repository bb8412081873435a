#include <pthread.h>

#include <csignal>
#include <future>
#include <iostream>

#include "cli/commands.h"
#include "config/config.h"
#include "http/server.h"
#include "observability/log.h"
#include "oidc/provider.h"

namespace stepgate::cli {

using observability::Log;
using observability::LogLevel;

namespace {

class ProviderKeySource final : public adapters::KeySource {
 public:
    explicit ProviderKeySource(const oidc::Provider& provider) : provider_(provider) {}
    std::shared_ptr<const jose::KeySet> Keys() const override { return provider_.Keys(); }
    std::shared_ptr<const oidc::Discovery> GetDiscovery() const override {
        return provider_.GetDiscovery();
    }
    const oidc::ProviderStats* Stats() const override { return &provider_.stats(); }
    void RefreshKeysAndWait() const override {
        auto done = std::make_shared<std::promise<void>>();
        auto finished = done->get_future();
        const_cast<oidc::Provider&>(provider_).RefreshForUnknownKid([done] { done->set_value(); });
        finished.wait_for(std::chrono::seconds(10));
    }

 private:
    const oidc::Provider& provider_;
};

}  // namespace

int RunServe(const ServeOptions& options) {
    // Signals are taken by this thread alone with sigwait; block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    auto loaded = config::LoadConfigFile(options.config_path);
    if (!loaded) {
        for (const auto& error : loaded.error()) std::cerr << error.Format() << "\n";
        return 1;
    }
    auto config = std::make_shared<config::Config>(**loaded);
    if (options.listen) config->listen = *options.listen;
    if (options.log_level) config->log_level = *options.log_level;
    LogLevel level = LogLevel::kInfo;
    if (!observability::ParseLogLevel(config->log_level, level)) {
        std::cerr << "stepgate: --log-level must be one of trace, debug, info, warn, error, off\n";
        return 1;
    }
    observability::InitLogging(level);

    SystemClock clock;
    oidc::Provider provider(config->provider.issuer, config->provider.jwks_refresh_seconds,
                            config->provider.jwks_refresh_throttle_seconds, clock);
    ProviderKeySource keys(provider);
    auto snapshot = adapters::Snapshot::Build(config);
    if (!snapshot) {
        std::cerr << "stepgate: " << snapshot.error() << "\n";
        return 1;
    }
    adapters::Runtime runtime(*snapshot, keys, clock);
    http::Server server(runtime, &provider, {.listen = config->listen, .threads = options.threads});
    auto started = server.Start();
    if (!started) {
        std::cerr << "stepgate: " << started.error() << "\n";
        return 1;
    }
    provider.Start();
    Log(LogLevel::kInfo, "listening",
        {{"listen", config->listen},
         {"port", static_cast<std::int64_t>(server.port())},
         {"config", options.config_path}});

    for (;;) {
        int signal = 0;
        if (sigwait(&signals, &signal) != 0) continue;
        if (signal == SIGHUP) {
            auto reloaded = config::LoadConfigFile(options.config_path);
            if (!reloaded) {
                for (const auto& error : reloaded.error()) {
                    Log(LogLevel::kError, "config_reload_refused", {{"error", error.Format()}});
                }
                continue;
            }
            auto next = std::make_shared<config::Config>(**reloaded);
            next->listen = config->listen;
            if (next->provider.issuer != config->provider.issuer) {
                Log(LogLevel::kError, "config_reload_refused",
                    {{"error",
                      std::string_view("provider.issuer cannot change without a restart")}});
                continue;
            }
            auto next_snapshot = adapters::Snapshot::Build(next);
            if (!next_snapshot) {
                Log(LogLevel::kError, "config_reload_refused", {{"error", next_snapshot.error()}});
                continue;
            }
            runtime.Swap(*next_snapshot);
            config = next;
            Log(LogLevel::kInfo, "config_reloaded", {{"config", options.config_path}});
            continue;
        }
        Log(LogLevel::kInfo, "shutting_down", {{"signal", static_cast<std::int64_t>(signal)}});
        break;
    }
    server.Shutdown();
    server.Wait();
    provider.Stop();
    return 0;
}

}  // namespace stepgate::cli
