#include "jose/claims_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "jose/jwt.h"
#include "jose/strict_json.h"
#include "unit/jose/token_factory.h"

namespace stepgate::jose::detail {
namespace {

using nlohmann::json;
using Type = JsonMember::Type;

bool Accepted(std::string_view text) { return ReadJwtClaims(text, {}).has_value(); }

// What nlohmann (under the DOM parser) reads of `text`: it skips a leading byte order mark and
// stops at a NUL. The reader refuses both.
std::string_view NlohmannView(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    return text.substr(0, text.find('\0'));
}

// The reader and the DOM parser agree on which documents are JSON objects JOSE accepts, but
// for the reader's refusal of a byte order mark or a NUL.
void ExpectSameValidity(std::string_view text) {
    const bool dom = ParseStrictJsonObject(text).has_value();
    const std::string_view view = NlohmannView(text);
    const bool lenient = view.size() != text.size();
    EXPECT_EQ(ReadJwtClaims(text, {}).has_value(), dom && !lenient) << text;
    EXPECT_EQ(ReadJwsHeader(text).has_value(), dom && !lenient) << text;
    EXPECT_EQ(ReadJwtClaims(view, {}).has_value(), dom) << text;
}

std::string Nested(std::size_t depth, std::string_view open, std::string_view close) {
    std::string text;
    for (std::size_t i = 0; i < depth; ++i) text += open;
    for (std::size_t i = 0; i < depth; ++i) text += close;
    return text;
}

// --- Validity -------------------------------------------------------------------------------

TEST(ReadJwtClaims, DuplicateNamesAreRefusedAtAnyDepth) {
    const char* refused[] = {
        R"({"iss":"a","iss":"b"})",
        R"({"iss":"a","sub":"s","iss":"a"})",
        R"({"\u0069ss":"a","iss":"a"})",  // the same name, once escaped
        R"({"a":{"x":1,"x":2}})",
        R"({"a":{"x":1,"y":{"z":1,"z":1}}})",
        R"({"a":[{"x":1},{"x":1,"x":2}]})",
        R"({"a":[[[{"k":[],"k":null}]]]})",
        R"({"aud":["x"],"groups":{"g":1,"g":1}})",
        R"({"a":{"":1,"":2}})",
        R"({"a":{"b":{"c":1,"\u0063":2}}})",
        R"({"a":[{"b":[{"c":[{"d":1,"e":2,"d":3}]}]}]})",
        R"({"a\u0000":1,"a\u0000":1})",
        R"({"\ud83d\ude00":1,"\ud83d\ude00":1})",
        "{\"\\u00e9\":1,\"\xc3\xa9\":2}",
    };
    for (const char* text : refused) {
        EXPECT_FALSE(Accepted(text)) << text;
        EXPECT_FALSE(ReadJwsHeader(text).has_value()) << text;
        ExpectSameValidity(text);
    }
    const char* accepted[] = {
        R"({"a":{"x":1},"b":{"x":1},"x":1})",
        R"({"a":[{"x":1},{"x":2}],"x":[{"x":{"x":3}}]})",
        R"({"a":{"x":{"y":1},"y":{"x":1}}})",
        R"({"a":"x","A":"x","a ":"x","a\u0000":"x"})",
        R"({"":1,"a":{"":1}})",
        R"({"a":{"a":{"a":{"a":1}}},"b":[{"a":1},{"a":{"a":2}}]})",
        R"({"a":1,"a\u0000":1,"a ":1,"\u00e9":1,"e\u0301":1})",
    };
    for (const char* text : accepted) {
        EXPECT_TRUE(Accepted(text)) << text;
        ExpectSameValidity(text);
    }
}

TEST(ReadJwtClaims, LargeObjectsAreCheckedForDuplicatesToo) {
    // Past the one-by-one comparison, an object is checked when it closes.
    for (const std::size_t members : {31, 32, 33, 40, 2000}) {
        json object = json::object();
        for (std::size_t i = 0; i < members; ++i) object["k" + std::to_string(i)] = i;
        const std::string distinct = object.dump();
        EXPECT_TRUE(Accepted(distinct)) << members;
        EXPECT_TRUE(Accepted(R"({"n":)" + distinct + "}")) << members;
        for (const std::size_t twice : {std::size_t{0}, members / 2, members - 1}) {
            std::string dup = distinct;
            dup.insert(dup.size() - 1, ",\"k" + std::to_string(twice) + "\":null");
            EXPECT_FALSE(Accepted(dup)) << members << " " << twice;
            EXPECT_FALSE(Accepted(R"({"n":[)" + dup + "]}")) << members << " " << twice;
            ExpectSameValidity(dup);
        }
    }
}

TEST(ReadJwtClaims, NestingLimitIsTheDomParsers) {
    for (const std::size_t depth : {kMaxJsonDepth - 2, kMaxJsonDepth - 1, kMaxJsonDepth,
                                    kMaxJsonDepth + 1, std::size_t{1000}}) {
        const std::string arrays = R"({"a":)" + Nested(depth, "[", "]") + "}";
        std::string objects = Nested(depth, R"({"b":)", "}");
        objects.insert(depth * 5, "1");
        objects = R"({"a":)" + objects + "}";
        ExpectSameValidity(arrays);
        ExpectSameValidity(objects);
        // The top object counts as one level.
        EXPECT_EQ(Accepted(arrays), depth + 1 <= kMaxJsonDepth) << depth;
    }
}

TEST(ReadJwtClaims, OnlyAJsonObjectIsAccepted) {
    const char* refused[] = {"",
                             " ",
                             "[]",
                             "[{}]",
                             "\"x\"",
                             "1",
                             "null",
                             "true",
                             "{",
                             "{}}",
                             "{} {}",
                             "{\"a\":1} x",
                             "{\"a\":1,}",
                             "{'a':1}",
                             "{\"a\":01}",
                             "{\"a\":1e400}",
                             "{\"a\":NaN}",
                             "{/*c*/\"a\":1}",
                             "{\"a\":\"\xff\xfe\"}",
                             "{\"\xc0\xaf\":1}",
                             "{\"a\":\"\\ud800\"}",
                             "{\"a\":\"tab\tinside\"}"};
    for (const char* text : refused) {
        EXPECT_FALSE(Accepted(text)) << text;
        ExpectSameValidity(text);
    }
    for (const char* text : {"{}", " {} ", "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":-0.0e-0}"}) {
        EXPECT_TRUE(Accepted(text)) << text;
        ExpectSameValidity(text);
    }
    // nlohmann skips a byte order mark and stops reading at a NUL after the object; the reader
    // refuses both (the only documents where the two differ).
    for (const std::string_view text :
         {std::string_view("\xef\xbb\xbf{}"), std::string_view("{\"a\":1}\0", 8),
          std::string_view("{\"a\":1}\0x", 9), std::string_view("{\"a\":1} \0{", 10)}) {
        EXPECT_TRUE(ParseStrictJsonObject(text).has_value()) << text;
        EXPECT_FALSE(Accepted(text)) << text;
        EXPECT_FALSE(ReadJwsHeader(text).has_value()) << text;
        ExpectSameValidity(text);
    }
    ExpectSameValidity("\xef\xbb{}");
    ExpectSameValidity(std::string_view("{\"a\0\":1}", 8));
}

TEST(ReadJwtClaims, MutatedDocumentsAreJudgedLikeTheDomParser) {
    const std::string seed =
        R"({"iss":"https://i.example","aud":["a","b"],"exp":1700000300,"nbf":1.5,)"
        R"("realm":{"roles":["r1","r2"],"x":{"y":[{"z":null},true,false,-1e3]}},)"
        R"("groups":["g"],"scp":"a b","name":"\u00e9\ud83d\ude00"})";
    const std::string alphabet = "{}[]\",:\\ 01-.eEtrufalsn\xc3\xa9\xff";
    std::mt19937 random(20240611);
    std::size_t accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string text = seed;
        const int edits = 1 + static_cast<int>(random() % 3);
        for (int e = 0; e < edits && !text.empty(); ++e) {
            const std::size_t at = random() % text.size();
            const char c = alphabet[random() % alphabet.size()];
            switch (random() % 3) {
                case 0:
                    text[at] = c;
                    break;
                case 1:
                    text.insert(at, 1, c);
                    break;
                default:
                    text.erase(at, 1);
                    break;
            }
        }
        const bool dom = ParseStrictJsonObject(text).has_value();
        ASSERT_EQ(ReadJwtClaims(text, {}).has_value(), dom) << text;
        accepted += dom ? 1 : 0;
    }
    EXPECT_GT(accepted, 100u);  // the mutations did not all break the document
}

TEST(ReadJwtClaims, ARefusedDocumentLeavesNothingForTheNextOne) {
    // The name scratch is per thread: a parse stopped halfway must not leak its names.
    EXPECT_FALSE(Accepted(R"({"iss":"a","x":{"y":1,"y":2}})"));
    EXPECT_FALSE(Accepted(R"({"iss":"a","x":{"y":1,)"));
    EXPECT_FALSE(Accepted(std::string(R"({"a":)") + Nested(100, "{\"b\":", "}")));
    EXPECT_TRUE(Accepted(R"({"iss":"a","x":{"y":1}})"));
    EXPECT_TRUE(Accepted(R"({"y":1})"));
}

// --- What is kept -----------------------------------------------------------------------------

TEST(ReadJwtClaims, KeepsEachClaimTyped) {
    const auto claims = ReadJwtClaims(
        R"({"iss":"i","sub":5,"aud":["a","b"],"amr":["pwd",1],"groups":[],"acr":null,)"
        R"("exp":1700000300,"nbf":-5,"iat":12.9,"auth_time":9007199254740993,"scope":{},)"
        R"("scp":[["x"]],"azp":true,"email":"e@x","other":"ignored","nonce":"\u0041"})",
        {});
    ASSERT_TRUE(claims.has_value());
    EXPECT_EQ(claims->iss.type, Type::kString);
    EXPECT_EQ(claims->iss.text, "i");
    EXPECT_EQ(claims->sub.type, Type::kNumber);
    EXPECT_EQ(claims->sub.String(), nullptr);  // a non-string counts as absent
    EXPECT_EQ(claims->aud.type, Type::kStringArray);
    EXPECT_EQ(claims->aud.strings, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(claims->amr.type, Type::kOther);  // an element is not a string
    EXPECT_EQ(claims->groups.type, Type::kStringArray);
    EXPECT_TRUE(claims->groups.strings.empty());
    EXPECT_EQ(claims->acr.type, Type::kOther);
    EXPECT_EQ(claims->exp.date, 1700000300);
    EXPECT_EQ(claims->nbf.date, -5);
    EXPECT_EQ(claims->iat.date, 12);
    EXPECT_EQ(claims->auth_time.type, Type::kNumber);
    EXPECT_FALSE(claims->auth_time.date.has_value());  // above 2^53
    EXPECT_EQ(claims->scope.type, Type::kOther);
    EXPECT_EQ(claims->scp.type, Type::kOther);
    EXPECT_EQ(claims->azp.type, Type::kOther);
    EXPECT_EQ(claims->nonce.text, "A");
    EXPECT_EQ(claims->email.text, "e@x");
    EXPECT_FALSE(claims->preferred_username.present());
}

TEST(ReadJwtClaims, NumericDatesFollowRfc7519WithinTwoToThe53) {
    const std::int64_t limit = std::int64_t{1} << 53;
    const std::vector<std::pair<std::string, std::optional<std::int64_t>>> cases = {
        {"0", 0},
        {"-0", 0},
        {"-0.0", 0},
        {"1.999", 1},
        {"-1.999", -1},
        {"1e3", 1000},
        {"9007199254740992", limit},
        {"9007199254740993", std::nullopt},
        {"-9007199254740992", -limit},
        {"-9007199254740993", std::nullopt},
        {"18446744073709551615", std::nullopt},
        {"18446744073709551616", std::nullopt},  // lexed as a float
        {"-9223372036854775809", std::nullopt},
        {"9007199254740992.0", limit},
        {"9.1e15", std::nullopt},
        {"-9.1e15", std::nullopt},
        {"1e300", std::nullopt},
    };
    for (const auto& [text, date] : cases) {
        const auto claims = ReadJwtClaims(R"({"exp":)" + text + "}", {});
        ASSERT_TRUE(claims.has_value()) << text;
        EXPECT_EQ(claims->exp.type, Type::kNumber) << text;
        EXPECT_EQ(claims->exp.date, date) << text;
    }
    for (const char* text : {R"("1")", "true", "null", "[1]", "{}"}) {
        const auto claims = ReadJwtClaims(R"({"exp":)" + std::string(text) + "}", {});
        ASSERT_TRUE(claims.has_value()) << text;
        EXPECT_NE(claims->exp.type, Type::kNumber) << text;
    }
}

TEST(ReadJwtClaims, OnlyTopLevelMembersAreKept) {
    const auto claims = ReadJwtClaims(
        R"({"realm":{"iss":"nested","sub":"nested"},"list":[{"aud":"x"}],"sub":"top"})",
        std::vector<std::string>{"iss", "aud"});
    ASSERT_TRUE(claims.has_value());
    EXPECT_FALSE(claims->iss.present());
    EXPECT_FALSE(claims->aud.present());
    EXPECT_EQ(claims->sub.text, "top");
    EXPECT_FALSE(claims->extra[0].present);
    EXPECT_FALSE(claims->extra[1].present);
}

TEST(ReadJwtClaims, ExtraClaimsAreFlattenedLikeNlohmannDump) {
    const std::vector<std::string> names = {"s",   "i",   "neg",    "f", "big",    "t",  "arr",
                                            "obj", "nil", "absent", "s", "groups", "exp"};
    const auto claims = ReadJwtClaims(
        R"({"s":"text","i":42,"neg":-7,"f":1.5e2,"big":18446744073709551615,"t":false,)"
        R"("arr":["a",1,[true,[null,"deep",{"x":"no"}],[]],{"k":["no"]},null,0.1],)"
        R"("obj":{"k":"v","l":[1]},"nil":null,"groups":["g1","g2"],"exp":1700000300})",
        names);
    ASSERT_TRUE(claims.has_value());
    ASSERT_EQ(claims->extra.size(), names.size());
    const auto values = [&](std::size_t i) { return claims->extra[i].values; };
    using Strings = std::vector<std::string>;
    EXPECT_EQ(values(0), Strings{"text"});
    EXPECT_EQ(values(1), Strings{"42"});
    EXPECT_EQ(values(2), Strings{"-7"});
    EXPECT_EQ(values(3), Strings{json(150.0).dump()});
    EXPECT_EQ(values(4), Strings{"18446744073709551615"});
    EXPECT_EQ(values(5), Strings{"false"});
    EXPECT_EQ(values(6), (Strings{"a", "1", "true", "deep", json(0.1).dump()}));
    EXPECT_TRUE(claims->extra[7].present);
    EXPECT_TRUE(values(7).empty());  // an object adds nothing
    EXPECT_TRUE(claims->extra[8].present);
    EXPECT_TRUE(values(8).empty());  // nor does null
    EXPECT_FALSE(claims->extra[9].present);
    EXPECT_FALSE(claims->extra[10].present);  // a name given twice fills its first entry only
    EXPECT_EQ(values(11), (Strings{"g1", "g2"}));
    EXPECT_EQ(values(12), Strings{"1700000300"});
    // A registered claim that is also an extra one is kept both ways.
    EXPECT_EQ(claims->groups.strings, (Strings{"g1", "g2"}));
    EXPECT_EQ(claims->exp.date, 1700000300);
}

TEST(ReadJwsHeader, KeepsAlgKidAndTheForbiddenParameters) {
    auto header = ReadJwsHeader(R"({"alg":"RS256","kid":7,"typ":"JWT","crit":[],"x":{"jwk":1}})");
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->alg.text, "RS256");
    EXPECT_EQ(header->kid.type, Type::kNumber);
    EXPECT_TRUE(header->crit.present());
    EXPECT_FALSE(header->jwk.present());  // only top-level parameters count
    header = ReadJwsHeader(R"({"jku":null,"x5u":"u","x5c":["c"],"jwk":{}})");
    ASSERT_TRUE(header.has_value());
    EXPECT_FALSE(header->alg.present());
    for (const JsonMember* member : {&header->jku, &header->x5u, &header->x5c, &header->jwk}) {
        EXPECT_TRUE(member->present());
    }
}

}  // namespace
}  // namespace stepgate::jose::detail

