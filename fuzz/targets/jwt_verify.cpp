// jose::VerifyJwt over the fixed key set (RS256 rsa1, ES256 ec1, EdDSA ed1). Input: the token.
//
// A fuzzer cannot forge signatures, so the claims checks (which run only after a good
// signature) would be reached by the committed seed tokens alone. Each input is therefore
// verified twice: as given, and re-signed (its header.payload signed with the fixed key that
// its header's alg names, for ES256 and EdDSA: cheap signers), so mutated claims are checked.
//
// Properties of every accepted token: sub non-empty, iss the configured issuer, an accepted
// audience, not expired at kNow, alg on the allow-list, no forbidden header; and for the
// deterministic schemes (RS256, EdDSA) the accepted signature is exactly the one the key
// makes (no malleable second spelling is accepted). And of every input: the DOM-free claims
// reader accepts exactly the header and payload bytes that ParseStrictJsonObject accepts, but
// for the byte order mark and the NUL that nlohmann reads past and the reader refuses; and
// its JSON reader (jose/json_lexer.h) reports the same values as nlohmann's SAX parser.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/fuzz_support.h"
#include "common/known.h"
#include "jose/base64url.h"
#include "jose/claims_reader.h"
#include "jose/json_lexer.h"
#include "jose/jwt.h"
#include "jose/strict_json.h"

using namespace stepgate;

namespace {

struct Split {
    std::string_view header, payload, signature, signing_input;
};

std::optional<Split> SplitToken(std::string_view token) {
    const auto first = token.find('.');
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    return Split{token.substr(0, first), token.substr(first + 1, second - first - 1),
                 token.substr(second + 1), token.substr(0, second)};
}

nlohmann::json ParsePart(std::string_view part) {
    auto bytes = jose::Base64UrlDecode(part);
    if (!bytes) return nlohmann::json();
    return nlohmann::json::parse(*bytes, nullptr, false);
}

// Every callback of a JSON reader as text: our StrictJsonReader's and nlohmann's SAX parser's,
// both refusing nesting past kMaxJsonDepth.
class Recorder {
 public:
    using Json = nlohmann::json;
    bool null() { return Add("n"); }
    bool boolean(bool value) { return Add(value ? "t" : "f"); }
    bool number_integer(std::int64_t value) { return Add("i" + std::to_string(value)); }
    bool number_unsigned(std::uint64_t value) { return Add("u" + std::to_string(value)); }
    bool number_float(double value) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &value, sizeof bits);
        return Add("d" + std::to_string(bits) + Json(value).dump());
    }
    bool number_float(double value, const std::string& /*text*/) { return number_float(value); }
    bool string(std::string_view value) { return Add("s" + Json(value).dump()); }
    bool string(std::string& value) { return string(std::string_view(value)); }
    bool key(std::string_view name) { return Add("k" + Json(name).dump()); }
    bool key(std::string& name) { return key(std::string_view(name)); }
    bool start_object(std::size_t /*size*/ = 0) {
        return ++depth_ <= jose::detail::kMaxJsonDepth && Add("{");
    }
    bool end_object() { return --depth_, Add("}"); }
    bool start_array(std::size_t /*size*/ = 0) {
        return ++depth_ <= jose::detail::kMaxJsonDepth && Add("[");
    }
    bool end_array() { return --depth_, Add("]"); }
    bool binary(Json::binary_t& /*value*/) { return false; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
        return false;
    }

    std::string events;

 private:
    bool Add(const std::string& event) {
        events += event;
        events += '\n';
        return true;
    }
    std::size_t depth_ = 0;
};

// The events of `text`, or "refused".
std::string OurEvents(std::string_view text) {
    Recorder recorder;
    std::string scratch;
    using Reader = jose::detail::StrictJsonReader<jose::detail::kMaxJsonDepth, Recorder>;
    return Reader(text, recorder, scratch).Read() ? recorder.events : "refused";
}

std::string NlohmannEvents(std::string_view text) {
    Recorder recorder;
    const char* begin = text.data();
    try {
        if (nlohmann::json::sax_parse(begin, begin + text.size(), &recorder,
                                      nlohmann::json::input_format_t::json, true, false)) {
            return recorder.events;
        }
    } catch (...) {
    }
    return "refused";
}

// What nlohmann reads of `text`: it skips a leading byte order mark and stops at a NUL.
std::string_view NlohmannView(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    return text.substr(0, text.find('\0'));
}

