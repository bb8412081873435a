// A strict JSON (RFC 8259) reader for the claims reader: one pass over the bytes, no DOM, no
// recursion, driving SAX-style callbacks. It accepts exactly the texts nlohmann's strict
// parser (sax_parse, strict, no comments) accepts and reports the same values, with two
// deliberate exceptions where it is stricter:
//   - a UTF-8 byte order mark before the value, which nlohmann skips, is refused (RFC 8259 §8.1
//     lets a parser ignore it; a JWS payload has no reason to carry one);
//   - a NUL byte after the value, where nlohmann stops reading and ignores what follows, is
//     refused like any other byte after the value (no bytes a signature covers go unread).
// Strings: UTF-8 validated (no overlongs, no UTF-8-encoded surrogates, nothing past U+10FFFF),
// no unescaped control character; \u escapes decoded, a surrogate pair into one code point, a
// lone or mismatched surrogate escape refused. Numbers: the RFC 8259 grammar; an integer
// literal that fits a uint64 is reported unsigned, a negative one that fits an int64 signed,
// anything else as the double strtod reads (C locale); one that is not finite is refused.
// Whitespace: space, tab, line feed, carriage return only.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

namespace stepgate::jose::detail {

// A JSON number's text (already checked against the grammar) as strtod reads it in the C
// locale: correctly rounded, ±inf past the double range, ±0 or a subnormal below it.
double JsonNumberToDouble(std::string_view text);

namespace json_lexer {

// What a byte means inside a string.
enum ByteClass : std::uint8_t {
    kPlain,      // copied as it is
    kQuote,      // ends the string
    kBackslash,  // starts an escape
    kRefused,    // a control character, a UTF-8 continuation byte or an impossible lead byte
    kLead2,      // C2..DF: one continuation byte
    kLeadE0,     // E0: A0..BF, then one continuation byte (no overlongs)
    kLead3,      // E1..EC, EE..EF: two continuation bytes
    kLeadED,     // ED: 80..9F, then one continuation byte (no UTF-8-encoded surrogates)
    kLeadF0,     // F0: 90..BF, then two continuation bytes (no overlongs)
    kLead4,      // F1..F3: three continuation bytes
    kLeadF4,     // F4: 80..8F, then two continuation bytes (nothing past U+10FFFF)
};

constexpr std::array<std::uint8_t, 256> MakeByteClasses() {
    std::array<std::uint8_t, 256> classes{};
    for (int b = 0; b < 256; ++b) {
        std::uint8_t c = kRefused;
        if (b >= 0x20 && b < 0x80) c = kPlain;
        if (b >= 0xC2 && b <= 0xDF) c = kLead2;
        if (b == 0xE0) c = kLeadE0;
        if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) c = kLead3;
        if (b == 0xED) c = kLeadED;
        if (b == 0xF0) c = kLeadF0;
        if (b >= 0xF1 && b <= 0xF3) c = kLead4;
        if (b == 0xF4) c = kLeadF4;
        classes[static_cast<std::size_t>(b)] = c;
    }
    classes['"'] = kQuote;
    classes['\\'] = kBackslash;
    return classes;
}
inline constexpr std::array<std::uint8_t, 256> kByteClass = MakeByteClasses();

// A multi-byte sequence by its lead byte's class: how many continuation bytes follow, and the
// range of the first one (the others are 80..BF).
struct Sequence {
    std::uint8_t continuation, low, high;
};
inline constexpr std::array<Sequence, 7> kSequences = {{
    {1, 0x80, 0xBF},  // kLead2
    {2, 0xA0, 0xBF},  // kLeadE0
    {2, 0x80, 0xBF},  // kLead3
    {2, 0x80, 0x9F},  // kLeadED
    {3, 0x90, 0xBF},  // kLeadF0
    {3, 0x80, 0xBF},  // kLead4
    {3, 0x80, 0x8F},  // kLeadF4
}};

constexpr int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace json_lexer

// Reads `text` as one JSON value, calling on `handler`:
//   null(), boolean(bool), number_integer(std::int64_t), number_unsigned(std::uint64_t),
//   number_float(double), string(std::string_view), key(std::string_view),
//   start_object(), end_object(), start_array(), end_array()
// each returning false to stop the read. A string_view handed to the handler is valid only
// during the call. Nesting deeper than kMaxDepth is refused. `scratch` holds decoded strings
// that have escapes. True when the text is one JSON value and no callback returned false.
// Linear in the text's size; never reads outside it.
template <std::size_t kMaxDepth, class Handler>
class StrictJsonReader {
 public:
    StrictJsonReader(std::string_view text, Handler& handler, std::string& scratch)
        : p_(text.data()), end_(text.data() + text.size()), handler_(handler), scratch_(scratch) {}