namespace stepgate::jose {
namespace {

using nlohmann::json;

// --- The DOM reference ------------------------------------------------------------------------
// jwt.cpp's claim handling as it was before the reader (at 6d51332): a DOM from
// ParseStrictJsonObject, read member by member. Kept here, and only here, so the reader-based
// code can be compared with it on many claims sets.
namespace reference {

using Outcome = Result<core::Identity, JwtError>;

constexpr std::int64_t kMaxNumericDate = std::int64_t{1} << 53;

const json* Member(const json& object, std::string_view name) {
    const auto& members = object.get_ref<const json::object_t&>();
    const auto it = members.find(name);
    return it == members.end() ? nullptr : &it->second;
}

const std::string* StringMember(const json& object, std::string_view name) {
    const json* value = Member(object, name);
    return value != nullptr && value->is_string() ? value->get_ptr<const std::string*>() : nullptr;
}

std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
        return b > 0 ? std::numeric_limits<std::int64_t>::max()
                     : std::numeric_limits<std::int64_t>::min();
    }
    return sum;
}

std::optional<std::int64_t> NumericDate(const json& value) {
    if (const auto* u = value.get_ptr<const json::number_unsigned_t*>()) {
        if (*u > static_cast<std::uint64_t>(kMaxNumericDate)) return std::nullopt;
        return static_cast<std::int64_t>(*u);
    }
    if (const auto* i = value.get_ptr<const json::number_integer_t*>()) {
        if (*i > kMaxNumericDate || *i < -kMaxNumericDate) return std::nullopt;
        return *i;
    }
    if (const auto* d = value.get_ptr<const json::number_float_t*>()) {
        const double limit = static_cast<double>(kMaxNumericDate);
        if (!std::isfinite(*d) || *d > limit || *d < -limit) return std::nullopt;
        return static_cast<std::int64_t>(*d);
    }
    return std::nullopt;
}

enum class Presence { kAbsent, kPresent, kBad };

Presence OptionalNumericDate(const json& claims, std::string_view name, std::int64_t& out) {
    const json* value = Member(claims, name);
    if (value == nullptr) return Presence::kAbsent;
    const auto date = NumericDate(*value);
    if (!date) return Presence::kBad;
    out = *date;
    return Presence::kPresent;
}

void AppendSpaceSeparated(std::string_view text, std::vector<std::string>& out) {
    while (!text.empty()) {
        const auto space = text.find(' ');
        const std::string_view word = text.substr(0, space);
        if (!word.empty()) out.emplace_back(word);
        if (space == std::string_view::npos) break;
        text.remove_prefix(space + 1);
    }
}

bool StringList(const json& value, bool split_spaces, std::vector<std::string>& out) {
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        if (split_spaces) {
            AppendSpaceSeparated(text, out);
        } else {
            out.push_back(text);
        }
        return true;
    }
    if (!value.is_array()) return false;
    for (const json& element : value.get_ref<const json::array_t&>()) {
        if (!element.is_string()) return false;
        out.push_back(element.get_ref<const std::string&>());
    }
    return true;
}

