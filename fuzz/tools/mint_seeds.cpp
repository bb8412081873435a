// Writes the seed inputs that need the fixed keys or the fixed secret: signed tokens, sealed
// session and flow cookies, requests carrying them, and JWK sets. Run once (fuzz/run.sh
// --mint) and commit what it writes; the other seeds are plain files in fuzz/corpus/.
//
//   stepgate_fuzz_mint_seeds fuzz/corpus
//
// Tokens are issued at fuzz::kNow and expire an hour later; the targets verify at kNow, so
// these seeds never go stale.
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/fuzz_support.h"
#include "jose/base64url.h"
#include "oidc/flow.h"
#include "session/session.h"

using namespace stepgate;
using Json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path g_root;

void Write(const std::string& target, const std::string& name, std::string_view bytes) {
    const fs::path dir = g_root / target;
    fs::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string B64(std::string_view bytes) { return jose::Base64UrlEncode(bytes); }

constexpr std::int64_t kNow = fuzz::kNow;

Json BearerClaims() {
    return {{"iss", fuzz::kIssuer},
            {"aud", fuzz::kAudience},
            {"sub", "alice"},
            {"iat", kNow},
            {"exp", kNow + 3600},
            {"auth_time", kNow - 60},
            {"acr", "urn:stepgate:loa:mfa"},
            {"amr", {"pwd", "otp"}},
            {"email", "alice@example.com"},
            {"preferred_username", "alice"},
            {"groups", {"admins", "staff", "ops"}},
            {"scope", "openid reports:read"},
            {"tenant", "acme"},
            {"region", "eu"}};
}

std::string Header(jose::Algorithm alg, bool kid = true) {
    Json h = {{"alg", std::string(jose::AlgorithmName(alg))}, {"typ", "JWT"}};
    if (kid) h["kid"] = std::string(fuzz::KidFor(alg));
    return h.dump();
}

std::string Token(const Json& claims, jose::Algorithm alg = jose::Algorithm::kES256) {
    return fuzz::MakeToken(Header(alg), claims.dump(), alg);
}

// A JWK of an EVP key (public parts).
Json PublicJwk(EVP_PKEY* key, const std::string& kid) {
    auto bn = [key](const char* name, std::size_t pad) {
        BIGNUM* value = nullptr;
        EVP_PKEY_get_bn_param(key, name, &value);
        std::string out(static_cast<std::size_t>(BN_num_bytes(value)), '\0');
        BN_bn2bin(value, reinterpret_cast<unsigned char*>(out.data()));
        BN_free(value);
        if (out.size() < pad) out.insert(0, pad - out.size(), '\0');
        return B64(out);
    };
    if (EVP_PKEY_is_a(key, "RSA")) {
        return {{"kty", "RSA"}, {"kid", kid}, {"n", bn("n", 0)}, {"e", bn("e", 0)}};
    }
    if (EVP_PKEY_is_a(key, "EC")) {
        const int bits = EVP_PKEY_get_bits(key);
        const std::size_t size = static_cast<std::size_t>((bits + 7) / 8);
        const char* crv = bits == 256 ? "P-256" : bits == 384 ? "P-384" : "P-521";
        return {{"kty", "EC"},
                {"kid", kid},
                {"crv", crv},
                {"x", bn(OSSL_PKEY_PARAM_EC_PUB_X, size)},
                {"y", bn(OSSL_PKEY_PARAM_EC_PUB_Y, size)}};
    }
    std::string raw(32, '\0');
    std::size_t length = raw.size();
    EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &length);
    return {{"kty", "OKP"}, {"kid", kid}, {"crv", "Ed25519"}, {"x", B64(raw)}};
}

jose::EvpPkeyPtr Generate(const char* type, const char* curve_or_null, unsigned bits = 0) {
    EVP_PKEY* key = nullptr;
    if (curve_or_null != nullptr) {
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, type, curve_or_null);
    } else if (bits != 0) {
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, type, static_cast<size_t>(bits));
    } else {
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    }
    return jose::EvpPkeyPtr(key);
}

