// The session cookie path of a request: session::ParseCookieHeader -> ReadCookie (chunked
// `_stepgate_N` families) -> Sealer::Unseal (AES-256-GCM, fixed secret) -> DecodeSession.
// Input: a Cookie header value. The same bytes are also given to DecodeSession directly
// (the seal keeps forged plaintexts out in production, so the decoder is otherwise reached
// only by the committed sealed seeds) and sealed then unsealed.
//
// Properties: at most kMaxCookies pairs, names non-empty and free of ';' '='-less pairs;
// a value read is at most kMaxValueBytes; a decoded session has an id and a subject and
// re-encodes to a session that decodes to the same fields; Unseal(Seal(x)) == x, and a value
// sealed for one cookie name or purpose never opens under another.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/fuzz_support.h"
#include "common/known.h"
#include "session/cookies.h"
#include "session/session.h"

using namespace stepgate;

namespace {

bool SameSession(const session::SessionData& a, const session::SessionData& b) {
    const core::Identity& x = a.identity;
    const core::Identity& y = b.identity;
    if (a.id != b.id || a.issued_at != b.issued_at || a.expires_at != b.expires_at) return false;
    if (x.subject != y.subject || x.issuer != y.issuer || x.email != y.email ||
        x.preferred_username != y.preferred_username || x.acr != y.acr || x.amr != y.amr ||
        x.groups != y.groups || x.scopes != y.scopes || x.auth_time != y.auth_time ||
        x.claims.size() != y.claims.size()) {
        return false;
    }
    for (std::size_t i = 0; i < x.claims.size(); ++i) {
        if (x.claims[i].name != y.claims[i].name || x.claims[i].values != y.claims[i].values)
            return false;
    }
    return true;
}

int CheckSession(const session::SessionData& decoded, std::string_view input) {
    FUZZ_REQUIRE("session-decoded", !decoded.id.empty(), input);
    FUZZ_REQUIRE("session-decoded", !decoded.identity.subject.empty(), input);
    FUZZ_REQUIRE("session-decoded", decoded.identity.kind == core::CredentialKind::kSession, input);
    const auto again = session::DecodeSession(session::EncodeSession(decoded));
    FUZZ_REQUIRE("session-roundtrip", again.has_value() && SameSession(decoded, *again), input);
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)fuzz::SessionSealer();
    (void)fuzz::FlowSealer();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::string_view name = fuzz::kSessionCookie;

    // The request's way in.
    const session::CookiePairs pairs = session::ParseCookieHeader(input);
    FUZZ_REQUIRE("cookie-pairs", pairs.size() <= session::kMaxCookies, input);
    for (const auto& [cookie, value] : pairs) {
        FUZZ_REQUIRE("cookie-pairs", !cookie.empty(), input);
        FUZZ_REQUIRE("cookie-pairs", cookie.find(';') == std::string_view::npos, input);
        FUZZ_REQUIRE("cookie-pairs", value.find(';') == std::string_view::npos, input);
    }
    const auto sealed = session::ReadCookie(pairs, name);
    if (sealed) {
        FUZZ_REQUIRE("cookie-read", sealed->size() <= session::kMaxValueBytes, input);
        FUZZ_REQUIRE("cookie-read", session::HasCookieFamily(pairs, name), input);
        if (auto plaintext = fuzz::SessionSealer().Unseal(*sealed, name)) {
            // A value that opens as a session never also opens as a flow (HKDF purpose).
            FUZZ_REQUIRE("seal-separation", !fuzz::FlowSealer().Unseal(*sealed, name), input);
            if (auto decoded = session::DecodeSession(*plaintext)) {
                if (CheckSession(*decoded, *plaintext) != 0) return -1;
            }
        }
        (void)session::OpenSession(fuzz::SessionSealer(), *sealed, name, fuzz::kNow);
    }
    // The decoder directly.
    if (auto decoded = session::DecodeSession(input)) {
        if (CheckSession(*decoded, input) != 0) return -1;
    }

    // Sealing, then writing the sealed value back as the response would (split into
    // `_stepgate_N` chunks when large) and reading it from the resulting cookie jar.
    if (input.size() > 32 * 1024) return 0;
    const std::string sealed_input = fuzz::SessionSealer().Seal(input, name);
    const auto opened = fuzz::SessionSealer().Unseal(sealed_input, name);
    FUZZ_REQUIRE("seal-roundtrip", opened && *opened == input, input);
    FUZZ_REQUIRE("seal-separation", !fuzz::SessionSealer().Unseal(sealed_input, "_stepgate_0"),
                 input);
    FUZZ_REQUIRE("seal-separation", !fuzz::FlowSealer().Unseal(sealed_input, name), input);

    session::CookieAttributes attributes;
    attributes.domain = ".example.com";
    (void)session::ClearCookieFamily(name, attributes, pairs);
    const auto headers = session::WriteCookieFamily(name, sealed_input, attributes, pairs);
    FUZZ_REQUIRE("cookie-write", headers.empty() == (sealed_input.size() > session::kMaxValueBytes),
                 input);
    if (headers.empty()) return 0;
    // A browser's jar: the request's cookies (one per name), then each Set-Cookie applied.
    std::map<std::string, std::string> jar;
    for (const auto& [cookie, value] : pairs) jar.emplace(cookie, value);
    for (const std::string& header : headers) {
        const auto equals = header.find('=');
        const auto semicolon = header.find(';');
        FUZZ_REQUIRE("cookie-write", equals != std::string::npos && semicolon > equals, header);
        const std::string cookie = header.substr(0, equals);
        if (header.find("; Max-Age=0;") != std::string::npos) {
            jar.erase(cookie);
        } else {
            jar[cookie] = header.substr(equals + 1, semicolon - equals - 1);
        }
    }
    if (jar.size() > session::kMaxCookies) return 0;  // a Cookie header reads the first 64 only
    std::string jar_header;
    for (const auto& [cookie, value] : jar) {
        if (!jar_header.empty()) jar_header += "; ";
        jar_header += cookie + "=" + value;
    }
    const auto read_back = session::ReadCookie(session::ParseCookieHeader(jar_header), name);
    FUZZ_REQUIRE("cookie-write-read", read_back && *read_back == sealed_input, input);
    return 0;
}
