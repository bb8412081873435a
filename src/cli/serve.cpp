#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

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

// The config file as it stands now, checked in full; the command line's overrides kept, and
// what cannot change without a restart refused.
Result<std::shared_ptr<const config::Config>, std::vector<std::string>> Reload(
    const ServeOptions& options, const config::Config& current) {
    auto reloaded = config::LoadConfigFile(options.config_path);
    std::vector<std::string> errors;
    if (!reloaded) {
        for (const auto& error : reloaded.error()) errors.push_back(error.Format());
        return MakeError(std::move(errors));
    }
    auto next = std::make_shared<config::Config>(**reloaded);
    next->listen = current.listen;
    if (options.log_level) next->log_level = *options.log_level;
    if (next->provider.issuer != current.provider.issuer) {
        errors.push_back("provider.issuer cannot change without a restart");
        return MakeError(std::move(errors));
    }
    return std::shared_ptr<const config::Config>(std::move(next));
}

// Polls what the config path resolves to (inode, size, modification time) every second and
// raises SIGHUP when it changes. Polling survives every way a file can be replaced.
class ConfigWatcher {
 public:
    explicit ConfigWatcher(std::string path) : path_(std::move(path)), last_(Stamp()) {
        thread_ = std::thread([this] { Run(); });
    }
    ~ConfigWatcher() { Stop(); }
    void Stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

 private:
    std::string Stamp() const {
        struct stat info {};
        if (::stat(path_.c_str(), &info) != 0) return "missing";
        return std::to_string(info.st_ino) + ":" + std::to_string(info.st_size) + ":" +
               std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec);
    }
    void Run() {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
            const std::string now = Stamp();
            if (now != last_ && now != "missing") {
                last_ = now;
                ::kill(::getpid(), SIGHUP);
            }
        }
    }

    std::string path_;
    std::string last_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
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
    auto mutable_config = std::make_shared<config::Config>(**loaded);
    if (options.listen) {
        if (!config::ValidListen(*options.listen)) {
            std::cerr << "stepgate: --listen must be ADDRESS:PORT, such as 0.0.0.0:4180\n";
            return 1;
        }
        mutable_config->listen = *options.listen;
    }
    if (options.log_level) mutable_config->log_level = *options.log_level;
    std::shared_ptr<const config::Config> config = mutable_config;
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

    // A ConfigMap volume updates through a symlink swap (`..data`): watch what the path
    // resolves to, and reload through the same SIGHUP path an operator uses.
    ConfigWatcher watcher(options.config_path);

    for (;;) {
        int signal = 0;
        if (sigwait(&signals, &signal) != 0) continue;
        if (signal == SIGHUP) {
            auto next = Reload(options, *config);
            if (!next) {
                runtime.metrics().config_reloads_failed.fetch_add(1, std::memory_order_relaxed);
                for (const auto& error : next.error()) {
                    Log(LogLevel::kError, "config_reload_refused", {{"error", error}});
                }
                continue;
            }
            auto next_snapshot = adapters::Snapshot::Build(*next);
            if (!next_snapshot) {
                runtime.metrics().config_reloads_failed.fetch_add(1, std::memory_order_relaxed);
                Log(LogLevel::kError, "config_reload_refused", {{"error", next_snapshot.error()}});
                continue;
            }
            runtime.Swap(*next_snapshot);
            config = *next;
            LogLevel next_level = LogLevel::kInfo;
            if (observability::ParseLogLevel(config->log_level, next_level))
                observability::SetLogLevel(next_level);
            runtime.metrics().config_reloads_ok.fetch_add(1, std::memory_order_relaxed);
            Log(LogLevel::kInfo, "config_reloaded", {{"config", options.config_path}});
            continue;
        }
        Log(LogLevel::kInfo, "shutting_down", {{"signal", static_cast<std::int64_t>(signal)}});
        break;
    }
    watcher.Stop();
    // Readiness turns false first, so that endpoints drop this pod before it stops accepting.
    runtime.SetDraining();
    if (options.shutdown_delay_seconds > 0)
        std::this_thread::sleep_for(std::chrono::seconds(options.shutdown_delay_seconds));
    server.Shutdown();
    server.Wait();
    provider.Stop();
    return 0;
}

}  // namespace stepgate::cli