void JwtSeeds() {
    const Json claims = BearerClaims();
    Write("jwt_verify", "rs256-valid", Token(claims, jose::Algorithm::kRS256));
    Write("jwt_verify", "es256-valid", Token(claims, jose::Algorithm::kES256));
    Write("jwt_verify", "eddsa-valid", Token(claims, jose::Algorithm::kEdDSA));
    Write("jwt_verify", "es256-no-kid",
          fuzz::MakeToken(Header(jose::Algorithm::kES256, false), claims.dump(),
                          jose::Algorithm::kES256));

    Json id = claims;
    id["aud"] = Json::array({fuzz::kClientId, fuzz::kAudience});
    id["azp"] = fuzz::kClientId;
    id["nonce"] = "n-0S6_WzA2Mj";
    Write("jwt_verify", "id-token-valid", Token(id, jose::Algorithm::kEdDSA));
    Json id_no_azp = id;
    id_no_azp.erase("azp");
    Write("jwt_verify", "id-token-two-aud-no-azp", Token(id_no_azp));

    Json minimal = {
        {"iss", fuzz::kIssuer}, {"aud", fuzz::kAudience}, {"sub", "bob"}, {"exp", kNow + 60}};
    Write("jwt_verify", "minimal", Token(minimal, jose::Algorithm::kEdDSA));

    auto variant = [&](const char* name, auto change,
                       jose::Algorithm alg = jose::Algorithm::kES256) {
        Json c = claims;
        change(c);
        Write("jwt_verify", name, Token(c, alg));
    };
    variant("expired", [](Json& c) { c["exp"] = kNow - 3600; });
    variant("not-yet-valid", [](Json& c) { c["nbf"] = kNow + 3600; });
    variant("issued-in-future", [](Json& c) { c["iat"] = kNow + 3600; });
    variant("float-dates", [](Json& c) {
        c["exp"] = static_cast<double>(kNow) + 3600.5;
        c["iat"] = 1.8e9;
        c["auth_time"] = 1.7999e9;
    });
    variant("huge-exp", [](Json& c) { c["exp"] = 1e300; });
    variant("negative-exp", [](Json& c) { c["exp"] = -9007199254740992LL; });
    variant("unsigned-exp", [](Json& c) { c["exp"] = 18446744073709551615ULL; });
    variant("string-exp", [](Json& c) { c["exp"] = "1800003600"; });
    variant("no-exp", [](Json& c) { c.erase("exp"); });
    variant("wrong-iss", [](Json& c) { c["iss"] = "https://idp.example.com/"; });
    variant("wrong-aud", [](Json& c) { c["aud"] = "other"; });
    variant("aud-array", [](Json& c) { c["aud"] = {"x", fuzz::kAudience}; });
    variant("aud-bad-type", [](Json& c) { c["aud"] = {1, 2}; });
    variant("no-sub", [](Json& c) { c.erase("sub"); });
    variant("empty-sub", [](Json& c) { c["sub"] = ""; });
    variant("acr-number", [](Json& c) { c["acr"] = 2; });
    variant("amr-string", [](Json& c) { c["amr"] = "otp"; });
    variant("groups-mixed", [](Json& c) { c["groups"] = {"a", 1}; });
    variant("scp-array", [](Json& c) {
        c.erase("scope");
        c["scp"] = {"reports:read", "a b"};
    });
    variant("scp-string", [](Json& c) {
        c.erase("scope");
        c["scp"] = "reports:read  write ";
    });
    variant("claims-nested", [](Json& c) {
        c["tenant"] = {"acme", {"globex", true, 1.5, nullptr, Json::object()}};
        c["region"] = Json::object({{"k", "v"}});
    });
    variant("unicode", [](Json& c) {
        c["sub"] = "\xc3\xa9l\xc3\xa8ve\xe2\x80\xae";
        c["email"] = std::string("a\0b@example.com", 15);
    });

    // Header-level refusals (signed, so that only the header decides).
    const std::string payload = claims.dump();
    auto header = [&](const char* name, const Json& h, jose::Algorithm alg) {
        Write("jwt_verify", name, fuzz::MakeToken(h.dump(), payload, alg));
    };
    header("alg-none", {{"alg", "none"}}, jose::Algorithm::kEdDSA);
    header("alg-hs256", {{"alg", "HS256"}, {"kid", "rsa1"}}, jose::Algorithm::kEdDSA);
    header("alg-case", {{"alg", "es256"}, {"kid", "ec1"}}, jose::Algorithm::kES256);
    header("alg-ps256-on-rsa", {{"alg", "PS256"}, {"kid", "rsa1"}}, jose::Algorithm::kRS256);
    header("kid-mismatch", {{"alg", "ES256"}, {"kid", "rsa1"}}, jose::Algorithm::kES256);
    header("kid-unknown", {{"alg", "ES256"}, {"kid", "nope"}}, jose::Algorithm::kES256);
    header("kid-number", {{"alg", "ES256"}, {"kid", 7}}, jose::Algorithm::kES256);
    header("jwk-header", {{"alg", "ES256"}, {"kid", "ec1"}, {"jwk", {{"kty", "EC"}}}},
           jose::Algorithm::kES256);
    header("crit-header", {{"alg", "EdDSA"}, {"kid", "ed1"}, {"crit", {"exp"}}},
           jose::Algorithm::kEdDSA);
    header("x5u-header", {{"alg", "EdDSA"}, {"x5u", "https://evil.example/"}},
           jose::Algorithm::kEdDSA);
    Write("jwt_verify", "duplicate-claim",
          fuzz::MakeToken(Header(jose::Algorithm::kES256),
                          R"({"iss":"https://idp.example.com","aud":"stepgate-api","sub":"a",)"
                          R"("sub":"admin","exp":1800003600})",
                          jose::Algorithm::kES256));
    Write("jwt_verify", "duplicate-header",
          fuzz::MakeToken(R"({"alg":"ES256","alg":"none","kid":"ec1"})", payload,
                          jose::Algorithm::kES256));
    Write("jwt_verify", "payload-not-object",
          fuzz::MakeToken(Header(jose::Algorithm::kEdDSA), "[1,2]", jose::Algorithm::kEdDSA));

    // Structure-level refusals.
    const std::string good = Token(claims, jose::Algorithm::kRS256);
    std::string flipped = good;
    flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
    Write("jwt_verify", "bad-signature", flipped);
    Write("jwt_verify", "padded", good + "==");
    Write("jwt_verify", "two-parts", good.substr(0, good.rfind('.')));
    Write("jwt_verify", "jwe-five-parts", good + ".e30.e30");
    Write("jwt_verify", "empty-signature", good.substr(0, good.rfind('.') + 1));
    // ECDSA as DER (what a naive signer makes) instead of R||S.
    {
        const std::string input = B64(Header(jose::Algorithm::kES256)) + "." + B64(payload);
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        std::size_t length = 0;
        EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, fuzz::Keys().p256.get());
        EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size());
        std::string der(length, '\0');
        EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &length,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size());
        der.resize(length);
        EVP_MD_CTX_free(ctx);
        Write("jwt_verify", "es256-der-signature", input + "." + B64(der));
        Write("jwt_verify", "es256-zero-signature", input + "." + B64(std::string(64, '\0')));
    }
}

