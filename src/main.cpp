// CLI dispatch only: serve | check | explain | secret | version.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
    using namespace stepgate::cli;
    CLI::App app{"Stepgate: step-up authentication for Kubernetes Ingress"};
    app.require_subcommand(1);

    ServeOptions serve;
    auto* serve_cmd = app.add_subcommand("serve", "run the service");
    serve_cmd->add_option("--config", serve.config_path,
                          "config file (else $STEPGATE_CONFIG, else /etc/stepgate/stepgate.yaml)");
    serve_cmd->add_option("--listen", serve.listen, "ADDRESS:PORT, overrides the file");
    serve_cmd->add_option("--log-level", serve.log_level,
                          "trace|debug|info|warn|error|off, overrides the file");
    serve_cmd
        ->add_option(
            "--shutdown-delay", serve.shutdown_delay_seconds,
            "seconds between readiness turning false and new connections stopping on SIGTERM")
        ->check(CLI::Range(0, 300));
    serve_cmd->add_option("--threads", serve.threads, "event loops (default: one per core)")
        ->check(CLI::Range(0, 256));

    std::string check_config;
    auto* check_cmd = app.add_subcommand("check", "validate a config and its policies");
    check_cmd->add_option("--config", check_config, "config file")->required();

    ExplainOptions explain;
    auto* explain_cmd = app.add_subcommand("explain", "show how a request would be decided");
    explain_cmd->add_option("--config", explain.config_path, "config file")->required();
    explain_cmd->add_option("--url", explain.url, "the original request's absolute URL")
        ->required();
    explain_cmd->add_option("--method", explain.method, "the original request's method");
    auto* token = explain_cmd->add_option("--token", explain.token,
                                          "a bearer JWT (verified against the provider's keys)");
    auto* claims = explain_cmd->add_option("--claims", explain.claims,
                                           "the identity's claims as a JSON object");
    auto* anonymous = explain_cmd->add_flag("--anonymous", explain.anonymous, "no credentials");
    token->excludes(claims)->excludes(anonymous);
    claims->excludes(anonymous);
    explain_cmd->add_option("--pins", explain.pins,
                            "auth-URL pins, as a query: level=mfa&max_age=300");
    explain_cmd->add_option("--at", explain.at, "decide as of this Unix time");
    explain_cmd->add_flag("--json", explain.json, "machine-readable output");

    auto* secret_cmd = app.add_subcommand("secret", "print a fresh random cookie secret");
    auto* version_cmd = app.add_subcommand("version", "print the version");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }

    if (*serve_cmd) {
        if (serve.config_path.empty()) {
            const char* env = std::getenv("STEPGATE_CONFIG");
            serve.config_path =
                env != nullptr && *env != '\0' ? env : "/etc/stepgate/stepgate.yaml";
        }
        return RunServe(serve);
    }
    if (*check_cmd) return RunCheck(check_config);
    if (*explain_cmd) {
        if (!explain.token && !explain.claims && !explain.anonymous) {
            std::cerr << "stepgate explain: give one of --token, --claims or --anonymous\n";
            return 2;
        }
        return RunExplain(explain);
    }
    if (*secret_cmd) return RunSecret();
    if (*version_cmd) {
        std::cout << "stepgate " << STEPGATE_VERSION << "\n";
        return 0;
    }
    return 2;
}
