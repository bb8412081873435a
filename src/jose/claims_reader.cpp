#include "jose/claims_reader.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "jose/json_lexer.h"
#include "jose/strict_json.h"

namespace stepgate::jose::detail {
namespace {

using Json = nlohmann::json;
using Type = JsonMember::Type;

// RFC 7519 §2 NumericDate: we accept what a double holds exactly, ±2^53 seconds.
constexpr std::int64_t kMaxNumericDate = std::int64_t{1} << 53;

// Up to this many members, an object's names are compared one by one as they arrive (JOSE
// objects are small). Past it, the whole object is checked once, sorted, when it closes, so a
// crafted object of thousands of members costs n log n comparisons, not n².
constexpr std::size_t kLinearNameCheck = 32;

// The per-thread scratch is given back when a document grew it past this.
constexpr std::size_t kKeptScratchBytes = 64 * 1024;

// RFC 7519 §2 NumericDate: an integer, or a finite non-integer truncated to seconds, within
// ±2^53. The lexer reports non-negative integers as unsigned, negative ones as signed.
std::optional<std::int64_t> NumericDate(std::uint64_t value) {
    if (value > static_cast<std::uint64_t>(kMaxNumericDate)) return std::nullopt;
    return static_cast<std::int64_t>(value);
}

std::optional<std::int64_t> NumericDate(std::int64_t value) {
    if (value > kMaxNumericDate || value < -kMaxNumericDate) return std::nullopt;
    return value;
}

std::optional<std::int64_t> NumericDate(double value) {
    const double limit = static_cast<double>(kMaxNumericDate);
    if (!std::isfinite(value) || value > limit || value < -limit) return std::nullopt;
    return static_cast<std::int64_t>(value);  // truncates toward zero
}

// A top-level member the reader keeps, by name.
struct Field {
    std::string_view name;
    JsonMember* member;
};

// Equal names. The size and the first byte settle most comparisons (JOSE member names are
// short and varied) without a call to memcmp.
bool SameName(std::string_view a, std::string_view b) {
    return a.size() == b.size() && (a.empty() || (a.front() == b.front() && a == b));
}

// The member names of every object open on the path to the current value, back to back in one
// buffer. Per-thread and kept between documents, so reading one allocates nothing for names.
class NameStack {
 public:
    void Clear() {
        if (bytes_.capacity() > kKeptScratchBytes) {
            bytes_ = std::string();
            names_ = std::vector<Span>();
            sorted_ = std::vector<std::string_view>();
        }
        bytes_.clear();
        names_.clear();
    }

    std::size_t size() const { return names_.size(); }

    // Adds `name` to the object whose names start at index `first`; false when it is there
    // already (checked here while the object is small, else by CloseObject).
    bool Add(std::size_t first, std::string_view name) {
        if (size() - first < kLinearNameCheck) {
            for (std::size_t i = first; i < size(); ++i) {
                if (SameName(Name(i), name)) return false;
            }
        }
        names_.push_back(Span{bytes_.size(), name.size()});
        bytes_.append(name);
        return true;
    }

    // Drops the names of the object whose names start at `first`; false when a large one had
    // a name twice.
    bool CloseObject(std::size_t first) {
        const bool unique = size() - first <= kLinearNameCheck || AllDistinct(first);
        if (first < size()) {
            bytes_.resize(names_[first].start);
            names_.resize(first);
        }
        return unique;
    }

 private:
    struct Span {
        std::size_t start;
        std::size_t size;
    };

    std::string_view Name(std::size_t i) const {
        return std::string_view(bytes_).substr(names_[i].start, names_[i].size);
    }

    bool AllDistinct(std::size_t first) {
        sorted_.clear();
        for (std::size_t i = first; i < size(); ++i) sorted_.push_back(Name(i));
        std::sort(sorted_.begin(), sorted_.end());
        return std::adjacent_find(sorted_.begin(), sorted_.end()) == sorted_.end();
    }

