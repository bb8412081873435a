#include "common/fuzz_support.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "jose/base64url.h"

namespace stepgate::fuzz {

namespace {

// Fuzzing-only keys, generated once with `openssl genpkey` (RSA 2048, P-256, Ed25519).
// Public by design: they sign nothing but the committed seed tokens.
constexpr char kRsaPem[] = R"PEM(
-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDBkyo/A87iUcqd
n+VMyrxj0TT1djS074J2Vt5aBc+4OC/0c6UzO96r1RH+4h9KMqEtnyuRUqElDYSc
lKOOBMbDzysR8fFRfhKaf4q7KQ9W9YL+3LOxuNPC1B3h/EBF+7OhKKnvT1ZcqRqP
3S5JGwMafhMq7zh7jaakP3hDXAcFbWWTzZZKh5XPDzc7eIqyOR6LSTCZ5lEirrVI
hmNciy11EgWGmZl2QSjmL7QreJtRPq3AoT7Iyf8fK32JT3HBa1N9UMy9ejHi+5L1
xkf5YWwxzmHxcelU5fdEtc1G1iQGqkahPflmoF16sCGf2qcc9o7cIQnwS1MgSpk6
C7e9nmIdAgMBAAECggEAAm3Moj0eU8aqSoS0GtznCkBDcC+12kNbGWMI/TYvdLn3
wr3PZ9ordsUrVE3ADhfz38pXK0ake6jfbhuLWyqCLU4kgIrO+AfN8fRXEvbL7iUR
1LguOl+oVecqzNLJIlerLwLUnF/Gz04r5Xw6qsjU/CMdgx9nT7Lnpriefgc3QKvT
d+0FZrbBba2Hww8hwm/48vpqbkVpyWSnVakrU9y0H0zPJq2pTX6y5Hm9lw8i4XVv
kEgiw8LRODK0pzLWgQBHgtGrWEEBIMR4vfXLEtU9Zki8dW/wdzYMw6bvvqZ+Lrvi
GDMBZ2IuZND2KIihhn4SHf02tDNm+2MlLfHdf6FMnQKBgQDwAwVqXA+boghZZlh2
tVcueH4xfsDDA7/lxXIuLLBFIN0jwSATCdQbI5AaSn4WWIzN6u3vR2VMvXVOnY6i
QNXqvuY/cXXKA5bVpr4+pQsR28yY5Ur+nKnZbT+hyunj3N6bBkRGvBSzCbXlrWM1
7d7Bt5rtWitZJyQOiBa1yWdVlwKBgQDOeD5eB/J8KxFq+8K946VsZ6qzWQrDue56
8g86/P+LCe3DUZ9NnOLQywoMZjNM2rXqF5WDoUbrwveaxHqmqsgYz3tqWbW7r5OW
rPviiDp4Xq5vO439jxXVS6xRYodwPegNidJ+JDBq71y4NoBZEinFce/YR9l1u3jC
Lxbn9grEawKBgCb5Np3oyRgKnbR2rBLKq5d+NW+wF3kTWMvk3f+lfhIbng06RQ0S
YYDuq225fvP9+Q9PAMgEHezyLuRPLWQnhxURXq4arHfbUVjsNKRThJKn0HdbdGwX
4HTQCq8pFgXMTdF6mQerbukLwJ/FIgEV2UA3ok68f6GAe5hofNeUFtWNAoGBAKXM
MzDpKtSA9Sy23MwFiSpDGPWKVDWWEiZSSN6ymTZ6k55b5hO6Hv1RflE0pI9btec0
ZxDbqorZ9mEm0+MQkzwxKMbfISuFM3w0jtR7VpCgX2zdIwlxJDQy3z4/Y8lDPRva
B9jZkLPeYNNgmLJt/nMaKmLAV6TOFYvBqqA8mKrfAoGBAIvYCu2WQlRIMrxjHexo
+CqoivywJ351z44NL0dfvZk79Z+5Ic9u+5Kwn4KBfGvyCkxlJZKwlF+hLG5J4fEe
s0lsh7vANsnee0TY+VM4CQiqCVhwg9oQLIUbyAbn6S73kcIF6/yDlNm71yXMGCZC
Z3nnQx7BZJPq8IIbeZlLwl6L
-----END PRIVATE KEY-----
)PEM";

constexpr char kP256Pem[] = R"PEM(
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSqkpt+8KURHwqWvW
H2wbM1jHn+a7J+rfpmXeY/Wn4qqhRANCAARVC1X3G91gPuy5xZ6D/rbgE9gdzUeZ
YXNm3A1vbr/ro1ZeSOAZR0Fqp8lSbAHhTASa8S+A2ONeDZP+fnqXB5zc
-----END PRIVATE KEY-----
)PEM";

