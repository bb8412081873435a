#include "adapters/request_facts.h"

#include <boost/beast/http/field.hpp>

#include "common/encoding.h"

namespace stepgate::adapters {

namespace bhttp = boost::beast::http;

namespace {

// The header's only value; nullopt when missing, `duplicate` set when repeated.
std::optional<std::string_view> SingleHeader(const Request& request, std::string_view name,
                                             bool& duplicate) {
    auto range = request.equal_range(name);
    if (range.first == range.second) return std::nullopt;
    auto second = range.first;
    ++second;
    if (second != range.second) {
        duplicate = true;
        return std::nullopt;
    }
    return range.first->value();
}

bool IsToken(std::string_view text) {
    if (text.empty() || text.size() > 32) return false;
    for (char c : text) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '!' ||
                        c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' ||
                        c == '+' || c == '^' || c == '`' || c == '|' || c == '~';
        if (!ok) return false;
    }
    return true;
}

bool ContainsToken(std::string_view haystack, std::string_view needle) {
    // Case-insensitive search for a media type in an Accept header.
    if (needle.size() > haystack.size()) return false;
    for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
        bool match = true;
        for (std::size_t j = 0; j < needle.size() && match; ++j) {
            char a = haystack[i + j];
            if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
            match = a == needle[j];
        }
        if (match) return true;
    }
    return false;
}

Result<RequestFacts, FactsFailure> Fail(FactsError error) { return MakeError(FactsFailure{error}); }

}  // namespace

std::string_view FactsFailure::Describe() const {
    switch (error) {
        case FactsError::kMissingHeader:
            return "a header describing the original request is missing";
        case FactsError::kDuplicateHeader:
            return "a header describing the original request is repeated";
        case FactsError::kBadUrl:
            return policy::Describe(url_error);
        case FactsError::kBadMethod:
            return "the original method is not valid";
        case FactsError::kBadAuthorization:
            return "the Authorization header is repeated";
        case FactsError::kBadPins:
            return policy::Describe(pin_error);
    }
    return "bad request";
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
    constexpr std::string_view kScheme = "bearer";
    if (authorization.size() < kScheme.size()) return std::nullopt;
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        char c = authorization[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != kScheme[i]) return std::nullopt;
    }
    std::string_view rest = authorization.substr(kScheme.size());
    if (!rest.empty() && rest.front() != ' ') return std::nullopt;  // "Bearerx" is another scheme
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
    return rest;
}

Result<RequestFacts, FactsFailure> ReadFacts(Endpoint endpoint, const Request& request,
                                             std::string_view inner_target,
                                             const policy::Policy& policy) {
    RequestFacts facts;
    facts.endpoint = endpoint;
    bool duplicate = false;
    const bool case_insensitive = policy.case_insensitive_paths;
    std::string_view pin_query;

    switch (endpoint) {
        case Endpoint::kAuth: {
            // nginx auth_request / ingress-nginx: only X-Original-*; a client's own
            // X-Forwarded-* pass through ingress-nginx untouched and are ignored here.
            auto url = SingleHeader(request, "X-Original-URL", duplicate);
            auto method = SingleHeader(request, "X-Original-Method", duplicate);
            if (duplicate) return Fail(FactsError::kDuplicateHeader);
            if (!url || !method) return Fail(FactsError::kMissingHeader);
            auto target = policy::ParseAbsoluteUrl(*url, case_insensitive);
            if (!target) return MakeError(FactsFailure{FactsError::kBadUrl, target.error()});
            facts.target = std::move(*target);
            facts.method = std::string(*method);
            const auto question = inner_target.find('?');
            if (question != std::string_view::npos) pin_query = inner_target.substr(question + 1);
            break;
        }
        case Endpoint::kForwardAuth: {
            // Traefik ForwardAuth: X-Forwarded-*; X-Original-* are ignored.
            auto proto = SingleHeader(request, "X-Forwarded-Proto", duplicate);
            auto host = SingleHeader(request, "X-Forwarded-Host", duplicate);
            auto uri = SingleHeader(request, "X-Forwarded-Uri", duplicate);
            auto method = SingleHeader(request, "X-Forwarded-Method", duplicate);
            if (duplicate) return Fail(FactsError::kDuplicateHeader);
            if (!host || !uri || !method) return Fail(FactsError::kMissingHeader);
            std::string scheme = proto ? std::string(*proto) : "https";
            for (char& c : scheme)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (scheme != "http" && scheme != "https") {
                return MakeError(FactsFailure{FactsError::kBadUrl, policy::UrlError::kNotAbsolute});
            }
            auto target = policy::ParseOriginForm(scheme, *host, *uri, case_insensitive);
            if (!target) return MakeError(FactsFailure{FactsError::kBadUrl, target.error()});
            facts.target = std::move(*target);
            facts.method = std::string(*method);
            const auto question = inner_target.find('?');
            if (question != std::string_view::npos) pin_query = inner_target.substr(question + 1);
            break;
        }
        case Endpoint::kExtAuthz:
        case Endpoint::kExtAuthzPinned: {
            // Envoy: the check request is the original request; the query belongs to it.
            std::string_view original = inner_target;
            if (endpoint == Endpoint::kExtAuthzPinned) {
                const auto slash = original.find('/');
                pin_query = original.substr(0, slash);
                original = slash == std::string_view::npos ? std::string_view("/")
                                                           : original.substr(slash);
                if (pin_query.empty()) {
                    return MakeError(
                        FactsFailure{FactsError::kBadPins, {}, policy::PinError::kBadValue});
                }
            }
            if (original.empty()) original = "/";
            auto host = SingleHeader(request, "Host", duplicate);
            auto proto = SingleHeader(request, "X-Forwarded-Proto", duplicate);
            if (duplicate) return Fail(FactsError::kDuplicateHeader);
            if (!host) return Fail(FactsError::kMissingHeader);
            std::string scheme = proto ? std::string(*proto) : "https";
            for (char& c : scheme)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (scheme != "http" && scheme != "https") {
                return MakeError(FactsFailure{FactsError::kBadUrl, policy::UrlError::kNotAbsolute});
            }
            auto target = policy::ParseOriginForm(scheme, *host, original, case_insensitive);
            if (!target) return MakeError(FactsFailure{FactsError::kBadUrl, target.error()});
            facts.target = std::move(*target);
            facts.method = std::string(request.method_string());
            break;
        }
    }
    if (!IsToken(facts.method)) return Fail(FactsError::kBadMethod);
    // Methods are case-sensitive (RFC 9110 §9.1), but frameworks upper-case them before routing:
    // `post` must meet the rules written for POST.
    for (char& c : facts.method) c = AsciiUpper(c);

    if (!pin_query.empty()) {
        auto pins = policy::ParsePins(pin_query, policy);
        if (!pins) return MakeError(FactsFailure{FactsError::kBadPins, {}, pins.error()});
        facts.pins = std::move(*pins);
    }

    bool duplicate_authorization = false;
    if (auto authorization = SingleHeader(request, "Authorization", duplicate_authorization)) {
        if (auto token = BearerToken(*authorization)) {
            facts.has_bearer = true;
            facts.bearer_token = *token;
        }
    }
    if (duplicate_authorization) return Fail(FactsError::kBadAuthorization);

    auto cookie_range = request.equal_range(bhttp::field::cookie);
    if (cookie_range.first != cookie_range.second) facts.cookies = cookie_range.first->value();

    auto accept = request[bhttp::field::accept];
    facts.wants_json =
        ContainsToken(accept, "application/json") && !ContainsToken(accept, "text/html");
    return facts;
}

}  // namespace stepgate::adapters