void JwksSeeds() {
    Write("jwks_parse", "fixed", fuzz::JwksText());
    const Json fixed = Json::parse(fuzz::JwksText());
    for (const auto& key : fixed["keys"]) {
        Write("jwks_parse", "single-" + key["kid"].get<std::string>(),
              Json{{"keys", {key}}}.dump());
    }
    auto p384 = Generate("EC", "P-384");
    auto p521 = Generate("EC", "P-521");
    auto rsa1024 = Generate("RSA", nullptr, 1024);
    Write("jwks_parse", "p384-p521",
          Json{{"keys", {PublicJwk(p384.get(), "p384"), PublicJwk(p521.get(), "p521")}}}.dump());
    Write("jwks_parse", "rsa-1024", Json{{"keys", {PublicJwk(rsa1024.get(), "small")}}}.dump());

    auto edit = [&](const char* name, std::size_t index, auto change) {
        Json key = fixed["keys"][index];
        change(key);
        Write("jwks_parse", name, Json{{"keys", {key}}}.dump());
    };
    edit("use-enc", 0, [](Json& k) { k["use"] = "enc"; });
    edit("key-ops-sign-only", 1, [](Json& k) { k["key_ops"] = {"sign"}; });
    edit("key-ops-verify", 1, [](Json& k) { k["key_ops"] = {"verify", "sign"}; });
    edit("alg-mismatch", 1, [](Json& k) { k["alg"] = "ES384"; });
    edit("alg-hs256", 0, [](Json& k) { k["alg"] = "HS256"; });
    edit("private-d", 2, [](Json& k) { k["d"] = "AAAA"; });
    edit("kid-number", 2, [](Json& k) { k["kid"] = 5; });
    edit("ec-not-on-curve", 1, [](Json& k) {
        std::string y = *jose::Base64UrlDecode(k["y"].get<std::string>());
        y[31] = static_cast<char>(y[31] ^ 1);
        k["y"] = B64(y);
    });
    edit("ec-short-x", 1, [](Json& k) { k["x"] = B64(std::string(31, 'x')); });
    edit("ec-wrong-crv", 1, [](Json& k) { k["crv"] = "P-384"; });
    edit("okp-x25519", 2, [](Json& k) { k["crv"] = "X25519"; });
    edit("rsa-even-e", 0, [](Json& k) { k["e"] = "AAEAAQ"; });
    edit("rsa-e-1", 0, [](Json& k) { k["e"] = "AQ"; });
    edit("rsa-padded-n", 0, [](Json& k) { k["n"] = k["n"].get<std::string>() + "=="; });
    Write("jwks_parse", "oct", R"({"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]})");
    Write("jwks_parse", "empty", R"({"keys":[]})");
    Write("jwks_parse", "no-keys", R"({"keyz":[]})");
    Write("jwks_parse", "duplicate-member", R"({"keys":[],"keys":[{"kty":"oct"}]})");
    Write(
        "jwks_parse", "two-same-kid",
        Json{{"keys", {fixed["keys"][1], PublicJwk(Generate("EC", "P-256").get(), "ec1")}}}.dump());
    Write("jwks_parse", "keys-not-array", R"({"keys":{"kty":"RSA"}})");
}

