#include "adapters/http_message.h"

#include <gtest/gtest.h>

#include <boost/beast/core/string.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace stepgate::adapters {
namespace {

namespace bhttp = boost::beast::http;

// The fields as a plain list, looked up the slow way: what FieldList must answer.
struct Reference {
    std::vector<std::pair<std::string, std::string>> fields;

    std::vector<std::string> Values(std::string_view name) const {
        std::vector<std::string> values;
        for (const auto& [field_name, value] : fields) {
            if (boost::beast::iequals(field_name, name)) values.push_back(value);
        }
        return values;
    }
    void Erase(std::string_view name) {
        std::erase_if(fields, [&](const auto& f) { return boost::beast::iequals(f.first, name); });
    }
};

std::vector<std::string> Values(const FieldList& list, std::string_view name) {
    std::vector<std::string> values;
    auto [first, last] = list.equal_range(name);
    for (auto it = first; it != last; ++it) values.emplace_back(it->value());
    return values;
}

std::vector<std::string> ValuesByField(const FieldList& list, bhttp::field field) {
    std::vector<std::string> values;
    auto [first, last] = list.equal_range(field);
    for (auto it = first; it != last; ++it) values.emplace_back(it->value());
    return values;
}

// Names Beast knows and names it does not, in several spellings, with lengths that share a
// residue modulo 64 (the lookups' length sketch) and field codes that do too.
const std::vector<std::string> kNames = {
    "Host",
    "host",
    "HOST",
    "Authorization",
    "Cookie",
    "Accept",
    "Connection",
    "Content-Type",
    "X-Original-URL",
    "x-original-url",
    "X-Original-Method",
    "X-Forwarded-Proto",
    "X-Request-ID",
    "X-Forwarded-For",
    "X-Real-IP",
    "X-A",
    "x-b",
    "Y",
    std::string(65, 'y'),
    std::string(1, 'Z'),
    "X-Auth-Request-User",
    "X-Auth-Request-Email",
};

void ExpectSame(const FieldList& list, const Reference& reference) {
    ASSERT_EQ(list.field_count(), reference.fields.size());
    for (const std::string& name : kNames) {
        const std::vector<std::string> expected = reference.Values(name);
        EXPECT_EQ(Values(list, name), expected) << name;
        EXPECT_EQ(list.count(name), expected.size()) << name;
        EXPECT_EQ(list[name], expected.empty() ? std::string() : expected.front()) << name;
        const bhttp::field field = bhttp::string_to_field(name);
        if (field != bhttp::field::unknown) {
            EXPECT_EQ(ValuesByField(list, field), expected) << name;
            EXPECT_EQ(list.count(field), expected.size()) << name;
            EXPECT_EQ(list[field], expected.empty() ? std::string() : expected.front()) << name;
            EXPECT_EQ(list.find(field) == list.end(), expected.empty()) << name;
        }
    }
    std::size_t index = 0;
    for (const auto& field : list) {
        ASSERT_LT(index, reference.fields.size());
        EXPECT_EQ(field.name_string(), reference.fields[index].first);
        EXPECT_EQ(field.value(), reference.fields[index].second);
        ++index;
    }
    EXPECT_EQ(index, reference.fields.size());
}

TEST(FieldList, LookupsAgreeWithAPlainListThroughInsertsErasesAndClears) {
    std::mt19937 random(20261128);
    Response list;
    Reference reference;
    for (int step = 0; step < 4000; ++step) {
        const std::string& name = kNames[random() % kNames.size()];
        const std::string value = "v" + std::to_string(step);
        switch (random() % 8) {
            case 0:
                list.erase(name);
                reference.Erase(name);
                break;
            case 1: {
                list.set(name, value);
                reference.Erase(name);
                reference.fields.emplace_back(name, value);  // by name: the spelling given
                break;
            }
            case 2:
                if (random() % 16 == 0) {
                    list.Clear();
                    reference.fields.clear();
                }
                break;
            default:
                list.insert(name, value);
                reference.fields.emplace_back(name, value);
                break;
        }
        ExpectSame(list, reference);
        if (HasFailure()) FAIL() << "after step " << step;
    }
}

// Only text inside the borrowed range is borrowed; anything else, even partly outside, is
// copied, so that changing it afterwards changes nothing.
TEST(FieldList, BorrowsOnlyTextInsideTheGivenBytes) {
    std::string buffer = "Host: a.example\r\nX-Long: 0123456789";
    std::string elsewhere = "Z-Outside";
    Request request;
    request.BorrowFrom(buffer.data(), buffer.data() + buffer.size());
    const std::string_view text(buffer);
    request.insert_borrowed(bhttp::field::host, text.substr(0, 4), text.substr(6, 9));
    // The value runs one byte past the range: copied.
    request.insert_borrowed(bhttp::field::unknown, text.substr(17, 6),
                            std::string_view(buffer.data() + 25, buffer.size() - 25 + 1));
    // The name from elsewhere: copied.
    request.insert_borrowed(bhttp::field::unknown, std::string_view(elsewhere), text.substr(25, 3));
    EXPECT_TRUE(request.borrows());
    EXPECT_EQ(request[bhttp::field::host].data(), buffer.data() + 6);
    const std::string past_end(buffer.data() + 25, buffer.size() - 25 + 1);
    EXPECT_NE(request["X-Long"].data(), buffer.data() + 25);
    EXPECT_EQ(request["X-Long"], past_end);
    elsewhere.assign(elsewhere.size(), 'q');
    EXPECT_EQ(request["Z-Outside"], "012");

    request.OwnBorrowedText();
    EXPECT_FALSE(request.borrows());
    buffer.assign(buffer.size(), 'x');
    EXPECT_EQ(request[bhttp::field::host], "a.example");
    EXPECT_EQ(request["Z-Outside"], "012");
    // Not borrowing: everything is copied.
    std::string later = "late";
    request.insert_borrowed(bhttp::field::accept, "Accept", later);
    later.assign("XXXX");
    EXPECT_EQ(request[bhttp::field::accept], "late");
}

TEST(FieldList, AnEmptyListAnswersEveryLookupWithNothing) {
    Request request;
    Reference reference;
    ExpectSame(request, reference);
    request.insert(bhttp::field::host, "a.example");
    request.Clear();
    ExpectSame(request, reference);
}

}  // namespace
}  // namespace stepgate::adapters