void Flatten(const json& value, std::vector<std::string>& out) {
    switch (value.type()) {
        case json::value_t::string:
            out.push_back(value.get_ref<const std::string&>());
            break;
        case json::value_t::boolean:
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            out.push_back(value.dump());
            break;
        case json::value_t::array:
            for (const json& element : value.get_ref<const json::array_t&>()) {
                Flatten(element, out);
            }
            break;
        default:
            break;
    }
}

Outcome FillIdentity(const json& claims, const VerifyOptions& options, core::Identity identity) {
    const std::string* sub = StringMember(claims, "sub");
    if (sub == nullptr || sub->empty()) return MakeError(JwtError::kBadClaim);
    identity.subject = *sub;
    if (const std::string* email = StringMember(claims, "email")) identity.email = *email;
    if (const std::string* name = StringMember(claims, "preferred_username")) {
        identity.preferred_username = *name;
    }
    if (const json* acr = Member(claims, "acr")) {
        if (!acr->is_string()) return MakeError(JwtError::kBadClaim);
        identity.acr = acr->get_ref<const std::string&>();
    }
    if (const json* amr = Member(claims, "amr")) {
        if (!StringList(*amr, false, identity.amr)) return MakeError(JwtError::kBadClaim);
    }
    if (const json* groups = Member(claims, "groups")) {
        if (!StringList(*groups, false, identity.groups)) return MakeError(JwtError::kBadClaim);
    }
    if (const json* scope = Member(claims, "scope")) {
        if (!scope->is_string()) return MakeError(JwtError::kBadClaim);
        AppendSpaceSeparated(scope->get_ref<const std::string&>(), identity.scopes);
    } else if (const json* scp = Member(claims, "scp")) {
        if (!StringList(*scp, true, identity.scopes)) return MakeError(JwtError::kBadClaim);
    }
    std::int64_t auth_time = 0;
    switch (OptionalNumericDate(claims, "auth_time", auth_time)) {
        case Presence::kBad:
            return MakeError(JwtError::kBadClaim);
        case Presence::kPresent:
            identity.auth_time = auth_time;
            break;
        case Presence::kAbsent:
            break;
    }
    for (const auto& name : options.extra_claims) {
        const json* value = Member(claims, name);
        if (value == nullptr || identity.FindClaim(name) != nullptr) continue;
        core::ClaimValues flattened;
        flattened.name = name;
        Flatten(*value, flattened.values);
        identity.claims.push_back(std::move(flattened));
    }
    return identity;
}