constexpr char kEd25519Pem[] = R"PEM(
-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJsHWC4PqsjDLi89h0bDhrUdiqy+veqMuFCzpvEPdUWS
-----END PRIVATE KEY-----
)PEM";

jose::EvpPkeyPtr LoadPem(const char* pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem, -1), &BIO_free);
    EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (key == nullptr) Fail("cannot load a fixed fuzzing key");
    return jose::EvpPkeyPtr(key);
}

std::string BnParam(EVP_PKEY* key, const char* name, std::size_t pad_to = 0) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) Fail("EVP_PKEY_get_bn_param", name);
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    if (out.size() < pad_to) out.insert(0, pad_to - out.size(), '\0');
    return out;
}

std::string B64(std::string_view bytes) { return jose::Base64UrlEncode(bytes); }

const char* kConfigTemplate = R"(listen: 127.0.0.1:4180
public_url: https://auth.example.com/stepgate
provider:
  issuer: https://idp.example.com
  client_id: stepgate
  client_secret: ${CLIENT_SECRET}
  audiences: [stepgate-api]
  algorithms: [RS256, ES256, EdDSA]
session:
  secret: MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=
  cookie_domain: .example.com
levels:
  - name: basic
    acr: ["urn:stepgate:loa:pwd", "1"]
  - name: mfa
    acr: ["urn:stepgate:loa:mfa", "2"]
    amr_any: [mfa, otp, hwk]
rules:
  - name: payments
    hosts: ["shop.example.com"]
    paths: ["/checkout/**", "/api/payments/**"]
    methods: [POST, PUT, DELETE]
    require: { level: mfa, max_age: 5m }
  - name: admin
    hosts: ["*.admin.example.com", "admin.example.com"]
    paths: ["/**"]
    require: { level: mfa, groups_any: [admins] }
  - name: internal
    paths: ["/admin/**", "/internal/*/config", "/files/*.json"]
    require: { level: mfa, groups_all: [staff, ops] }
  - name: reports
    paths: ["/reports/**"]
    require: { scopes_all: ["reports:read"], claims: { tenant: [acme, globex], region: eu } }
  - name: public
    paths: ["/", "/public/**", "/healthz"]
    require: { level: none }
default: { require: { level: basic } }
redirect:
  allowed_domains: [".example.com", "partner.example.org"]
  default: https://www.example.com/
trusted_proxies: ["10.0.0.0/8", "::1", "192.168.0.0/16"]
)";

}  // namespace

void Fail(const char* what, std::string_view detail) {
    std::fprintf(stderr, "FUZZ PROPERTY VIOLATION: %s [%.*s]\n", what,
                 static_cast<int>(detail.size()), detail.data());
    std::abort();
}

const FuzzKeys& Keys() {
    static const FuzzKeys keys = [] {
        FuzzKeys k;
        k.rsa = LoadPem(kRsaPem);
        k.p256 = LoadPem(kP256Pem);
        k.ed25519 = LoadPem(kEd25519Pem);
        return k;
    }();
    return keys;
}

const std::string& JwksText() {
    static const std::string text = [] {
        const FuzzKeys& k = Keys();
        std::size_t ed_length = 32;
        std::string ed(ed_length, '\0');
        if (EVP_PKEY_get_raw_public_key(
                k.ed25519.get(), reinterpret_cast<unsigned char*>(ed.data()), &ed_length) != 1) {
            Fail("EVP_PKEY_get_raw_public_key");
        }
        nlohmann::json keys = nlohmann::json::array();
        keys.push_back({{"kty", "RSA"},
                        {"kid", "rsa1"},
                        {"use", "sig"},
                        {"alg", "RS256"},
                        {"n", B64(BnParam(k.rsa.get(), OSSL_PKEY_PARAM_RSA_N))},
                        {"e", B64(BnParam(k.rsa.get(), OSSL_PKEY_PARAM_RSA_E))}});
        keys.push_back({{"kty", "EC"},
                        {"kid", "ec1"},
                        {"crv", "P-256"},
                        {"x", B64(BnParam(k.p256.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32))},
                        {"y", B64(BnParam(k.p256.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32))}});
        keys.push_back({{"kty", "OKP"}, {"kid", "ed1"}, {"crv", "Ed25519"}, {"x", B64(ed)}});
        return nlohmann::json{{"keys", keys}}.dump();
    }();
    return text;
}

