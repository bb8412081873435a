#include "policy/policy.h"

#include <algorithm>

namespace stepgate::policy {

namespace {

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Glob within one segment: '*' matches any run of characters (no '/': segments are split).
bool SegmentMatches(std::string_view pattern, std::string_view segment) {
    if (pattern == "*") return !segment.empty();
    std::size_t p = 0, s = 0, star = std::string_view::npos, resume = 0;
    while (s < segment.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = s;
        } else if (p < pattern.size() && pattern[p] == segment[s]) {
            ++p;
            ++s;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool SegmentsMatch(const std::vector<std::string>& pattern, std::size_t pi,
                   const PathSegments& segments, std::size_t si) {
    const std::size_t count = segments.count;
    while (pi < pattern.size()) {
        if (pattern[pi] == "**") {
            if (pi + 1 == pattern.size()) return true;  // the rest, at any depth
            for (std::size_t skip = si; skip <= count; ++skip) {
                if (SegmentsMatch(pattern, pi + 1, segments, skip)) return true;
            }
            return false;
        }
        if (si >= count || !SegmentMatches(pattern[pi], segments[si])) return false;
        ++pi;
        ++si;
    }
    return si == count;
}

}  // namespace

Result<HostPattern> HostPattern::Parse(std::string_view text) {
    HostPattern pattern;
    for (char c : text) pattern.text_.push_back(LowerAscii(c));
    if (!pattern.text_.empty() && pattern.text_.back() == '.') pattern.text_.pop_back();
    const std::string& t = pattern.text_;
    if (t.empty()) return MakeError(std::string("a host pattern cannot be empty"));
    std::string_view name = t;
    if (t.rfind("*.", 0) == 0) {
        pattern.wildcard_ = true;
        pattern.suffix_ = t.substr(1);
        name = std::string_view(t).substr(2);
    }
    if (name.empty()) return MakeError(std::string("a wildcard host needs a domain after `*.`"));
    for (char c : name) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
        if (!ok) {
            return MakeError(
                std::string("a host pattern is a name like `app.example.com` or `*.example.com`"));
        }
    }
    return pattern;
}

bool HostPattern::Matches(std::string_view host) const {
    if (!wildcard_) return host == text_;
    return host.size() > suffix_.size() &&
           host.compare(host.size() - suffix_.size(), suffix_.size(), suffix_) == 0;
}

Result<PathPattern> PathPattern::Parse(std::string_view text, bool case_insensitive) {
    if (text.empty() || text.front() != '/') {
        return MakeError(std::string("a path pattern must start with `/`"));
    }
    PathPattern pattern;
    pattern.text_ = std::string(text);
    std::size_t pos = 1;
    if (text == "/") {
        pattern.segments_.push_back("");
        return pattern;
    }
    while (pos <= text.size()) {
        const std::size_t end = std::min(text.find('/', pos), text.size());
        std::string segment(text.substr(pos, end - pos));
        if (segment.empty() && end != text.size()) {
            return MakeError(std::string("a path pattern cannot hold `//`"));
        }
        if (segment == "." || segment == "..") {
            return MakeError(std::string("a path pattern cannot hold `.` or `..` segments"));
        }
        if (segment.find("**") != std::string::npos && segment != "**") {
            return MakeError(std::string("`**` must be a whole segment, as in `/admin/**`"));
        }
        if (case_insensitive) {
            for (char& c : segment) c = LowerAscii(c);
        }
        pattern.segments_.push_back(std::move(segment));
        pos = end + 1;
    }
    return pattern;
}

PathSegments::PathSegments(std::string_view path) {
    std::size_t pos = 1;
    while (pos <= path.size()) {
        if (count == kMax) {
            too_deep = true;
            return;
        }
        const std::size_t end = std::min(path.find('/', pos), path.size());
        segments[count++] = {path.data() + pos, end - pos};
        pos = end + 1;
    }
    // "/billing/" is "/billing" to most routers: a trailing empty segment does not make a path
    // escape an exact or `*` pattern (the root stays one empty segment).
    if (count > 1 && segments[count - 1].size == 0) --count;
}

bool PathPattern::Matches(std::string_view path) const { return Matches(PathSegments(path)); }

bool PathPattern::Matches(const PathSegments& path) const {
    if (path.too_deep) return false;  // deeper than any rule: no match
    return SegmentsMatch(segments_, 0, path, 0);
}

bool Rule::Matches(std::string_view host, std::string_view match_path,
                   std::string_view method) const {
    return Matches(host, PathSegments(match_path), method);
}

bool Rule::Matches(std::string_view host, const PathSegments& path, std::string_view method) const {
    if (!methods.empty() && std::find(methods.begin(), methods.end(), method) == methods.end()) {
        return false;
    }
    if (!hosts.empty() && std::none_of(hosts.begin(), hosts.end(),
                                       [&](const HostPattern& h) { return h.Matches(host); })) {
        return false;
    }
    if (!paths.empty() && std::none_of(paths.begin(), paths.end(),
                                       [&](const PathPattern& p) { return p.Matches(path); })) {
        return false;
    }
    return true;
}

const Rule* Policy::Match(std::string_view host, std::string_view match_path,
                          std::string_view method) const {
    // Split once for every rule's patterns.
    const PathSegments path(match_path);
    for (const auto& rule : rules) {
        if (rule.Matches(host, path, method)) return &rule;
    }
    return nullptr;
}

const Rule* Policy::FindRule(std::string_view name) const {
    for (const auto& rule : rules) {
        if (rule.name == name) return &rule;
    }
    return nullptr;
}

std::optional<core::LevelIndex> Policy::FindLevel(std::string_view name) const {
    if (name == "none") return core::kNoLevel;
    for (std::size_t i = 0; i < levels.size(); ++i) {
        if (levels[i].name == name) return static_cast<core::LevelIndex>(i);
    }
    return std::nullopt;
}

std::string Policy::LevelName(core::LevelIndex level) const {
    if (level < 0 || static_cast<std::size_t>(level) >= levels.size()) return "none";
    return levels[static_cast<std::size_t>(level)].name;
}

}  // namespace stepgate::policy