Outcome CheckClaims(const json& claims, const VerifyOptions& options, std::int64_t now) {
    core::Identity identity;
    const std::string* iss = StringMember(claims, "iss");
    if (iss == nullptr || options.issuer.empty() || *iss != options.issuer) {
        return MakeError(JwtError::kWrongIssuer);
    }
    const json* aud = Member(claims, "aud");
    std::size_t audience_count = 0;
    bool audience_ok = false;
    if (aud == nullptr) return MakeError(JwtError::kWrongAudience);
    const auto accepted = [&options](const std::string& value) {
        for (const auto& audience : options.audiences) {
            if (audience == value) return true;
        }
        return false;
    };
    if (aud->is_string()) {
        audience_count = 1;
        audience_ok = accepted(aud->get_ref<const std::string&>());
    } else if (aud->is_array()) {
        for (const json& entry : aud->get_ref<const json::array_t&>()) {
            if (!entry.is_string()) return MakeError(JwtError::kBadClaim);
            ++audience_count;
            audience_ok = audience_ok || accepted(entry.get_ref<const std::string&>());
        }
    } else {
        return MakeError(JwtError::kBadClaim);
    }
    if (!audience_ok) return MakeError(JwtError::kWrongAudience);
    const std::int64_t leeway = options.leeway_seconds > 0 ? options.leeway_seconds : 0;
    const json* exp_value = Member(claims, "exp");
    if (exp_value == nullptr) return MakeError(JwtError::kMissingExp);
    const auto exp = NumericDate(*exp_value);
    if (!exp) return MakeError(JwtError::kBadClaim);
    if (now > SaturatingAdd(*exp, leeway)) return MakeError(JwtError::kExpired);
    identity.expires_at = *exp;
    std::int64_t nbf = 0;
    switch (OptionalNumericDate(claims, "nbf", nbf)) {
        case Presence::kBad:
            return MakeError(JwtError::kBadClaim);
        case Presence::kPresent:
            if (SaturatingAdd(now, leeway) < nbf) return MakeError(JwtError::kNotYetValid);
            break;
        case Presence::kAbsent:
            break;
    }
    std::int64_t iat = 0;
    switch (OptionalNumericDate(claims, "iat", iat)) {
        case Presence::kBad:
            return MakeError(JwtError::kBadClaim);
        case Presence::kPresent:
            if (iat > SaturatingAdd(now, leeway)) return MakeError(JwtError::kIssuedInFuture);
            break;
        case Presence::kAbsent:
            break;
    }
    if (options.expected_nonce) {
        const std::string* nonce = StringMember(claims, "nonce");
        if (nonce == nullptr || *nonce != *options.expected_nonce) {
            return MakeError(JwtError::kWrongNonce);
        }
    }
    if (options.expected_azp) {
        const json* azp = Member(claims, "azp");
        if (azp != nullptr) {
            if (!azp->is_string() || azp->get_ref<const std::string&>() != *options.expected_azp) {
                return MakeError(JwtError::kWrongAuthorizedParty);
            }
        } else if (audience_count > 1) {
            return MakeError(JwtError::kWrongAuthorizedParty);
        }
    }
    identity.issuer = *iss;
    auto filled = FillIdentity(claims, options, std::move(identity));
    if (filled && filled->auth_time && *filled->auth_time > SaturatingAdd(now, leeway)) {
        return MakeError(JwtError::kIssuedInFuture);
    }
    return filled;
}

