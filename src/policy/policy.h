// Rules: which requirement a request gets. First match wins; unmatched gets the default.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "core/requirement.h"

namespace stepgate::policy {

// `shop.example.com` (exact) or `*.example.com` (any name below, not the apex).
class HostPattern {
 public:
    static Result<HostPattern> Parse(std::string_view text);
    bool Matches(std::string_view normalized_host) const;
    const std::string& text() const { return text_; }

 private:
    std::string text_;
    bool wildcard_ = false;
    std::string suffix_;  // for wildcards: ".example.com"
};

// A normalized path cut into its segments once, for every pattern of every rule: "/" is one
// empty segment, a trailing slash adds an empty last one (dropped for matching).
struct PathSegments {
    static constexpr std::size_t kMax = 128;
    struct Segment {
        const char* data;
        std::size_t size;
    };
    explicit PathSegments(std::string_view match_path);
    std::string_view operator[](std::size_t i) const {
        return {segments[i].data, segments[i].size};
    }
    bool too_deep = false;  // deeper than any rule: matches no path pattern
    std::size_t count = 0;
    Segment segments[kMax];  // the first `count` are set; the rest stay uninitialized (cheap)
};

// `/exact`, `*` for one segment (or part of one: `*.json`), `**` for any depth, so that
// `/admin/**` matches `/admin` and everything below it.
class PathPattern {
 public:
    static Result<PathPattern> Parse(std::string_view text, bool case_insensitive);
    bool Matches(std::string_view match_path) const;
    bool Matches(const PathSegments& path) const;
    const std::string& text() const { return text_; }

 private:
    std::string text_;
    std::vector<std::string> segments_;
};

struct Rule {
    std::string name;
    std::vector<HostPattern> hosts;    // empty: any host
    std::vector<PathPattern> paths;    // empty: any path
    std::vector<std::string> methods;  // upper-case; empty: any method
    core::Requirement require;

    bool Matches(std::string_view host, std::string_view match_path, std::string_view method) const;
    bool Matches(std::string_view host, const PathSegments& path, std::string_view method) const;
};

struct Policy {
    std::vector<core::Level> levels;  // weakest first
    std::vector<Rule> rules;
    core::Requirement default_requirement;
    bool case_insensitive_paths = false;

    // nullptr when no rule matches (the default applies).
    const Rule* Match(std::string_view host, std::string_view match_path,
                      std::string_view method) const;
    const Rule* FindRule(std::string_view name) const;
    // `none` is kNoLevel; nullopt for an unknown name.
    std::optional<core::LevelIndex> FindLevel(std::string_view name) const;
    std::string LevelName(core::LevelIndex level) const;
};

}  // namespace stepgate::policy
