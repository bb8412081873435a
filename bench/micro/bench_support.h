// Keys and tokens for the micro-benchmarks, made with OpenSSL EVP at start-up (the approach of
// test/unit/jose/token_factory, not linked: the benchmarks link only the server library).
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "jose/jwk.h"

namespace stepgate::bench {

// Generated once per process.
struct BenchKeys {
    jose::EvpPkeyPtr rsa;   // 2048 bits
    jose::EvpPkeyPtr p256;  // ES256
};
const BenchKeys& Keys();

// {"keys":[RSA as kid "rsa-1", P-256 as kid "ec-1"]}
std::string BenchJwks();

// header.payload.signature with `alg` RS256 (rsa) or ES256 (p256, R||S), kid as above.
std::string SignJwt(jose::Algorithm algorithm, std::string_view payload_json);

// The policy the benchmarks decide with: a dozen rules of the kinds a real Ingress has.
inline constexpr const char* kBenchIssuer = "https://idp.example.com";
inline constexpr std::int64_t kBenchNow = 1'800'000'000;
inline constexpr const char* kBenchConfig = R"(public_url: https://auth.example.com/stepgate
provider:
  issuer: https://idp.example.com
  client_id: stepgate
  audiences: [stepgate-api]
session:
  secret: MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=
  secure: true
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
  - name: admin-host
    hosts: ["*.admin.example.com"]
    paths: ["/**"]
    require: { level: mfa, groups_any: [admins] }
  - name: admin
    paths: ["/admin/**", "/api/admin/**"]
    require: { level: mfa, groups_any: [admins] }
  - name: security-settings
    paths: ["/settings/security/**"]
    require: { level: mfa, max_age: 2m }
  - name: reports
    paths: ["/api/reports/**"]
    require: { level: basic, scopes_all: ["reports:read"] }
  - name: exports
    paths: ["/api/exports/*.csv", "/api/exports/*.json"]
    require: { level: basic, groups_any: [staff] }
  - name: billing
    hosts: ["billing.example.com"]
    paths: ["/invoices/**"]
    require: { level: basic, groups_any: [finance] }
  - name: uploads
    paths: ["/api/uploads/*/parts/*"]
    methods: [PUT, POST]
    require: { level: basic }
  - name: ops
    hosts: ["ops.example.com"]
    require: { level: mfa, groups_all: [staff, ops] }
  - name: health
    paths: ["/healthz", "/readyz"]
    require: { level: none }
  - name: public
    paths: ["/", "/public/**", "/static/**"]
    require: { level: none }
default: { require: { level: basic } }
redirect:
  allowed_domains: [".example.com"]
)";

// A payload for a signed-in user at the basic level, valid from `now` for an hour; `jti`
// makes tokens distinct.
std::string UserClaims(std::int64_t now, std::string_view issuer, std::string_view jti = "1");

}  // namespace stepgate::bench
