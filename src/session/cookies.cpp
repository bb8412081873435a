#include "session/cookies.h"

#include <algorithm>

namespace stepgate::session {

namespace {

std::string_view Trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// "name_3" -> 3 for the family `name`; nullopt for anything else.
std::optional<std::size_t> ChunkIndex(std::string_view cookie, std::string_view name) {
    if (cookie.size() < name.size() + 2 || cookie.compare(0, name.size(), name) != 0 ||
        cookie[name.size()] != '_') {
        return std::nullopt;
    }
    std::string_view digits = cookie.substr(name.size() + 1);
    if (digits.empty() || digits.size() > 2) return std::nullopt;
    std::size_t index = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        index = index * 10 + static_cast<std::size_t>(c - '0');
    }
    if (digits.size() > 1 && digits.front() == '0') return std::nullopt;
    return index;
}

}  // namespace

CookiePairs ParseCookieHeader(std::string_view header) {
    CookiePairs pairs;
    std::size_t pos = 0;
    while (pos < header.size() && pairs.size() < kMaxCookies) {
        const std::size_t end = std::min(header.find(';', pos), header.size());
        std::string_view pair = Trim(header.substr(pos, end - pos));
        pos = end + 1;
        const std::size_t equals = pair.find('=');
        if (equals == std::string_view::npos || equals == 0) continue;
        std::string_view name = Trim(pair.substr(0, equals));
        std::string_view value = Trim(pair.substr(equals + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        pairs.emplace_back(name, value);
    }
    return pairs;
}

std::optional<std::string> ReadCookie(const CookiePairs& cookies, std::string_view name) {
    std::optional<std::string_view> whole;
    std::vector<std::optional<std::string_view>> chunks;
    for (const auto& [cookie, value] : cookies) {
        if (cookie == name) {
            if (whole) return std::nullopt;  // two cookies of one name: believe neither
            whole = value;
            continue;
        }
        auto index = ChunkIndex(cookie, name);
        if (!index) continue;
        if (*index >= kMaxChunks) return std::nullopt;
        if (chunks.size() <= *index) chunks.resize(*index + 1);
        if (chunks[*index]) return std::nullopt;
        chunks[*index] = value;
    }
    if (whole)
        return whole->size() <= kMaxValueBytes ? std::optional<std::string>(std::string(*whole))
                                               : std::nullopt;
    if (chunks.empty()) return std::nullopt;
    std::string joined;
    for (const auto& chunk : chunks) {
        if (!chunk || chunk->size() > kChunkBytes) return std::nullopt;
        joined.append(*chunk);
    }
    return joined;
}

bool HasCookieFamily(const CookiePairs& cookies, std::string_view name) {
    return std::any_of(cookies.begin(), cookies.end(), [&](const auto& pair) {
        return pair.first == name || ChunkIndex(pair.first, name).has_value();
    });
}

std::string SetCookieHeader(std::string_view name, std::string_view value,
                            const CookieAttributes& attributes) {
    std::string header;
    header.reserve(name.size() + value.size() + 96);
    header.append(name).append("=").append(value);
    header.append("; Path=").append(attributes.path);
    if (!attributes.domain.empty()) header.append("; Domain=").append(attributes.domain);
    if (attributes.max_age >= 0)
        header.append("; Max-Age=").append(std::to_string(attributes.max_age));
    header.append("; HttpOnly");
    if (attributes.secure) header.append("; Secure");
    header.append("; SameSite=Lax");
    return header;
}

std::string ClearCookieHeader(std::string_view name, const CookieAttributes& attributes) {
    CookieAttributes expired = attributes;
    expired.max_age = 0;
    return SetCookieHeader(name, "", expired);
}

std::vector<std::string> WriteCookieFamily(std::string_view name, std::string_view value,
                                           const CookieAttributes& attributes,
                                           const CookiePairs& request_cookies) {
    std::vector<std::string> headers;
    if (value.size() > kMaxValueBytes) return headers;
    const std::string base(name);
    if (value.size() <= kChunkBytes) {
        headers.push_back(SetCookieHeader(name, value, attributes));
        for (const auto& [cookie, ignored] : request_cookies) {
            if (ChunkIndex(cookie, name)) headers.push_back(ClearCookieHeader(cookie, attributes));
        }
        return headers;
    }
    std::size_t count = 0;
    for (std::size_t pos = 0; pos < value.size(); pos += kChunkBytes, ++count) {
        headers.push_back(SetCookieHeader(base + "_" + std::to_string(count),
                                          value.substr(pos, kChunkBytes), attributes));
    }
    for (const auto& [cookie, ignored] : request_cookies) {
        if (cookie == name) headers.push_back(ClearCookieHeader(cookie, attributes));
        auto index = ChunkIndex(cookie, name);
        if (index && *index >= count) headers.push_back(ClearCookieHeader(cookie, attributes));
    }
    return headers;
}

std::vector<std::string> ClearCookieFamily(std::string_view name,
                                           const CookieAttributes& attributes,
                                           const CookiePairs& request_cookies) {
    std::vector<std::string> headers{ClearCookieHeader(name, attributes)};
    for (const auto& [cookie, ignored] : request_cookies) {
        if (ChunkIndex(cookie, name)) headers.push_back(ClearCookieHeader(cookie, attributes));
    }
    return headers;
}

}  // namespace stepgate::session