Outcome IdentityFromClaims(std::string_view claims_json, const VerifyOptions& options) {
    const auto claims = detail::ParseStrictJsonObject(claims_json);
    if (!claims) return MakeError(JwtError::kBadJson);
    core::Identity identity;
    if (const std::string* iss = StringMember(*claims, "iss")) identity.issuer = *iss;
    if (const json* exp = Member(*claims, "exp")) {
        const auto value = NumericDate(*exp);
        if (!value) return MakeError(JwtError::kBadClaim);
        identity.expires_at = *value;
    }
    return FillIdentity(*claims, options, std::move(identity));
}

// VerifyJwt of a token whose header is fine and whose signature verifies.
Outcome VerifySigned(std::string_view claims_json, const VerifyOptions& options, std::int64_t now) {
    const auto claims = detail::ParseStrictJsonObject(claims_json);
    if (!claims) return MakeError(JwtError::kBadJson);
    return CheckClaims(*claims, options, now);
}

}  // namespace reference

// --- Differential: the reader-based code against the reference --------------------------------

constexpr std::int64_t kNow = 1'700'000'000;
constexpr const char* kIssuer = "https://issuer.example";

// Everything an outcome says, as text, so that a difference shows in the failure message.
std::string Summary(const Result<core::Identity, JwtError>& outcome) {
    if (!outcome) return "refused: " + std::string(Describe(outcome.error()));
    const core::Identity& identity = *outcome;
    json claims = json::array();
    for (const auto& claim : identity.claims) claims.push_back({claim.name, claim.values});
    return json{{"kind", static_cast<int>(identity.kind)},
                {"subject", identity.subject},
                {"issuer", identity.issuer},
                {"email", identity.email},
                {"preferred_username", identity.preferred_username},
                {"acr", identity.acr},
                {"amr", identity.amr},
                {"groups", identity.groups},
                {"scopes", identity.scopes},
                {"auth_time", identity.auth_time ? json(*identity.auth_time) : json()},
                {"expires_at", identity.expires_at},
                {"claims", claims},
                {"level", identity.level}}
        .dump();
}

