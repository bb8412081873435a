// config::LoadConfigText: the YAML configuration (yaml-cpp), with a fixed environment for
// ${NAME} (CLIENT_SECRET, EMPTY and HOST are set; anything else is unset). It must never throw
// or crash, whatever the text. A config that loads is then frozen into a Snapshot as the
// server does (sealers, redirect policy).
//
// Properties: a refused config has at least one error, each with a non-empty message and a
// line/column that are 0 (unknown) or 1-based; a loaded config has levels, every rule's level
// is configured or none, and the bearer options name the provider's issuer.
#include "config/config.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/handler.h"
#include "common/fuzz_support.h"
#include "common/known.h"

using namespace stepgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    static const config::EnvLookup env = fuzz::FixedEnv();
    auto loaded = config::LoadConfigText(text, "fuzz.yaml", env);
    if (!loaded) {
        FUZZ_REQUIRE("config-errors", !loaded.error().empty(), text);
        for (const auto& error : loaded.error()) {
            FUZZ_REQUIRE("config-errors", !error.message.empty(), text);
            FUZZ_REQUIRE("config-errors", error.line >= 0 && error.column >= 0, text);
            (void)error.Format();
        }
        return 0;
    }
    const config::Config& c = **loaded;
    FUZZ_REQUIRE("config-loaded", !c.policy.levels.empty(), text);
    const int levels = static_cast<int>(c.policy.levels.size());
    for (const auto& rule : c.policy.rules) {
        FUZZ_REQUIRE("config-loaded",
                     rule.require.level >= core::kNoLevel && rule.require.level < levels, text);
    }
    FUZZ_REQUIRE("config-loaded", c.bearer_options.issuer == c.provider.issuer, text);
    FUZZ_REQUIRE("config-loaded", !c.provider.algorithms.empty(), text);
    auto snapshot = adapters::Snapshot::Build(*loaded);
    FUZZ_REQUIRE("config-snapshot", snapshot.has_value() || c.session.has_value(), text);
    return 0;
}
