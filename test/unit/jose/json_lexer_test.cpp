#include "jose/json_lexer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "jose/strict_json.h"

namespace stepgate::jose::detail {
namespace {

using Json = nlohmann::json;
using Events = std::vector<std::string>;

// Records every callback as text, for both our reader and nlohmann's SAX parser, refusing
// nesting past kMaxJsonDepth in both (as the claims reader and the DOM parser do).
class Recorder {
 public:
    bool null() { return Add("null"); }
    bool boolean(bool value) { return Add(value ? "true" : "false"); }
    bool number_integer(std::int64_t value) { return Add("int " + std::to_string(value)); }
    bool number_unsigned(std::uint64_t value) { return Add("uint " + std::to_string(value)); }
    bool number_float(double value) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &value, sizeof bits);
        return Add("double " + Json(value).dump() + " " + std::to_string(bits));
    }
    bool number_float(double value, const std::string& /*text*/) { return number_float(value); }
    bool string(std::string_view value) { return Add("string " + Json(value).dump()); }
    bool string(std::string& value) { return string(std::string_view(value)); }
    bool key(std::string_view name) { return Add("key " + Json(name).dump()); }
    bool key(std::string& name) { return key(std::string_view(name)); }
    bool start_object(std::size_t /*size*/ = 0) { return Open("{"); }
    bool end_object() { return Close("}"); }
    bool start_array(std::size_t /*size*/ = 0) { return Open("["); }
    bool end_array() { return Close("]"); }
    bool binary(Json::binary_t& /*value*/) { return false; }
    bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                     const nlohmann::detail::exception& /*error*/) {
        return false;
    }

    Events events;

 private:
    bool Add(std::string event) {
        events.push_back(std::move(event));
        return true;
    }
    bool Open(const char* event) {
        if (depth_ >= kMaxJsonDepth) return false;
        ++depth_;
        return Add(event);
    }
    bool Close(const char* event) {
        --depth_;
        return Add(event);
    }
    std::size_t depth_ = 0;
};

std::optional<Events> Ours(std::string_view text) {
    Recorder recorder;
    std::string scratch;
    if (!StrictJsonReader<kMaxJsonDepth, Recorder>(text, recorder, scratch).Read()) {
        return std::nullopt;
    }
    return recorder.events;
}

std::optional<Events> Nlohmann(std::string_view text) {
    Recorder recorder;
    const char* begin = text.data();
    try {
        if (!Json::sax_parse(begin, begin + text.size(), &recorder, Json::input_format_t::json,
                             /*strict=*/true, /*ignore_comments=*/false)) {
            return std::nullopt;
        }
    } catch (...) {
        return std::nullopt;
    }
    return recorder.events;
}

// What nlohmann reads of `text`: it skips a leading byte order mark and stops at a NUL.
std::string_view NlohmannView(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    return text.substr(0, text.find('\0'));
}

// Our reader reports what nlohmann's does, except that it refuses the byte order mark and the
// NUL that nlohmann reads past.
void ExpectAgreement(std::string_view text) {
    const std::string_view view = NlohmannView(text);
    if (view.size() != text.size()) {
        EXPECT_FALSE(Ours(text).has_value()) << text;
    }
    EXPECT_EQ(Ours(view), Nlohmann(text)) << text;
}

bool Accepted(std::string_view text) {
    ExpectAgreement(text);
    return Ours(text).has_value();
}

// The one string a document `["..."]` holds, as our reader decodes it.
std::optional<std::string> Decoded(std::string_view literal) {
    const std::string text = "[\"" + std::string(literal) + "\"]";
    ExpectAgreement(text);
    const auto events = Ours(text);
    if (!events) return std::nullopt;
    return Json::parse(events->at(1).substr(7)).get<std::string>();
}