std::vector<json> ValuePool() {
    const std::int64_t big = std::int64_t{1} << 53;
    return {
        "",
        "x",
        "a b  c ",
        kIssuer,
        std::string(kIssuer) + "/",
        "stepgate-api",
        "other-api",
        "client-1",
        "n-1",
        "user-1",
        0,
        -1,
        kNow,
        kNow - 100,
        kNow + 100,
        kNow + 1000,
        kNow - 1000,
        kNow + 0.5,
        kNow - 1000.7,
        static_cast<double>(kNow + 29) + 0.9,
        big,
        static_cast<std::uint64_t>(big) + 1,
        -big,
        -big - 1,
        std::numeric_limits<std::uint64_t>::max(),
        1e300,
        -1e300,
        1.5,
        true,
        false,
        nullptr,
        json::object(),
        json{{"k", "v"}},
        json::array(),
        json::array({"stepgate-api"}),
        json::array({"stepgate-api", "other-api"}),
        json::array({"nobody", "other-api"}),
        json::array({"stepgate-api", 1}),
        json::array({1, "stepgate-api"}),
        json::array({nullptr}),
        json::array({"a b", "c"}),
        json::array({json::array({"stepgate-api"})}),
        json::array({json::object(), "x"}),
        json::array({"x", true, 2.5, json::array({"y", json::array({kNow})})}),
    };
}