    bool Read() {
        std::array<bool, kMaxDepth> in_object{};  // per open level: an object (else an array)
        std::size_t depth = 0;
        std::string_view text;
        SkipWhitespace();
    value:  // whitespace skipped
        if (p_ == end_) return false;
        switch (*p_) {
            case '{':
            case '[': {
                const bool object = *p_ == '{';
                ++p_;
                if (depth == kMaxDepth) return false;
                if (!(object ? handler_.start_object() : handler_.start_array())) return false;
                in_object[depth++] = object;
                SkipWhitespace();
                if (p_ != end_ && *p_ == (object ? '}' : ']')) {  // empty
                    ++p_;
                    if (!End(object)) return false;
                    --depth;
                    goto after_value;
                }
                if (object) goto member;
                goto value;
            }
            case '"':
                if (!String(text) || !handler_.string(text)) return false;
                break;
            case 't':
                if (!Literal("true") || !handler_.boolean(true)) return false;
                break;
            case 'f':
                if (!Literal("false") || !handler_.boolean(false)) return false;
                break;
            case 'n':
                if (!Literal("null") || !handler_.null()) return false;
                break;
            default:
                if (!Number()) return false;
                break;
        }
    after_value:
        SkipWhitespace();
        if (depth == 0) return p_ == end_;
        if (p_ == end_) return false;
        if (*p_ == ',') {
            ++p_;
            SkipWhitespace();
            if (in_object[depth - 1]) goto member;
            goto value;
        }
        if (*p_ != (in_object[depth - 1] ? '}' : ']')) return false;
        ++p_;
        if (!End(in_object[depth - 1])) return false;
        --depth;
        goto after_value;
    member:  // a member name is due, whitespace skipped
        if (p_ == end_ || *p_ != '"') return false;
        if (!String(text) || !handler_.key(text)) return false;
        SkipWhitespace();
        if (p_ == end_ || *p_ != ':') return false;
        ++p_;
        SkipWhitespace();
        goto value;
    }

 private:
    bool End(bool object) { return object ? handler_.end_object() : handler_.end_array(); }

    void SkipWhitespace() {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }

    bool Literal(std::string_view literal) {
        if (static_cast<std::size_t>(end_ - p_) < literal.size() ||
            std::memcmp(p_, literal.data(), literal.size()) != 0) {
            return false;
        }
        p_ += literal.size();
        return true;
    }

    // At the opening quote. The string's value: a view of the text when it has no escape, else
    // of the decoded copy in scratch_.
    bool String(std::string_view& out) {
        using namespace json_lexer;
        ++p_;
        const char* run = p_;  // not yet copied to scratch_
        bool escaped = false;
        while (true) {
            if (p_ == end_) return false;
            const std::uint8_t byte_class = kByteClass[static_cast<unsigned char>(*p_)];
            if (byte_class == kPlain) {
                ++p_;
            } else if (byte_class == kQuote) {
                if (escaped) {
                    scratch_.append(run, p_);
                    out = scratch_;
                } else {
                    out = std::string_view(run, static_cast<std::size_t>(p_ - run));
                }
                ++p_;
                return true;
            } else if (byte_class == kBackslash) {
                if (!escaped) scratch_.clear();
                escaped = true;
                scratch_.append(run, p_);
                if (!Escape()) return false;
                run = p_;
            } else if (byte_class == kRefused || !Utf8Sequence(kSequences[byte_class - kLead2])) {
                return false;
            }
        }
    }

    // At a lead byte: the whole sequence is valid UTF-8; past it.
    bool Utf8Sequence(json_lexer::Sequence sequence) {
        if (end_ - p_ <= sequence.continuation) return false;
        const auto byte = [this](std::size_t i) { return static_cast<unsigned char>(p_[i]); };
        if (byte(1) < sequence.low || byte(1) > sequence.high) return false;
        for (std::size_t i = 2; i <= sequence.continuation; ++i) {
            if ((byte(i) & 0xC0) != 0x80) return false;
        }
        p_ += sequence.continuation + 1;
        return true;
    }

