// Reading the original request's URL the way the matcher must see it (CONTRACT "Paths"):
// percent-decode once (%2F included), merge repeated slashes, and refuse every spelling that
// applications could resolve differently from us.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace stepgate::policy {

enum class UrlError {
    kNotAbsolute,  // X-Original-URL must be an absolute http(s) URL
    kFragment,     // a fragment never reaches a server
    kBadHost,
    kBadPath,           // not starting with '/', or unusable
    kDotSegment,        // `.` or `..` (also `..;x`) after decoding
    kBadEscape,         // invalid percent-escape
    kDoubleEncoding,    // an escaped `.`, `/`, `%` or `\` left after decoding once
    kControlCharacter,  // NUL or another control character
    kWhitespace,        // a raw space or tab: not URI syntax (RFC 3986 §2), encode it as %20
    kBackslash,         // some applications read `\` as `/`
    kInvalidUtf8,       // overlong or malformed UTF-8 (`%c0%ae` is a `.` to lenient decoders)
    kTooLong,
};

std::string_view Describe(UrlError error);

inline constexpr std::size_t kMaxUrlBytes = 8 * 1024;
// Deeper paths are refused (400) rather than matched by no rule.
inline constexpr std::size_t kMaxPathSegments = 128;

// Lower-cases the host, drops a port and one trailing dot. Accepts DNS names, IPv4 and
// bracketed IPv6 literals; refuses anything else (userinfo, spaces, empty).
Result<std::string, UrlError> NormalizeHost(std::string_view host_and_port);

struct NormalizedPath {
    std::string path;        // decoded once, slashes merged: what the application will see
    std::string match_path;  // `path` without `;parameters` per segment, lower-cased when
                             // matching is case-insensitive: what the rules are matched on
};

// `raw_path` is the path part of a request target, without the query.
Result<NormalizedPath, UrlError> NormalizePath(std::string_view raw_path, bool case_insensitive);

struct TargetUrl {
    std::string scheme;              // "http" or "https", lower-case
    std::string host;                // normalized host
    std::string authority;           // host[:port] as received (validated): for building `rd`
    std::string raw_path_and_query;  // as received: for building `rd`
    NormalizedPath path;
    std::string raw_query;  // without '?'
};

// Parses X-Original-URL: scheme://authority/path?query, no fragment, no userinfo.
Result<TargetUrl, UrlError> ParseAbsoluteUrl(std::string_view url, bool case_insensitive);

// Splits a request target (origin-form) into path and query and normalizes the path.
Result<TargetUrl, UrlError> ParseOriginForm(std::string_view scheme, std::string_view host,
                                            std::string_view target, bool case_insensitive);

// Percent-decodes a query component (`+` is a space). Returns false on a bad escape.
bool DecodeQueryComponent(std::string_view in, std::string& out);

// The query's name/value pairs in order, decoded (a name without '=' has an empty value);
// nullopt on a bad escape. Repeated names are kept: callers decide what repetition means.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

}  // namespace stepgate::policy