std::vector<std::string> ClaimNames() {
    return {"iss",
            "sub",
            "aud",
            "exp",
            "nbf",
            "iat",
            "auth_time",
            "nonce",
            "azp",
            "email",
            "preferred_username",
            "acr",
            "amr",
            "groups",
            "scope",
            "scp",
            "tenant",
            "roles"};
}

json BaseClaims() {
    return json{{"iss", kIssuer},
                {"aud", "stepgate-api"},
                {"sub", "user-1"},
                {"exp", kNow + 300},
                {"nonce", "n-1"}};
}

std::vector<VerifyOptions> OptionSets() {
    VerifyOptions bearer;
    bearer.issuer = kIssuer;
    bearer.audiences = {"stepgate-api", "other-api"};
    bearer.extra_claims = {"tenant", "roles", "groups", "tenant", "exp", "aud", "missing"};
    VerifyOptions id_token = bearer;
    id_token.extra_claims = {};
    id_token.expected_nonce = "n-1";
    id_token.expected_azp = "client-1";
    id_token.leeway_seconds = 0;
    return {bearer, id_token};
}

// Claims sets: every claim absent or set to every value of the pool, one at a time; then
// random combinations; then texts a json object cannot produce.
std::vector<std::string> Corpus() {
    const std::vector<json> pool = ValuePool();
    const std::vector<std::string> names = ClaimNames();
    std::vector<std::string> corpus;
    for (const auto& name : names) {
        json claims = BaseClaims();
        claims.erase(name);
        corpus.push_back(claims.dump());
        for (const json& value : pool) {
            claims[name] = value;
            corpus.push_back(claims.dump());
        }
    }
    std::mt19937 random(7);
    for (int i = 0; i < 1500; ++i) {
        json claims = BaseClaims();
        for (const auto& name : names) {
            switch (random() % 6) {
                case 0:
                    claims.erase(name);
                    break;
                case 1:
                case 2:
                    claims[name] = pool[random() % pool.size()];
                    break;
                default:
                    break;
            }
        }
        corpus.push_back(claims.dump());
    }
    const std::string base = BaseClaims().dump();
    const auto with = [&base](std::string_view members) {
        return "{" + std::string(members) + "," + base.substr(1);
    };
    for (const char* members : {
             R"("\u0069ss":"https://issuer.example")",  // a duplicate, escaped
             R"("iss ":"x","Sub":"y")",
             R"("realm":{"roles":["a"],"roles":["b"]})",
             R"("roles":[{"x":1},{"x":1,"x":2}])",
             R"("tenant":{"a":{"b":{"c":[1,{"d":1,"d":1}]}}})",
             R"("tenant":[[[[["deep"]]]]],"roles":[1e2,-0,0.0,1E-2])",
             R"("groups":["\u00e9","\ud83d\ude00","a\u0000b"])",
             R"("scp":"  a   b ","amr":[])",
         }) {
        corpus.push_back(with(members));
    }
    corpus.push_back("[]");
    corpus.push_back("{}");
    corpus.push_back(base + " ");
    corpus.push_back(base + ",");
    return corpus;
}