session::SessionData Session(std::int64_t expires_at) {
    session::SessionData s;
    s.id = "00112233445566778899aabbccddeeff";
    s.issued_at = kNow - 600;
    s.expires_at = expires_at;
    core::Identity& id = s.identity;
    id.kind = core::CredentialKind::kSession;
    id.subject = "alice";
    id.issuer = std::string(fuzz::kIssuer);
    id.email = "alice@example.com";
    id.preferred_username = "alice";
    id.acr = "urn:stepgate:loa:mfa";
    id.amr = {"pwd", "otp"};
    id.groups = {"admins", "staff", "ops"};
    id.scopes = {"openid"};
    id.auth_time = kNow - 600;
    id.claims = {{"tenant", {"acme"}}, {"region", {"eu"}}};
    return s;
}

void SessionSeeds() {
    const std::string name(fuzz::kSessionCookie);
    const std::string json = session::EncodeSession(Session(kNow + 3600));
    const std::string sealed = fuzz::SessionSealer().Seal(json, name);
    Write("session_cookie", "sealed-valid", name + "=" + sealed);
    Write("session_cookie", "sealed-among-others",
          "theme=dark; " + name + "=\"" + sealed + "\";  other=1;novalue; =x");
    Write("session_cookie", "sealed-expired",
          name + "=" + fuzz::SessionSealer().Seal(session::EncodeSession(Session(kNow - 1)), name));
    Write("session_cookie", "sealed-duplicate", name + "=" + sealed + "; " + name + "=" + sealed);
    Write("session_cookie", "flow-sealed-as-session",
          name + "=" + fuzz::FlowSealer().Seal(json, name));
    Write("session_cookie", "sealed-other-name",
          name + "=" + fuzz::SessionSealer().Seal(json, "_other"));
    // A session large enough to be chunked.
    session::SessionData big = Session(kNow + 3600);
    for (int i = 0; i < 120; ++i)
        big.identity.groups.push_back("group-number-" + std::to_string(i));
    const std::string big_sealed = fuzz::SessionSealer().Seal(session::EncodeSession(big), name);
    std::string chunked;
    for (std::size_t pos = 0, n = 0; pos < big_sealed.size(); pos += 3800, ++n) {
        if (!chunked.empty()) chunked += "; ";
        chunked += name + "_" + std::to_string(n) + "=" + big_sealed.substr(pos, 3800);
    }
    Write("session_cookie", "sealed-chunked", chunked);
    Write("session_cookie", "chunk-gap", name + "_0=abc; " + name + "_2=def");
    Write("session_cookie", "chunk-leading-zero", name + "_0=abc; " + name + "_01=def");
    Write("session_cookie", "json-valid", json);
    Write("session_cookie", "json-minimal", R"({"v":1,"sid":"s","iat":0,"exp":1,"sub":"a"})");
    Write("session_cookie", "json-bad-types",
          R"({"v":1,"sid":"s","iat":1.5,"exp":"1","sub":["a"],"amr":"otp","at":1e300})");
    Write("session_cookie", "json-claims",
          R"({"v":1,"sid":"s","iat":0,"exp":1,"sub":"a","c":{"tenant":["acme"],"x":[1]}})");
}