    std::string bytes_;
    std::vector<Span> names_;
    std::vector<std::string_view> sorted_;
};

// What a thread keeps between documents: the names, and the decoded text of strings that have
// escapes.
struct Scratch {
    NameStack names;
    std::string strings;

    void Clear() {
        names.Clear();
        if (strings.capacity() > kKeptScratchBytes) strings = std::string();
    }
};

Scratch& ThreadScratch() {
    thread_local Scratch scratch;
    return scratch;
}

// StrictJsonReader handler: with the reader's grammar, validates like ParseStrictJsonObject
// and fills the Fields and extra claims from the top-level members, building no DOM. Returning
// false from any callback stops the read, which then fails.
class Reader {
 public:
    Reader(std::span<const Field> fields, std::span<const std::string> extra_names,
           std::span<ExtraClaim> extras, NameStack& names)
        : fields_(fields), extra_names_(extra_names), extras_(extras), names_(names) {}

    bool null() { return Leaf(Type::kOther, std::nullopt); }  // flattened to nothing
    bool boolean(bool value) { return FlattenedLeaf(Type::kOther, std::nullopt, value); }
    bool number_integer(std::int64_t value) {
        return FlattenedLeaf(Type::kNumber, NumericDate(value), value);
    }
    bool number_unsigned(std::uint64_t value) {
        return FlattenedLeaf(Type::kNumber, NumericDate(value), value);
    }
    bool number_float(double value) {
        return FlattenedLeaf(Type::kNumber, NumericDate(value), value);
    }

    bool string(std::string_view value) {
        if (depth_ == 0) return false;  // not an object at the top
        const bool flatten = Flattening();
        std::string* kept = nullptr;
        if (member_ != nullptr && depth_ == 1) {
            member_->type = Type::kString;
            kept = &member_->text;
        } else if (member_ != nullptr && InMemberArray() && member_->type == Type::kStringArray) {
            kept = &member_->strings.emplace_back();
        }
        if (kept != nullptr) *kept = value;
        if (flatten) extra_->values.emplace_back(value);
        return true;
    }

    bool start_object() { return Open(/*object=*/true); }
    bool end_object() { return Close(); }
    bool start_array() { return Open(/*object=*/false); }
    bool end_array() { return Close(); }

    bool key(std::string_view name) {
        // RFC 8725 §2.8 / RFC 7515 §5.2: a duplicate member name, at any depth, is refused.
        if (!names_.Add(levels_[depth_ - 1].first_name, name)) return false;
        if (depth_ == 1) {
            member_ = FindField(name);
            extra_ = FindExtra(name);
            if (extra_ != nullptr) extra_->present = true;
        }
        return true;
    }

 private:
    struct Level {
        std::size_t first_name;  // this object's first name in names_
        bool object;
    };

    // A value inside the current top-level member's array, not deeper.
    bool InMemberArray() const { return depth_ == 2 && !levels_[1].object; }

    // Whether a scalar here is part of the current extra claim's flattened values: not when
    // any object is open inside the member (objects contribute nothing, nor does their content).
    bool Flattening() const { return extra_ != nullptr && objects_in_member_ == 0; }

    // The current member's array turns out not to be an array of strings.
    void NotAllStrings() {
        member_->type = Type::kOther;
        member_->strings.clear();
    }

    bool Leaf(Type type, std::optional<std::int64_t> date) {
        if (depth_ == 0) return false;  // not an object at the top
        if (member_ != nullptr && depth_ == 1) {
            member_->type = type;
            member_->date = date;
        } else if (member_ != nullptr && InMemberArray()) {
            NotAllStrings();
        }
        return true;
    }

    // A number or boolean: flattened as its JSON text, exactly as nlohmann's dump() writes it.
    template <class V>
    bool FlattenedLeaf(Type type, std::optional<std::int64_t> date, V value) {
        if (!Leaf(type, date)) return false;
        if (Flattening()) extra_->values.push_back(Json(value).dump());
        return true;
    }

