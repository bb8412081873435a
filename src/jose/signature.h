// JWS signature verification (RFC 7515 §5.2 step 8, RFC 7518 §3) with OpenSSL 3 EVP.
#pragma once

#include <openssl/evp.h>

#include <string_view>

#include "jose/jwk.h"

namespace stepgate::jose::detail {

// Whether `signature` (the decoded third JWS part) is a valid `algorithm` signature by `key`
// over `signing_input` (the ASCII `header.payload`). False for any key that does not fit the
// algorithm, any signature of the wrong length or encoding, and any OpenSSL failure.
bool VerifyJwsSignature(Algorithm algorithm, EVP_PKEY* key, std::string_view signing_input,
                        std::string_view signature);

}  // namespace stepgate::jose::detail