    // Four hex digits, or -1.
    int Hex4() {
        if (end_ - p_ < 4) return -1;
        int value = 0;
        for (int i = 0; i < 4; ++i) {
            const int digit = json_lexer::HexDigit(p_[i]);
            if (digit < 0) return -1;
            value = value * 16 + digit;
        }
        p_ += 4;
        return value;
    }

    // At the backslash: the escape decoded onto scratch_; past it.
    bool Escape() {
        ++p_;
        if (p_ == end_) return false;
        const char c = *p_++;
        switch (c) {
            case '"':
            case '\\':
            case '/':
                scratch_.push_back(c);
                return true;
            case 'b':
                scratch_.push_back('\b');
                return true;
            case 'f':
                scratch_.push_back('\f');
                return true;
            case 'n':
                scratch_.push_back('\n');
                return true;
            case 'r':
                scratch_.push_back('\r');
                return true;
            case 't':
                scratch_.push_back('\t');
                return true;
            case 'u':
                break;
            default:
                return false;
        }
        int code_point = Hex4();
        if (code_point < 0 || (code_point >= 0xDC00 && code_point <= 0xDFFF)) return false;
        if (code_point >= 0xD800 && code_point <= 0xDBFF) {  // a high surrogate: a low one next
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
            p_ += 2;
            const int low = Hex4();
            if (low < 0xDC00 || low > 0xDFFF) return false;
            code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(static_cast<std::uint32_t>(code_point));
        return true;
    }

    void AppendUtf8(std::uint32_t code_point) {
        const auto put = [this](std::uint32_t byte) {
            scratch_.push_back(static_cast<char>(byte));
        };
        if (code_point < 0x80) {
            put(code_point);
        } else if (code_point < 0x800) {
            put(0xC0 | (code_point >> 6));
            put(0x80 | (code_point & 0x3F));
        } else if (code_point < 0x10000) {
            put(0xE0 | (code_point >> 12));
            put(0x80 | ((code_point >> 6) & 0x3F));
            put(0x80 | (code_point & 0x3F));
        } else {
            put(0xF0 | (code_point >> 18));
            put(0x80 | ((code_point >> 12) & 0x3F));
            put(0x80 | ((code_point >> 6) & 0x3F));
            put(0x80 | (code_point & 0x3F));
        }
    }

    void SkipDigits() {
        while (p_ != end_ && json_lexer::IsDigit(*p_)) ++p_;
    }

    // At the first byte of a value that is none of the others: a number, or refused.
    bool Number() {
        using json_lexer::IsDigit;
        const char* start = p_;
        const bool negative = *p_ == '-';
        if (negative) ++p_;
        if (p_ == end_ || !IsDigit(*p_)) return false;
        std::uint64_t magnitude = 0;
        bool fits = true;  // the integer part fits a uint64
        if (*p_ == '0') {
            ++p_;  // no leading zeros: what follows is not a digit, or the grammar refuses it
        } else {
            for (; p_ != end_ && IsDigit(*p_); ++p_) {
                const auto digit = static_cast<std::uint64_t>(*p_ - '0');
                fits = fits && !__builtin_mul_overflow(magnitude, 10, &magnitude) &&
                       !__builtin_add_overflow(magnitude, digit, &magnitude);
            }
        }
        bool integer = true;
        if (p_ != end_ && *p_ == '.') {
            ++p_;
            if (p_ == end_ || !IsDigit(*p_)) return false;
            SkipDigits();
            integer = false;
        }
        if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
            ++p_;
            if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (p_ == end_ || !IsDigit(*p_)) return false;
            SkipDigits();
            integer = false;
        }
        if (integer && fits) {
            if (!negative) return handler_.number_unsigned(magnitude);
            constexpr std::uint64_t kMinMagnitude = std::uint64_t{1} << 63;  // -INT64_MIN
            if (magnitude < kMinMagnitude) {
                return handler_.number_integer(-static_cast<std::int64_t>(magnitude));
            }
            if (magnitude == kMinMagnitude) {
                return handler_.number_integer(std::numeric_limits<std::int64_t>::min());
            }
        }
        const double value =
            JsonNumberToDouble(std::string_view(start, static_cast<std::size_t>(p_ - start)));
        if (!std::isfinite(value)) return false;  // nlohmann: "number overflow"
        return handler_.number_float(value);
    }

    const char* p_;
    const char* end_;
    Handler& handler_;
    std::string& scratch_;
};

}  // namespace stepgate::jose::detail
