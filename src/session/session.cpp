#include "session/session.h"

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "common/encoding.h"

namespace stepgate::session {

using Json = nlohmann::json;

namespace {

bool ReadStrings(const Json& doc, const char* key, std::vector<std::string>& out) {
    auto it = doc.find(key);
    if (it == doc.end()) return true;
    if (!it->is_array()) return false;
    for (const auto& item : *it) {
        if (!item.is_string()) return false;
        out.push_back(item.get<std::string>());
    }
    return true;
}

bool ReadString(const Json& doc, const char* key, std::string& out) {
    auto it = doc.find(key);
    if (it == doc.end()) return true;
    if (!it->is_string()) return false;
    out = it->get<std::string>();
    return true;
}

}  // namespace

std::string EncodeSession(const SessionData& session) {
    const core::Identity& id = session.identity;
    Json doc = {{"v", 1},
                {"sid", session.id},
                {"iat", session.issued_at},
                {"exp", session.expires_at},
                {"sub", id.subject},
                {"iss", id.issuer}};
    if (!id.email.empty()) doc["email"] = id.email;
    if (!id.preferred_username.empty()) doc["pun"] = id.preferred_username;
    if (!id.acr.empty()) doc["acr"] = id.acr;
    if (!id.amr.empty()) doc["amr"] = id.amr;
    if (!id.groups.empty()) doc["groups"] = id.groups;
    if (!id.scopes.empty()) doc["scp"] = id.scopes;
    if (id.auth_time) doc["at"] = *id.auth_time;
    if (!id.claims.empty()) {
        Json claims = Json::object();
        for (const auto& claim : id.claims) claims[claim.name] = claim.values;
        doc["c"] = std::move(claims);
    }
    return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<SessionData> DecodeSession(std::string_view text) {
    Json doc = Json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
    auto version = doc.find("v");
    if (version == doc.end() || !version->is_number_integer() || version->get<int>() != 1)
        return std::nullopt;
    SessionData session;
    core::Identity& id = session.identity;
    id.kind = core::CredentialKind::kSession;
    auto iat = doc.find("iat");
    auto exp = doc.find("exp");
    if (iat == doc.end() || !iat->is_number_integer() || exp == doc.end() ||
        !exp->is_number_integer()) {
        return std::nullopt;
    }
    session.issued_at = iat->get<std::int64_t>();
    session.expires_at = exp->get<std::int64_t>();
    id.expires_at = session.expires_at;
    if (!ReadString(doc, "sid", session.id) || !ReadString(doc, "sub", id.subject) ||
        !ReadString(doc, "iss", id.issuer) || !ReadString(doc, "email", id.email) ||
        !ReadString(doc, "pun", id.preferred_username) || !ReadString(doc, "acr", id.acr) ||
        !ReadStrings(doc, "amr", id.amr) || !ReadStrings(doc, "groups", id.groups) ||
        !ReadStrings(doc, "scp", id.scopes)) {
        return std::nullopt;
    }
    if (session.id.empty() || id.subject.empty()) return std::nullopt;
    if (auto at = doc.find("at"); at != doc.end()) {
        if (!at->is_number_integer()) return std::nullopt;
        id.auth_time = at->get<std::int64_t>();
    }
    if (auto claims = doc.find("c"); claims != doc.end()) {
        if (!claims->is_object()) return std::nullopt;
        for (const auto& [name, values] : claims->items()) {
            core::ClaimValues claim{name, {}};
            if (!ReadStrings(*claims, name.c_str(), claim.values)) return std::nullopt;
            id.claims.push_back(std::move(claim));
        }
    }
    return session;
}

std::string NewSessionId() { return RandomHex(16); }

std::optional<SessionData> OpenSession(const Sealer& sealer, std::string_view sealed,
                                       std::string_view cookie_name, std::int64_t now) {
    auto plaintext = sealer.Unseal(sealed, cookie_name);
    if (!plaintext) return std::nullopt;
    auto session = DecodeSession(*plaintext);
    if (!session || session->expires_at <= now) return std::nullopt;
    return session;
}

}  // namespace stepgate::session