void FlowSeeds() {
    oidc::FlowState flow;
    flow.state = "fuzz-state-0123456789";
    flow.nonce = "n-0S6_WzA2Mj";
    flow.code_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    flow.rd = "https://shop.example.com/checkout/cart";
    flow.level = 1;
    flow.max_age = 300;
    flow.started_at = kNow - 30;
    flow.subject_hint = "alice";
    const std::string json = oidc::EncodeFlow(flow);
    Write("flow_state", "valid", json);
    oidc::FlowState plain = flow;
    plain.max_age.reset();
    plain.subject_hint.clear();
    Write("flow_state", "valid-minimal", oidc::EncodeFlow(plain));
    const std::string cookie = oidc::FlowCookieName(fuzz::kSessionCookie, flow.state);
    Write("flow_state", "sealed-valid", fuzz::FlowSealer().Seal(json, cookie));
    Write("flow_state", "bad-types", R"({"v":1,"s":"x","n":"y","cv":"z","rd":"/","l":"1","t":0})");
    Write("flow_state", "float-level",
          R"({"v":1,"s":"x","n":"y","cv":"z","rd":"/","l":1.5,"t":1800000000.5,"ma":300})");
    Write("flow_state", "empty-state", R"({"v":1,"s":"","n":"y","cv":"z","rd":"/","l":0,"t":0})");
    Write("flow_state", "wrong-version",
          R"({"v":2,"s":"x","n":"y","cv":"z","rd":"/","l":0,"t":0})");
}

