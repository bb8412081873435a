#include "policy/url.h"

#include <algorithm>
#include <cctype>

#include "common/encoding.h"

namespace stepgate::policy {

namespace {

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// `text` lower-cased is `lower` (already lower-case).
bool EqualsLowerAscii(std::string_view text, std::string_view lower) {
    if (text.size() != lower.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (LowerAscii(text[i]) != lower[i]) return false;
    }
    return true;
}

bool IsDotSegment(std::string_view segment) {
    // Tomcat and others drop `;parameters` before resolving dot segments (`..;/`).
    const auto semicolon = segment.find(';');
    if (semicolon != std::string_view::npos) segment = segment.substr(0, semicolon);
    return segment == "." || segment == "..";
}

// Strict UTF-8 (RFC 3629 §4): no overlong forms, no surrogates, nothing above U+10FFFF. An
// overlong `%c0%ae` is a `.` to lenient decoders, so it must never pass as a harmless byte.
bool ValidUtf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned min = 0;
        unsigned code = 0;
        if ((byte & 0xE0) == 0xC0) {
            length = 2;
            min = 0x80;
            code = byte & 0x1Fu;
        } else if ((byte & 0xF0) == 0xE0) {
            length = 3;
            min = 0x800;
            code = byte & 0x0Fu;
        } else if ((byte & 0xF8) == 0xF0) {
            length = 4;
            min = 0x10000;
            code = byte & 0x07u;
        } else {
            return false;
        }
        if (i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) return false;
            code = (code << 6) | (next & 0x3Fu);
        }
        if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
        i += length;
    }
    return true;
}

bool IsHostChar(char c) { return IsAsciiAlnum(c) || c == '-' || c == '.' || c == '_'; }

}  // namespace

std::string_view Describe(UrlError error) {
    switch (error) {
        case UrlError::kNotAbsolute:
            return "the original URL is not an absolute http(s) URL";
        case UrlError::kFragment:
            return "the original URL carries a fragment";
        case UrlError::kBadHost:
            return "the original host is not valid";
        case UrlError::kBadPath:
            return "the original path is not valid";
        case UrlError::kDotSegment:
            return "the original path holds a dot segment";
        case UrlError::kBadEscape:
            return "the original path holds an invalid percent-escape";
        case UrlError::kDoubleEncoding:
            return "the original path is encoded twice";
        case UrlError::kControlCharacter:
            return "the original path holds a control character";
        case UrlError::kWhitespace:
            return "the original URL holds a raw space or tab";
        case UrlError::kBackslash:
            return "the original path holds a backslash";
        case UrlError::kInvalidUtf8:
            return "the original path is not valid UTF-8";
        case UrlError::kTooLong:
            return "the original URL is too long";
    }
    return "the original URL is not valid";
}

Result<std::string, UrlError> NormalizeHost(std::string_view host_and_port) {
    std::string_view host = host_and_port;
    if (host.empty()) return MakeError(UrlError::kBadHost);
    if (host.front() == '[') {
        const auto close = host.find(']');
        if (close == std::string_view::npos) return MakeError(UrlError::kBadHost);
        std::string_view rest = host.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || rest.size() == 1)) {
            return MakeError(UrlError::kBadHost);
        }
        std::string_view literal = host.substr(1, close - 1);
        if (literal.empty()) return MakeError(UrlError::kBadHost);
        for (char c : literal) {
            if (std::isxdigit(static_cast<unsigned char>(c)) == 0 && c != ':' && c != '.') {
                return MakeError(UrlError::kBadHost);
            }
        }
        std::string out = "[";
        for (char c : literal) out.push_back(LowerAscii(c));
        out.push_back(']');
        return out;
    }
    const auto colon = host.find(':');
    if (colon != std::string_view::npos) {
        std::string_view port = host.substr(colon + 1);
        if (port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return MakeError(UrlError::kBadHost);
        }
        int value = 0;
        for (char c : port) value = value * 10 + (c - '0');
        if (value == 0 || value > 65535) return MakeError(UrlError::kBadHost);
        host = host.substr(0, colon);
    }
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    if (host.empty() || host.size() > 253) return MakeError(UrlError::kBadHost);
    std::string out(host.size(), '\0');
    for (std::size_t i = 0; i < host.size(); ++i) {
        if (!IsHostChar(host[i])) return MakeError(UrlError::kBadHost);
        out[i] = LowerAscii(host[i]);
    }
    // One trailing dot was dropped above; another means an empty label ("a.example..").
    if (out.front() == '.' || out.back() == '.' || out.find("..") != std::string::npos)
        return MakeError(UrlError::kBadHost);
    return out;
}

