// A browser session: who signed in, how strongly and when. Sealed into the session cookie
// (the default store, nothing to run).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/identity.h"
#include "session/sealer.h"

namespace stepgate::session {

struct SessionData {
    std::string id;           // random; new at every login and every elevation
    core::Identity identity;  // kind kSession; level recomputed from acr/amr when read
    std::int64_t issued_at = 0;
    std::int64_t expires_at = 0;
};

std::string EncodeSession(const SessionData& session);
// nullopt on anything malformed (a cookie that does not parse is no session).
std::optional<SessionData> DecodeSession(std::string_view json);

// A random 128-bit identifier, hex.
std::string NewSessionId();

// The session in a sealed cookie value, if it opens, parses and has not expired.
std::optional<SessionData> OpenSession(const Sealer& sealer, std::string_view sealed,
                                       std::string_view cookie_name, std::int64_t now);

}  // namespace stepgate::session