void RequestSeeds() {
    const Json claims = BearerClaims();
    const std::string rs = Token(claims, jose::Algorithm::kRS256);
    const std::string es = Token(claims, jose::Algorithm::kES256);
    Json weak = claims;
    weak["acr"] = "1";
    weak["amr"] = {"pwd"};
    weak["auth_time"] = kNow - 4000;
    const std::string weak_token = Token(weak, jose::Algorithm::kEdDSA);
    const std::string name(fuzz::kSessionCookie);
    const std::string session_cookie =
        name + "=" + fuzz::SessionSealer().Seal(session::EncodeSession(Session(kNow + 600)), name);
    const std::string session_json = session::EncodeSession(Session(kNow + 3600));
    session::SessionData weak_session = Session(kNow + 600);
    weak_session.identity.acr = "1";
    weak_session.identity.amr = {"pwd"};
    const std::string weak_session_cookie =
        name + "=" + fuzz::SessionSealer().Seal(session::EncodeSession(weak_session), name);

    oidc::FlowState flow;
    flow.state = "fuzz-state-0123456789abcdef";
    flow.nonce = "n-0S6_WzA2Mj";
    flow.code_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    flow.rd = "https://shop.example.com/checkout/cart";
    flow.level = 1;
    flow.max_age = 300;
    flow.started_at = kNow - 30;
    const std::string flow_json = oidc::EncodeFlow(flow);

    struct Seed {
        const char* name;
        std::string text;
    };
    const Seed both[] = {
        {"auth-bearer",
         "GET /auth\nX-Original-URL: https://shop.example.com/checkout/cart?x=1\n"
         "X-Original-Method: POST\nAuthorization: Bearer " +
             rs + "\n"},
        {"auth-weak-bearer",
         "GET /auth\nX-Original-URL: https://shop.example.com/checkout/cart\n"
         "X-Original-Method: POST\nAuthorization: bearer  " +
             weak_token + " \n"},
        {"auth-pins-session",
         "GET /auth?level=mfa&max_age=300\nX-Original-URL: https://a.example.com/reports/q3\n"
         "X-Original-Method: GET\nCookie: theme=dark; " +
             session_cookie + "\n"},
        {"auth-policy-pin",
         "GET /auth?policy=admin\nX-Original-URL: https://A.Example.COM.:8443/x;a=b/%7Euser\n"
         "X-Original-Method: GET\nAccept: application/json\n"},
        {"auth-bad-url",
         "GET /auth\nX-Original-URL: https://a.example.com/public/%2e%2e/admin\n"
         "X-Original-Method: GET\n"},
        {"auth-duplicate",
         "GET /auth\nX-Original-URL: https://a.example.com/public\n"
         "X-Original-URL: https://a.example.com/admin\nX-Original-Method: GET\n"},
        {"forward-auth",
         "GET /forward-auth\nX-Forwarded-Proto: https\nX-Forwarded-Host: x.admin.example.com\n"
         "X-Forwarded-Uri: /internal/a/config?q=1\nX-Forwarded-Method: DELETE\n"
         "Accept: text/html,application/json\nX-Forwarded-For: 198.51.100.7, 10.0.0.3\n"},
        {"forward-auth-json",
         "GET /forward-auth\nX-Forwarded-Host: shop.example.com\nX-Forwarded-Uri: /files/a.json\n"
         "X-Forwarded-Method: GET\nAccept: Application/JSON\nX-Real-IP: 192.0.2.1\n"},
        {"ext-authz",
         "POST /ext-authz/checkout/pay?level=mfa\nHost: shop.example.com\n"
         "X-Forwarded-Proto: http\nAuthorization: Bearer " +
             es + "\n"},
        {"ext-authz-pinned",
         "GET /ext-authz-pinned/level=mfa&max_age=300/reports/q3\nHost: a.example.com:443\n"
         "Cookie: " +
             session_cookie + "\n"},
        {"ext-authz-two-hosts", "GET /ext-authz/\nHost: a.example.com\nHost: b.example.com\n"},
        {"xff-chain",
         "GET /auth\nX-Original-URL: http://[::1]:8080/\nX-Original-Method: GET\n"
         "X-Forwarded-For: 2001:db8::1, 192.168.1.1,10.9.9.9\nX-Real-IP: 203.0.113.5\n"},
    };
    for (const Seed& seed : both) {
        std::string text = seed.text;
        // forwarded_headers reads the facts itself: the endpoint prefix is not part of its
        // inner target, so give it the original target form.
        Write("handler", seed.name, text);
        const auto space = text.find(' ');
        const auto newline = text.find('\n');
        std::string target = text.substr(space + 1, newline - space - 1);
        for (std::string_view prefix :
             {"/ext-authz-pinned", "/ext-authz", "/forward-auth", "/auth"}) {
            if (target.rfind(prefix, 0) == 0) {
                target = target.substr(prefix.size());
                break;
            }
        }
        if (target.empty() || (target.front() != '/' && target.front() != '?'))
            target = "/" + target;
        Write("forwarded_headers", seed.name,
              text.substr(0, space + 1) + target + text.substr(newline));
    }
    const Seed handler_only[] = {
        {"start",
         "GET /stepgate/start?rd=https%3A%2F%2Fshop.example.com%2Fcheckout&level=mfa\n"
         "Cookie: " +
             session_cookie + "\n"},
        {"start-bad-rd", "GET /start?rd=//evil.example\n"},
        {"start-step-up",
         "GET /start?rd=https%3A%2F%2Fa.example.com%2Freports%2Fq3&level=mfa&max_age=300\n"
         "Cookie: " +
             weak_session_cookie + "\n"},
        {"start-rules", "GET /start?rd=https%3A%2F%2Fshop.example.com%2Fcheckout%2Fcart\n"},
        {"callback",
         "GET "
         "/stepgate/"
         "callback?state=fuzz-state-0123456789abcdef&code=abc&iss=https%3A%2F%2Fidp.example.com\n"
         "@flow:" +
             flow_json + "\n"},
        {"callback-error",
         "GET /callback?state=fuzz-state-0123456789abcdef&error=access_denied\n@flow:" + flow_json +
             "\n"},
        {"logout", "POST /logout?rd=https://www.example.com/bye\nCookie: " + session_cookie + "\n"},
        {"whoami-session", "GET /whoami\n@session:" + session_json + "\n"},
        {"auth-session-pseudo",
         "GET /auth\nX-Original-URL: https://x.admin.example.com/\nX-Original-Method: GET\n"
         "@session:" +
             session_json + "\n"},
        {"forward-auth-no-session",
         "GET /forward-auth\nX-Forwarded-Host: shop.example.com\nX-Forwarded-Uri: /checkout/a\n"
         "X-Forwarded-Method: POST\n"},
        {"healthz", "GET /healthz\n"},
        {"readyz", "GET /stepgate/readyz\n"},
        {"metrics", "GET /metrics\n"},
        {"not-found", "GET /nope\n"},
    };
    for (const Seed& seed : handler_only) Write("handler", seed.name, seed.text);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_ROOT (fuzz/corpus)\n", argv[0]);
        return 2;
    }
    g_root = argv[1];
    JwtSeeds();
    JwksSeeds();
    SessionSeeds();
    FlowSeeds();
    RequestSeeds();
    Write("config", "fixed", fuzz::ConfigText(false));
    Write("config", "fixed-case-insensitive", fuzz::ConfigText(true));
    return 0;
}