Result<NormalizedPath, UrlError> NormalizePath(std::string_view raw_path, bool case_insensitive) {
    if (raw_path.size() > kMaxUrlBytes) return MakeError(UrlError::kTooLong);
    if (raw_path.empty() || raw_path.front() != '/') return MakeError(UrlError::kBadPath);

    // Decode once. A '%' that survives decoding and starts an escape of '.', '/', '\' or
    // '%' means the client encoded twice, hoping some hop decodes again.
    std::string decoded_storage;
    std::string_view decoded = raw_path;
    if (raw_path.find('%') == std::string_view::npos) {
        // Nothing to decode (the usual path): the same checks on the bytes in place; no '%'
        // here means none after decoding either, so no double encoding.
        for (char c : raw_path) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7f) return MakeError(UrlError::kControlCharacter);
            if (c == '\\') return MakeError(UrlError::kBackslash);
        }
    } else {
        decoded_storage.reserve(raw_path.size());
        for (std::size_t i = 0; i < raw_path.size(); ++i) {
            char c = raw_path[i];
            if (c == '%') {
                if (i + 2 >= raw_path.size()) return MakeError(UrlError::kBadEscape);
                const int high = HexValue(raw_path[i + 1]);
                const int low = HexValue(raw_path[i + 2]);
                if (high < 0 || low < 0) return MakeError(UrlError::kBadEscape);
                c = static_cast<char>(high * 16 + low);
                i += 2;
            }
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7f) return MakeError(UrlError::kControlCharacter);
            if (c == '\\') return MakeError(UrlError::kBackslash);
            decoded_storage.push_back(c);
        }
        decoded = decoded_storage;
        for (std::size_t i = 0; i + 2 < decoded.size(); ++i) {
            if (decoded[i] != '%') continue;
            const int high = HexValue(decoded[i + 1]);
            const int low = HexValue(decoded[i + 2]);
            if (high < 0 || low < 0) continue;
            const char inner = static_cast<char>(high * 16 + low);
            if (inner == '.' || inner == '/' || inner == '%' || inner == '\\') {
                return MakeError(UrlError::kDoubleEncoding);
            }
        }
    }
    if (!ValidUtf8(decoded)) return MakeError(UrlError::kInvalidUtf8);

    NormalizedPath result;
    result.path.reserve(decoded.size());
    result.match_path.reserve(decoded.size());
    std::size_t pos = 0;
    std::size_t segments = 0;
    while (pos < decoded.size()) {
        // Each iteration consumes one '/' plus the segment after it; repeated '/' merge.
        while (pos < decoded.size() && decoded[pos] == '/') ++pos;
        const std::size_t end = std::min(decoded.find('/', pos), decoded.size());
        std::string_view segment(decoded.data() + pos, end - pos);
        if (IsDotSegment(segment)) return MakeError(UrlError::kDotSegment);
        if (segment.empty()) {
            // A trailing slash (or the root) stays, merged to one.
            result.path.push_back('/');
            result.match_path.push_back('/');
            break;
        }
        result.path.push_back('/');
        result.path.append(segment);
        if (++segments > kMaxPathSegments) return MakeError(UrlError::kTooLong);
        std::string_view matched = segment.substr(0, std::min(segment.find(';'), segment.size()));
        // A segment of parameters only (`/;x/admin`) is dropped, as Tomcat drops it, so the
        // slashes around it merge for matching too.
        if (!matched.empty()) {
            result.match_path.push_back('/');
            if (case_insensitive) {
                for (char c : matched) result.match_path.push_back(LowerAscii(c));
            } else {
                result.match_path.append(matched);
            }
        } else if (end == decoded.size()) {
            result.match_path.push_back('/');
        }
        pos = end;
    }
    if (result.path.empty()) result.path = "/";
    if (result.match_path.empty()) result.match_path = "/";
    return result;
}

