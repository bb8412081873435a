// Which request a proxy is asking about, read from exactly the headers that its kind of proxy
// sets and overwrites (CONTRACT "What the decision endpoints read"). Pure: no sockets.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapters/http_message.h"
#include "common/result.h"
#include "policy/pins.h"
#include "policy/url.h"

namespace stepgate::adapters {

enum class Endpoint { kAuth, kForwardAuth, kExtAuthz, kExtAuthzPinned };

enum class FactsError {
    kMissingHeader,    // the endpoint's header family is incomplete
    kDuplicateHeader,  // an original-request header appears twice
    kBadUrl,           // see url_error
    kBadMethod,
    kBadAuthorization,  // more than one Authorization header
    kBadPins,           // the operator's pins are wrong: 500, never an allow
};

struct FactsFailure {
    FactsError error;
    policy::UrlError url_error = policy::UrlError::kBadPath;
    policy::PinError pin_error = policy::PinError::kBadValue;
    std::string_view Describe() const;
};

struct RequestFacts {
    Endpoint endpoint = Endpoint::kAuth;
    policy::TargetUrl target;
    std::string method;
    std::optional<policy::Pins> pins;
    std::string_view bearer_token;  // empty when no `Authorization: Bearer`
    bool has_bearer = false;        // an Authorization: Bearer header was sent (maybe empty)
    std::string_view cookies;       // the Cookie header, if any
    bool wants_json = false;        // Accept: application/json without text/html
};

// `inner_target` is the request target with the endpoint prefix removed: for /auth and
// /forward-auth the auth URL's own query (pins), for /ext-authz/ the original target, for
// /ext-authz-pinned/ "<pins>/<original target>".
Result<RequestFacts, FactsFailure> ReadFacts(Endpoint endpoint, const Request& request,
                                             std::string_view inner_target,
                                             const policy::Policy& policy);

// Extracts the bearer token from an Authorization header value; nullopt when the scheme
// is not Bearer (RFC 6750 §2.1; the scheme is case-insensitive, RFC 9110 §11.1).
std::optional<std::string_view> BearerToken(std::string_view authorization);

}  // namespace stepgate::adapters