TEST(JsonLexer, EveryEscape) {
    EXPECT_EQ(Decoded(R"(\"\\\/\b\f\n\r\t)"), "\"\\/\b\f\n\r\t");
    EXPECT_EQ(Decoded(R"(a\u0041\u00e9\u20AC\uFFFF)"), "aA\xc3\xa9\xe2\x82\xac\xef\xbf\xbf");
    EXPECT_EQ(Decoded(R"(\u0000)"), std::string(1, '\0'));
    EXPECT_EQ(Decoded(R"(x\u007fy)"), "x\x7fy");
    EXPECT_EQ(Decoded("plain \xc3\xa9 text"), "plain \xc3\xa9 text");
    for (const char* refused : {R"(\a)", R"(\U0041)", R"(\x41)", R"(\')", R"(\u12)", R"(\u12g4)",
                                R"(\u 123)", R"(\)", "\\\xc3\xa9", R"(\0)"}) {
        EXPECT_EQ(Decoded(refused), std::nullopt) << refused;
    }
    EXPECT_FALSE(Accepted(R"(["\u004)"));
    EXPECT_FALSE(Accepted(R"(["\)"));
    EXPECT_FALSE(Accepted(R"(["abc)"));
}

TEST(JsonLexer, SurrogatePairsAndLoneSurrogates) {
    EXPECT_EQ(Decoded(R"(\ud83d\ude00)"), "\xf0\x9f\x98\x80");
    EXPECT_EQ(Decoded(R"(\uD800\uDC00)"), "\xf0\x90\x80\x80");
    EXPECT_EQ(Decoded(R"(\udbff\udfff)"), "\xf4\x8f\xbf\xbf");
    for (const char* refused : {R"(\ud800)", R"(\ud800x)", R"(\ud800\n)", R"(\ud800\u0041)",
                                R"(\ud800\ud800)", R"(\udc00)", R"(\udfff\ud800)", R"(\ud800\u)",
                                R"(\ud800\udc0)", R"(\ud800\\udc00)", R"(\ud800u\udc00)"}) {
        EXPECT_EQ(Decoded(refused), std::nullopt) << refused;
    }
    EXPECT_FALSE(Accepted(R"(["\ud800)"));
    EXPECT_FALSE(Accepted(R"(["\ud800\)"));
}

TEST(JsonLexer, EachUtf8ErrorClass) {
    const char* valid[] = {
        "\x7f",         "\xc2\x80",         "\xdf\xbf",         "\xe0\xa0\x80",
        "\xe1\x80\x80", "\xec\xbf\xbf",     "\xed\x9f\xbf",     "\xee\x80\x80",
        "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf3\xbf\xbf\xbf", "\xf4\x8f\xbf\xbf",
    };
    for (const char* text : valid) EXPECT_EQ(Decoded(text), text) << text;
    const char* refused[] = {
        "\x80",              // a continuation byte alone
        "\xbf",              //
        "\xc0\x80",          // overlong two-byte
        "\xc1\xbf",          //
        "\xc2",              // truncated
        "\xc2\x41",          // not a continuation byte
        "\xc2\xc0",          //
        "\xe0\x80\x80",      // overlong three-byte
        "\xe0\x9f\xbf",      //
        "\xe1\x80",          // truncated
        "\xe1\x80\x41",      //
        "\xed\xa0\x80",      // a surrogate encoded in UTF-8
        "\xed\xbf\xbf",      //
        "\xf0\x80\x80\x80",  // overlong four-byte
        "\xf0\x8f\xbf\xbf",  //
        "\xf1\x80\x80",      // truncated
        "\xf1\x80\x80\x7f",  //
        "\xf4\x90\x80\x80",  // past U+10FFFF
        "\xf5\x80\x80\x80",  //
        "\xf8\x88\x80\x80\x80",
        "\xfe",
        "\xff",
    };
    for (const char* text : refused) EXPECT_EQ(Decoded(text), std::nullopt) << text;
    // A sequence cut by the end of the input.
    for (const char* text : {"[\"\xc3", "[\"\xe2\x82", "[\"\xf0\x9f\x98"}) {
        EXPECT_FALSE(Accepted(text)) << text;
    }
    // UTF-8 outside strings is not JSON either.
    EXPECT_FALSE(Accepted("[\xc3\xa9]"));
}

TEST(JsonLexer, ControlCharactersMustBeEscaped) {
    for (int c = 0; c < 0x20; ++c) {
        EXPECT_EQ(Decoded(std::string(1, static_cast<char>(c))), std::nullopt) << c;
    }
    EXPECT_EQ(Decoded("\x20\x7f"), "\x20\x7f");
}

TEST(JsonLexer, NumbersFollowTheGrammarAndNlohmannsTyping) {
    const auto first = [](std::string_view text) -> std::string {
        ExpectAgreement(text);
        const auto events = Ours("[" + std::string(text) + "]");
        return events ? events->at(1).substr(0, events->at(1).find(' ')) : "refused";
    };
    for (const char* refused :
         {"-",   "1.",  ".5",   "1e",   "1e+",   "1E-",    "01",      "-01",
          "00",  "+1",  "1.e5", "0x10", "1e400", "-1e400", "1e309",   "Infinity",
          "NaN", "- 1", "1 .5", "--1",  "1ee2",  "1e2.5",  "\xd9\xa1"}) {
        EXPECT_EQ(first(refused), "refused") << refused;
    }
    EXPECT_EQ(first("0"), "uint");
    EXPECT_EQ(first("-0"), "int");
    EXPECT_EQ(Ours("[-0]")->at(1), "int 0");
    EXPECT_EQ(first("18446744073709551615"), "uint");
    EXPECT_EQ(first("18446744073709551616"), "double");
    EXPECT_EQ(first("99999999999999999999"), "double");
    EXPECT_EQ(first("-9223372036854775808"), "int");
    EXPECT_EQ(Ours("[-9223372036854775808]")->at(1), "int -9223372036854775808");
    EXPECT_EQ(first("-9223372036854775809"), "double");
    EXPECT_EQ(first("1E+2"), "double");
    EXPECT_EQ(Ours("[1E+2]")->at(1).substr(0, 12), "double 100.0");
    EXPECT_EQ(first("-0.0"), "double");
    EXPECT_EQ(first("1e-400"), "double");  // underflows to 0, accepted as nlohmann does
    EXPECT_EQ(first("1.7976931348623157e308"), "double");
    EXPECT_EQ(first("0.1"), "double");
    EXPECT_EQ(first(std::string(300, '9')), "double");
    EXPECT_EQ(first(std::string(400, '9')), "refused");  // 1e400: not finite
    EXPECT_EQ(first("0." + std::string(400, '0') + "1"), "double");
    for (const char* text :
         {"0e0", "0E-0", "-0e+00", "123456789012345678901234567890e-10", "4.9406564584124654e-324",
          "2.2250738585072011e-308", "9007199254740993", "1e22", "1e23", "5e-324", "2.5e-324",
          "-1.5", "1.000000000000000111"}) {
        ExpectAgreement("[" + std::string(text) + "]");
    }
    // Random numbers of every shape: the same type and the same value as nlohmann's.
    std::mt19937 random(11);
    const auto digits = [&random](std::size_t n) {
        std::string out;
        for (std::size_t i = 0; i < n; ++i) out += static_cast<char>('0' + random() % 10);
        return out;
    };
    for (int i = 0; i < 3000; ++i) {
        std::string text = random() % 2 ? "-" : "";
        text += digits(1 + random() % 22);
        if (random() % 3 == 0) text += "." + digits(1 + random() % 20);
        if (random() % 3 == 0) {
            text += random() % 2 ? "e" : "E";
            if (random() % 2) text += random() % 2 ? "+" : "-";
            text += digits(1 + random() % 3);
        }
        ExpectAgreement("[" + text + "]");
    }
}

TEST(JsonLexer, WhitespaceIsSpaceTabLineFeedCarriageReturn) {
    EXPECT_TRUE(
        Accepted(" \t\n\r{ \t\n\r\"a\" \t\n\r: \t\n\r[ \t\n\r1 \t\n\r, 2 ] \t\n\r} \t\n\r"));
    for (const char* space : {"\f", "\v", "\xc2\xa0", "\xe2\x80\x8b", "\x1f", "\x7f"}) {
        EXPECT_FALSE(Accepted(std::string(space) + "{}")) << space;
        EXPECT_FALSE(Accepted("{" + std::string(space) + "}")) << space;
        EXPECT_FALSE(Accepted("{}" + std::string(space))) << space;
    }
}

TEST(JsonLexer, TrailingGarbageAndEmptyInput) {
    for (const char* refused : {"",
                                " ",
                                "\n",
                                "{} {}",
                                "{}x",
                                "{},",
                                "[]]",
                                "{}}",
                                "1 2",
                                "[1,]",
                                "{\"a\":1,}",
                                "{,}",
                                "[,1]",
                                "{\"a\"}",
                                "{\"a\" 1}",
                                "{1:1}",
                                "{\"a\":1 \"b\":2}",
                                "tru",
                                "truex",
                                "nul",
                                "nulll",
                                "False",
                                "[true false]",
                                "\"a\" \"b\"",
                                "{\"a\":}"}) {
        EXPECT_FALSE(Accepted(refused)) << refused;
    }
    for (const char* accepted : {"{}", "[]", "0", "\"\"", "true", "false", "null", " [ ] ",
                                 "{\"\":{}}", "[[],{},\"\",0,-1,true,false,null]"}) {
        EXPECT_TRUE(Accepted(accepted)) << accepted;
    }
}

TEST(JsonLexer, ByteOrderMarkAndNulAreRefusedWhereNlohmannReadsPast) {
    // nlohmann skips a leading BOM and ends the input at a NUL where a token would start.
    EXPECT_TRUE(Nlohmann("\xEF\xBB\xBF{}").has_value());
    EXPECT_TRUE(Nlohmann(std::string_view("{}\0 garbage", 11)).has_value());
    EXPECT_TRUE(Nlohmann(std::string_view("[1] \0", 5)).has_value());
    EXPECT_FALSE(Ours("\xEF\xBB\xBF{}").has_value());
    EXPECT_FALSE(Ours(std::string_view("{}\0 garbage", 11)).has_value());
    EXPECT_FALSE(Ours(std::string_view("[1] \0", 5)).has_value());
    for (const std::string_view text :
         {std::string_view("\xEF\xBB\xBF{}"), std::string_view("\xEF\xBB{}"),
          std::string_view("\xEF\xBB\xBF\xEF\xBB\xBF{}"), std::string_view(" \xEF\xBB\xBF{}"),
          std::string_view("\0", 1), std::string_view("{\0}", 3), std::string_view("[1\0]", 4),
          std::string_view("[\"\0\"]", 5), std::string_view("\xEF\xBB\xBF[1] \0x", 9)}) {
        ExpectAgreement(text);
    }
}

// `depth` arrays, or objects {"a":...}, around a 1.
std::string Nested(std::size_t depth, bool objects) {
    if (!objects) return std::string(depth, '[') + "1" + std::string(depth, ']');
    std::string text;
    for (std::size_t i = 0; i < depth; ++i) text += "{\"a\":";
    return text + "1" + std::string(depth, '}');
}

TEST(JsonLexer, NestingAtAndOverTheBound) {
    for (const bool objects : {false, true}) {
        EXPECT_TRUE(Accepted(Nested(kMaxJsonDepth - 1, objects))) << objects;
        EXPECT_TRUE(Accepted(Nested(kMaxJsonDepth, objects))) << objects;
        EXPECT_FALSE(Accepted(Nested(kMaxJsonDepth + 1, objects))) << objects;
        // No recursion, no stack to exhaust.
        EXPECT_FALSE(Accepted(Nested(100000, objects))) << objects;
    }
    EXPECT_FALSE(Accepted(std::string(100000, '[')));
}

TEST(JsonLexer, MutatedDocumentsReadLikeNlohmann) {
    const std::string seed =
        R"({"iss":"https://i.example","aud":["a","b"],"exp":1700000300,"nbf":1.5e1,)"
        R"("x":{"y":[{"z":null},true,false,-1e3,-0,18446744073709551615,0.25]},)"
        R"("e":"\n\t\"\\\/\u00e9\ud83d\ude00",)"
        "\"u\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}";
    const std::string alphabet = "{}[]\",:\\/ 0123456789-+.eEtrufalsnbu\xc3\xa9\xed\xa0\xff";
    std::mt19937 random(5);
    std::size_t accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string text = seed;
        // One to three edits: a byte replaced, inserted or erased.
        for (auto edits = 1 + random() % 3; edits > 0; --edits) {
            const std::size_t at = random() % text.size();
            const char c = alphabet[random() % alphabet.size()];
            const auto edit = random() % 3;
            if (edit == 0) text[at] = c;
            if (edit == 1) text.insert(at, 1, c);
            if (edit == 2) text.erase(at, 1);
        }
        const auto ours = Ours(text);
        ASSERT_EQ(ours, Nlohmann(text)) << text;
        accepted += ours ? 1 : 0;
    }
    EXPECT_GT(accepted, 1000u);
}

}  // namespace
}  // namespace stepgate::jose::detail