    bool Open(bool object) {
        if (depth_ >= kMaxJsonDepth) return false;
        if (depth_ == 0 && !object) return false;  // not an object at the top
        if (member_ != nullptr && depth_ == 1) {
            member_->type = object ? Type::kOther : Type::kStringArray;
        } else if (member_ != nullptr && InMemberArray()) {
            NotAllStrings();
        }
        if (object && depth_ > 0) ++objects_in_member_;
        levels_[depth_] = Level{names_.size(), object};
        ++depth_;
        return true;
    }

    bool Close() {
        --depth_;
        const Level& level = levels_[depth_];
        if (!level.object) return true;
        if (depth_ > 0) --objects_in_member_;
        return names_.CloseObject(level.first_name);
    }

    JsonMember* FindField(std::string_view name) const {
        for (const Field& field : fields_) {
            if (SameName(field.name, name)) return field.member;
        }
        return nullptr;
    }

    // The first of the extra claim names equal to `name`.
    ExtraClaim* FindExtra(std::string_view name) const {
        for (std::size_t i = 0; i < extra_names_.size(); ++i) {
            if (SameName(extra_names_[i], name)) return &extras_[i];
        }
        return nullptr;
    }

    std::span<const Field> fields_;
    std::span<const std::string> extra_names_;
    std::span<ExtraClaim> extras_;
    NameStack& names_;
    std::array<Level, kMaxJsonDepth> levels_;
    std::size_t depth_ = 0;
    // The top-level member being read (null when the reader keeps nothing of it).
    JsonMember* member_ = nullptr;
    ExtraClaim* extra_ = nullptr;
    std::size_t objects_in_member_ = 0;
};

bool ReadObject(std::string_view json, std::span<const Field> fields,
                std::span<const std::string> extra_names, std::span<ExtraClaim> extras) noexcept {
    try {
        Scratch& scratch = ThreadScratch();
        scratch.Clear();
        Reader reader(fields, extra_names, extras, scratch.names);
        return StrictJsonReader<kMaxJsonDepth, Reader>(json, reader, scratch.strings).Read();
    } catch (...) {  // bad_alloc: not JSON for us
        return false;
    }
}

bool ReadClaimsInto(std::string_view json, std::span<const std::string> extra_names,
                    JwtClaims& claims) noexcept {
    try {
        claims.extra.resize(extra_names.size());
    } catch (...) {
        return false;
    }
    const Field fields[] = {
        {"iss", &claims.iss},
        {"sub", &claims.sub},
        {"aud", &claims.aud},
        {"exp", &claims.exp},
        {"nbf", &claims.nbf},
        {"iat", &claims.iat},
        {"auth_time", &claims.auth_time},
        {"nonce", &claims.nonce},
        {"azp", &claims.azp},
        {"email", &claims.email},
        {"preferred_username", &claims.preferred_username},
        {"acr", &claims.acr},
        {"amr", &claims.amr},
        {"groups", &claims.groups},
        {"scope", &claims.scope},
        {"scp", &claims.scp},
    };
    return ReadObject(json, fields, extra_names, claims.extra);
}

}  // namespace

std::optional<JwsHeader> ReadJwsHeader(std::string_view json) noexcept {
    std::optional<JwsHeader> header(std::in_place);
    const Field fields[] = {
        {"alg", &header->alg},   {"kid", &header->kid}, {"jwk", &header->jwk},
        {"jku", &header->jku},   {"x5u", &header->x5u}, {"x5c", &header->x5c},
        {"crit", &header->crit},
    };
    if (!ReadObject(json, fields, {}, {})) header.reset();
    return header;
}

std::optional<JwtClaims> ReadJwtClaims(std::string_view json,
                                       std::span<const std::string> extra_names) noexcept {
    std::optional<JwtClaims> claims(std::in_place);
    if (!ReadClaimsInto(json, extra_names, *claims)) claims.reset();
    return claims;
}

}  // namespace stepgate::jose::detail