const jose::KeySet& KeySet() {
    static const jose::KeySet set = [] {
        auto parsed = jose::KeySet::Parse(JwksText());
        if (!parsed || parsed->size() != 3) Fail("the fixed JWKS does not parse to 3 keys");
        return std::move(*parsed);
    }();
    return set;
}

const jose::VerifyOptions& BearerOptions() { return Config()->bearer_options; }

std::string_view KidFor(jose::Algorithm algorithm) {
    switch (algorithm) {
        case jose::Algorithm::kES256:
            return "ec1";
        case jose::Algorithm::kEdDSA:
            return "ed1";
        default:
            return "rsa1";
    }
}

std::string Sign(jose::Algorithm algorithm, std::string_view input) {
    const FuzzKeys& k = Keys();
    EVP_PKEY* key = k.rsa.get();
    const EVP_MD* md = EVP_sha256();
    if (algorithm == jose::Algorithm::kES256) key = k.p256.get();
    if (algorithm == jose::Algorithm::kEdDSA) {
        key = k.ed25519.get();
        md = nullptr;
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::size_t length = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
        Fail("EVP_DigestSignInit");
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
        Fail("EVP_DigestSign");
    }
    signature.resize(length);
    if (algorithm != jose::Algorithm::kES256) return signature;
    // RFC 7518 §3.4: DER ECDSA-Sig-Value -> R || S, 32 bytes each.
    const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
    if (sig == nullptr) Fail("d2i_ECDSA_SIG");
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
}

std::string MakeToken(std::string_view header_json, std::string_view payload_json,
                      jose::Algorithm algorithm) {
    std::string input = B64(header_json) + "." + B64(payload_json);
    return input + "." + B64(Sign(algorithm, input));
}

std::string_view ConfigText(bool case_insensitive) {
    static const std::string sensitive = kConfigTemplate;
    static const std::string insensitive =
        std::string(kConfigTemplate) + "paths:\n  case_insensitive: true\n";
    return case_insensitive ? insensitive : sensitive;
}

config::EnvLookup FixedEnv() {
    return [](const std::string& name) -> std::optional<std::string> {
        if (name == "CLIENT_SECRET" || name == "STEPGATE_CLIENT_SECRET")
            return std::string("s3cret");
        if (name == "STEPGATE_COOKIE_SECRET")
            return std::string("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=");
        if (name == "EMPTY") return std::string();
        if (name == "HOST") return std::string("shop.example.com");
        return std::nullopt;
    };
}

std::shared_ptr<const config::Config> Config(bool case_insensitive) {
    auto load = [](bool ci) {
        auto loaded = config::LoadConfigText(ConfigText(ci), "fuzz.yaml", FixedEnv());
        if (!loaded) Fail("the fixed fuzzing config does not load", loaded.error().front().message);
        return *loaded;
    };
    static const std::shared_ptr<const config::Config> sensitive = load(false);
    static const std::shared_ptr<const config::Config> insensitive = load(true);
    return case_insensitive ? insensitive : sensitive;
}

const session::Sealer& SessionSealer() {
    static const session::Sealer sealer = [] {
        auto created = session::Sealer::Create(Config()->session->secrets, "session");
        if (!created) Fail("Sealer::Create");
        return std::move(*created);
    }();
    return sealer;
}

const session::Sealer& FlowSealer() {
    static const session::Sealer sealer = [] {
        auto created = session::Sealer::Create(Config()->session->secrets, "flow");
        if (!created) Fail("Sealer::Create");
        return std::move(*created);
    }();
    return sealer;
}

std::vector<std::string_view> SplitLines(std::string_view data) {
    std::vector<std::string_view> lines;
    while (!data.empty()) {
        const auto newline = data.find('\n');
        std::string_view line = data.substr(0, newline);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        if (newline == std::string_view::npos) break;
        data.remove_prefix(newline + 1);
    }
    return lines;
}

}  // namespace stepgate::fuzz