TEST(ClaimsDifferential, IdentityFromClaimsMatchesTheDomReference) {
    const std::vector<std::string> corpus = Corpus();
    std::size_t identities = 0;
    for (const VerifyOptions& options : OptionSets()) {
        for (const std::string& claims : corpus) {
            const auto outcome = IdentityFromClaims(claims, options);
            ASSERT_EQ(Summary(outcome), Summary(reference::IdentityFromClaims(claims, options)))
                << claims;
            identities += outcome ? 1 : 0;
        }
    }
    EXPECT_GT(identities, corpus.size() / 4);  // the corpus is not all refusals
}

TEST(ClaimsDifferential, VerifyJwtMatchesTheDomReference) {
    const auto& keys = testing::SharedTestKeys();
    auto key_set =
        KeySet::Parse(testing::JwksOf(json::array({testing::PublicJwk(keys.ed25519.get(), "ed")})));
    ASSERT_TRUE(key_set.has_value());
    const std::string header = R"({"alg":"EdDSA","kid":"ed","typ":"JWT"})";
    const std::vector<std::string> corpus = Corpus();
    std::vector<std::size_t> accepted(2, 0);
    const std::vector<VerifyOptions> option_sets = OptionSets();
    for (const std::string& claims : corpus) {
        const std::string token =
            testing::MakeToken(header, claims, Algorithm::kEdDSA, keys.ed25519.get());
        for (std::size_t i = 0; i < option_sets.size(); ++i) {
            const auto outcome = VerifyJwt(token, *key_set, option_sets[i], kNow);
            ASSERT_EQ(Summary(outcome),
                      Summary(reference::VerifySigned(claims, option_sets[i], kNow)))
                << claims;
            accepted[i] += outcome ? 1 : 0;
        }
    }
    EXPECT_GT(accepted[0], corpus.size() / 10);
    EXPECT_GT(accepted[1], 20u);
}

}  // namespace
}  // namespace stepgate::jose