// What must hold of a token that VerifyJwt accepted: 0, or -1 for a known violation.
int CheckAccepted(std::string_view token, const core::Identity& identity,
                  const jose::VerifyOptions& options, bool check_signature_bytes) {
    FUZZ_REQUIRE("jwt-accepted", token.size() <= options.max_token_bytes, token);
    FUZZ_REQUIRE("jwt-accepted", !identity.subject.empty(), token);
    FUZZ_REQUIRE("jwt-accepted", identity.issuer == options.issuer, token);
    FUZZ_REQUIRE("jwt-accepted", fuzz::kNow <= identity.expires_at + options.leeway_seconds, token);
    auto parts = SplitToken(token);
    FUZZ_REQUIRE("jwt-accepted", parts.has_value(), token);
    FUZZ_REQUIRE("jwt-accepted", parts->signature.find('.') == std::string_view::npos, token);
    const nlohmann::json header = ParsePart(parts->header);
    const nlohmann::json claims = ParsePart(parts->payload);
    FUZZ_REQUIRE("jwt-accepted", header.is_object() && claims.is_object(), token);
    FUZZ_REQUIRE("jwt-accepted", header.contains("alg") && header["alg"].is_string(), token);
    const auto algorithm = jose::ParseAlgorithm(header["alg"].get<std::string>());
    FUZZ_REQUIRE("jwt-accepted",
                 algorithm.has_value() && options.allowed_algorithms.Contains(*algorithm), token);
    for (const char* name : {"jwk", "jku", "x5u", "x5c", "crit"}) {
        FUZZ_REQUIRE("jwt-accepted", !header.contains(name), token);
    }
    // RFC 7519 §4.1.3: aud holds one of ours.
    const auto ours = [&options](const nlohmann::json& value) {
        if (!value.is_string()) return false;
        for (const auto& audience : options.audiences) {
            if (value.get<std::string>() == audience) return true;
        }
        return false;
    };
    bool audience = false;
    if (claims.contains("aud")) {
        const auto& aud = claims["aud"];
        audience = ours(aud);
        if (aud.is_array()) {
            for (const auto& entry : aud) audience = audience || ours(entry);
        }
    }
    FUZZ_REQUIRE("jwt-accepted", audience, token);
    if (check_signature_bytes &&
        (*algorithm == jose::Algorithm::kRS256 || *algorithm == jose::Algorithm::kEdDSA)) {
        const auto signature = jose::Base64UrlDecode(parts->signature);
        FUZZ_REQUIRE("jwt-signature-unique",
                     signature && *signature == fuzz::Sign(*algorithm, parts->signing_input),
                     token);
    }
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)fuzz::KeySet();
    (void)fuzz::BearerOptions();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view token(reinterpret_cast<const char*>(data), size);
    const jose::KeySet& keys = fuzz::KeySet();
    const jose::VerifyOptions& options = fuzz::BearerOptions();

    auto verified = jose::VerifyJwt(token, keys, options, fuzz::kNow);
    if (verified && CheckAccepted(token, *verified, options, true) != 0) return -1;
    (void)jose::Describe(verified ? jose::JwtError::kMalformed : verified.error());

    // The same token as an ID token (aud = client_id, nonce, azp: OIDC Core §3.1.3.7).
    jose::VerifyOptions id_options = fuzz::Config()->id_token_options;
    id_options.expected_nonce = "n-0S6_WzA2Mj";
    id_options.expected_azp = std::string(fuzz::kClientId);
    auto as_id_token = jose::VerifyJwt(token, keys, id_options, fuzz::kNow);
    if (as_id_token && CheckAccepted(token, *as_id_token, id_options, true) != 0) return -1;

    // The reader VerifyJwt uses and the DOM parser agree on what is a JOSE JSON object.
    auto parts = SplitToken(token);
    const std::string_view sides[] = {parts ? parts->header : token,
                                      parts ? parts->payload : std::string_view()};
    for (const std::string_view part : sides) {
        const auto bytes = jose::Base64UrlDecode(part);
        if (!bytes) continue;
        const bool dom = jose::detail::ParseStrictJsonObject(*bytes).has_value();
        // The reader refuses the byte order mark and the NUL that nlohmann reads past.
        const std::string_view view = NlohmannView(*bytes);
        const bool reader = dom && view.size() == bytes->size();
        FUZZ_REQUIRE(
            "jwt-reader-agrees",
            jose::detail::ReadJwtClaims(*bytes, options.extra_claims).has_value() == reader,
            *bytes);
        FUZZ_REQUIRE("jwt-reader-agrees", jose::detail::ReadJwsHeader(*bytes).has_value() == reader,
                     *bytes);
        FUZZ_REQUIRE("jwt-reader-agrees", jose::detail::ReadJwsHeader(view).has_value() == dom,
                     *bytes);
        FUZZ_REQUIRE("jwt-reader-agrees", OurEvents(view) == NlohmannEvents(*bytes), *bytes);
        FUZZ_REQUIRE("jwt-reader-agrees",
                     view.size() == bytes->size() || OurEvents(*bytes) == "refused", *bytes);
    }

    // Re-signed: header.payload signed with the key its alg names (ES256, EdDSA only).
    if (!parts || parts->signing_input.size() > options.max_token_bytes) return 0;
    const nlohmann::json header = ParsePart(parts->header);
    if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string()) return 0;
    const auto algorithm = jose::ParseAlgorithm(header["alg"].get<std::string>());
    if (!algorithm ||
        (*algorithm != jose::Algorithm::kES256 && *algorithm != jose::Algorithm::kEdDSA)) {
        return 0;
    }
    const std::string resigned =
        std::string(parts->signing_input) + "." +
        jose::Base64UrlEncode(fuzz::Sign(*algorithm, parts->signing_input));
    auto claims_checked = jose::VerifyJwt(resigned, keys, options, fuzz::kNow);
    if (claims_checked && CheckAccepted(resigned, *claims_checked, options, false) != 0) return -1;
    auto id_checked = jose::VerifyJwt(resigned, keys, id_options, fuzz::kNow);
    if (id_checked && CheckAccepted(resigned, *id_checked, id_options, false) != 0) return -1;

    // The claims alone, as `stepgate explain --claims` reads them.
    if (auto payload = jose::Base64UrlDecode(parts->payload)) {
        auto identity = jose::IdentityFromClaims(*payload, options);
        if (identity) {
            FUZZ_REQUIRE("jwt-claims", !identity->subject.empty(), *payload);
        }
    }
    return 0;
}
