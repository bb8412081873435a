#include "common/url_checks.h"

namespace stepgate::fuzz {

namespace {

bool ShapeOk(std::string_view path) {
    if (path.empty() || path.front() != '/') return false;
    if (path.find("//") != std::string_view::npos) return false;
    for (char c : path) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f || c == '\\') return false;
    }
    std::size_t pos = 1;
    while (pos <= path.size()) {
        const std::size_t end = std::min(path.find('/', pos), path.size());
        std::string_view segment = path.substr(pos, end - pos);
        segment = segment.substr(0, std::min(segment.find(';'), segment.size()));
        if (segment == "." || segment == "..") return false;
        pos = end + 1;
    }
    return true;
}

}  // namespace

std::string EscapePercent(std::string_view decoded) {
    std::string out;
    out.reserve(decoded.size());
    for (char c : decoded) {
        if (c == '%') {
            out += "%25";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string PathViolation(const policy::NormalizedPath& normalized, bool case_insensitive) {
    if (!ShapeOk(normalized.path)) return "path-shape";
    if (!ShapeOk(normalized.match_path)) {
        // A segment that is only `;parameters` leaves an empty segment in match_path.
        if (normalized.match_path.find("//") != std::string::npos)
            return "path-match-empty-segment";
        return "path-shape";
    }
    auto again = policy::NormalizePath(EscapePercent(normalized.path), case_insensitive);
    if (!again || again->path != normalized.path || again->match_path != normalized.match_path)
        return "path-idempotent";
    auto match_again =
        policy::NormalizePath(EscapePercent(normalized.match_path), case_insensitive);
    if (!match_again || match_again->match_path != normalized.match_path) return "path-idempotent";
    return {};
}

std::string HostViolation(std::string_view host) {
    if (host.empty()) return "host-shape";
    if (host.back() == '.') return "host-trailing-dot";  // `name..` keeps one dot
    for (char c : host) {
        if (c >= 'A' && c <= 'Z') return "host-shape";
    }
    if (host.front() != '[' && host.find(':') != std::string_view::npos) return "host-shape";
    auto again = policy::NormalizeHost(host);
    if (!again || *again != host) return "host-shape";
    return {};
}

}  // namespace stepgate::fuzz
