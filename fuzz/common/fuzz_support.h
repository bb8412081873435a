// Shared fixtures for the libFuzzer targets: fixed keys, the JWKS built from them, a fixed
// configuration (policy, redirect, session secret) and helpers that the targets and the seed
// minter (fuzz/tools/mint_seeds.cpp) use alike. Nothing here does I/O.
//
// The keys are fixed (PEM constants, generated once with `openssl genpkey` for fuzzing only,
// never used anywhere else) rather than generated per process, so that the committed seed
// tokens keep verifying in every fuzzer process and in CI replays.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "jose/jwk.h"
#include "jose/jwt.h"
#include "session/sealer.h"

namespace stepgate::fuzz {

// The `now` every target passes on: the committed tokens are issued at kNow and expire an
// hour later, and sessions are sealed with the same times, so seeds never go stale.
inline constexpr std::int64_t kNow = 1'800'000'000;
inline constexpr std::string_view kIssuer = "https://idp.example.com";
inline constexpr std::string_view kAudience = "stepgate-api";
inline constexpr std::string_view kClientId = "stepgate";
inline constexpr std::string_view kSessionCookie = "_stepgate";

struct FuzzKeys {
    jose::EvpPkeyPtr rsa;      // RS256, kid "rsa1"
    jose::EvpPkeyPtr p256;     // ES256, kid "ec1"
    jose::EvpPkeyPtr ed25519;  // EdDSA, kid "ed1"
};
const FuzzKeys& Keys();

// {"keys":[rsa1, ec1, ed1]} with the public parts of Keys().
const std::string& JwksText();
// The parsed key set (parsed once).
const jose::KeySet& KeySet();

// Verify options matching the fixed configuration's bearer options (issuer, audience,
// extra claims `tenant` and `region`).
const jose::VerifyOptions& BearerOptions();

// The raw JWS signature (RFC 7518: PKCS#1 v1.5, ECDSA R||S, Ed25519) of `input`.
std::string Sign(jose::Algorithm algorithm, std::string_view input);
// The key and kid used for `algorithm` (RS256, ES256, EdDSA); other algorithms: RS256's.
std::string_view KidFor(jose::Algorithm algorithm);
// header.payload.signature, signed with the fixed key for `algorithm`.
std::string MakeToken(std::string_view header_json, std::string_view payload_json,
                      jose::Algorithm algorithm);

// The fixed configuration (its text, and loaded once). `case_insensitive` selects the copy
// with `paths.case_insensitive: true`.
std::string_view ConfigText(bool case_insensitive = false);
std::shared_ptr<const config::Config> Config(bool case_insensitive = false);
// The environment the fixed config's ${...} references resolve against.
config::EnvLookup FixedEnv();

// Sealers derived from the fixed session secret, as Snapshot::Build derives them.
const session::Sealer& SessionSealer();
const session::Sealer& FlowSealer();

// Splits `data` into lines on '\n' (a trailing '\r' is dropped from each line).
std::vector<std::string_view> SplitLines(std::string_view data);

// Aborts with `what` (a property violation: libFuzzer records the input as a crash).
[[noreturn]] void Fail(const char* what, std::string_view detail = {});

}  // namespace stepgate::fuzz