Result<TargetUrl, UrlError> ParseOriginForm(std::string_view scheme, std::string_view host,
                                            std::string_view target, bool case_insensitive) {
    if (target.size() > kMaxUrlBytes) return MakeError(UrlError::kTooLong);
    if (target.find('#') != std::string_view::npos) return MakeError(UrlError::kFragment);
    // Raw whitespace is no URI (RFC 3986 §2); a lenient hop may split or trim there, so the
    // application could see another path than the one matched ("/admin /x", or a folded
    // header joined with a space). Encoded (%20) it is an ordinary byte of the path.
    if (FindAnyOf(target, " \t") != std::string_view::npos) {
        return MakeError(UrlError::kWhitespace);
    }
    auto normalized_host = NormalizeHost(host);
    if (!normalized_host) return MakeError(normalized_host.error());
    const auto question = target.find('?');
    std::string_view raw_path = target.substr(0, question);
    auto path = NormalizePath(raw_path, case_insensitive);
    if (!path) return MakeError(path.error());
    TargetUrl url;
    url.scheme = std::string(scheme);
    url.host = std::move(*normalized_host);
    url.authority = std::string(host);
    url.raw_path_and_query = std::string(target);
    url.path = std::move(*path);
    if (question != std::string_view::npos)
        url.raw_query = std::string(target.substr(question + 1));
    return url;
}

Result<TargetUrl, UrlError> ParseAbsoluteUrl(std::string_view url, bool case_insensitive) {
    if (url.size() > kMaxUrlBytes) return MakeError(UrlError::kTooLong);
    const auto colon = url.find("://");
    if (colon == std::string_view::npos) return MakeError(UrlError::kNotAbsolute);
    // The scheme, compared case-insensitively and passed on lower-case.
    std::string_view scheme;
    const std::string_view given_scheme = url.substr(0, colon);
    if (EqualsLowerAscii(given_scheme, "http")) {
        scheme = "http";
    } else if (EqualsLowerAscii(given_scheme, "https")) {
        scheme = "https";
    } else {
        return MakeError(UrlError::kNotAbsolute);
    }
    std::string_view rest = url.substr(colon + 3);
    const auto authority_end = std::min(FindAnyOf(rest, "/?#"), rest.size());
    std::string_view authority = rest.substr(0, authority_end);
    if (authority.find('@') != std::string_view::npos) return MakeError(UrlError::kBadHost);
    std::string_view target = rest.substr(authority_end);
    if (target.empty()) target = "/";
    if (target.front() != '/') {
        // "http://host?x" : an empty path before the query.
        if (target.front() == '#') return MakeError(UrlError::kFragment);
        // Built with append, not operator+: GCC 12 at -O3 reports a false -Wrestrict there.
        std::string with_slash;
        with_slash.reserve(target.size() + 1);
        with_slash.push_back('/');
        with_slash.append(target);
        return ParseOriginForm(scheme, authority, with_slash, case_insensitive);
    }
    return ParseOriginForm(scheme, authority, target, case_insensitive);
}

bool DecodeQueryComponent(std::string_view in, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= in.size()) return false;
            const int high = HexValue(in[i + 1]);
            const int low = HexValue(in[i + 2]);
            if (high < 0 || low < 0) return false;
            c = static_cast<char>(high * 16 + low);
            i += 2;
        }
        out.push_back(c);
    }
    return true;
}

std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> params;
    std::size_t pos = 0;
    std::string key, value;
    while (pos < query.size()) {
        const std::size_t end = std::min(query.find('&', pos), query.size());
        std::string_view pair = query.substr(pos, end - pos);
        pos = end + 1;
        if (pair.empty()) continue;
        const std::size_t equals = pair.find('=');
        if (!DecodeQueryComponent(pair.substr(0, equals), key)) return std::nullopt;
        value.clear();
        if (equals != std::string_view::npos &&
            !DecodeQueryComponent(pair.substr(equals + 1), value)) {
            return std::nullopt;
        }
        params.emplace_back(key, value);
    }
    return params;
}

}  // namespace stepgate::policy
