#include "jose/strict_json.h"

#include <string>
#include <utility>
#include <vector>

namespace stepgate::jose::detail {
namespace {

using Json = nlohmann::json;

// A SAX handler that builds the DOM like nlohmann's own json_sax_dom_parser, and in addition
// refuses a member name already present in the object being built. Returning false from any
// callback stops the parse, and sax_parse then returns false.
class StrictDomBuilder {
 public:
    explicit StrictDomBuilder(Json& root) : root_(root) { stack_.reserve(8); }

    bool null() { return Value(nullptr); }
    bool boolean(bool value) { return Value(value); }
    bool number_integer(Json::number_integer_t value) { return Value(value); }
    bool number_unsigned(Json::number_unsigned_t value) { return Value(value); }
    bool number_float(Json::number_float_t value, const Json::string_t& /*text*/) {
        return Value(value);
    }
    bool string(Json::string_t& value) { return Value(std::move(value)); }
    bool binary(Json::binary_t& /*value*/) { return false; }  // not JSON text

    bool start_object(std::size_t /*size*/) { return Open(Json::value_t::object); }
    bool end_object() { return Close(); }
    bool start_array(std::size_t /*size*/) { return Open(Json::value_t::array); }
    bool end_array() { return Close(); }

    bool key(Json::string_t& name) {
        auto& object = stack_.back()->get_ref<Json::object_t&>();
        auto [it, inserted] = object.try_emplace(std::move(name));
        if (!inserted) return false;  // RFC 8725 §2.8 / RFC 7515 §5.2: duplicate member name
        member_ = &it->second;
        return true;
    }

    bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                     const nlohmann::detail::exception& /*error*/) {
        return false;
    }

 private:
    template <class V>
    Json* Place(V&& value) {
        if (stack_.empty()) {
            root_ = Json(std::forward<V>(value));
            return &root_;
        }
        Json* parent = stack_.back();
        if (parent->is_array()) {
            auto& array = parent->get_ref<Json::array_t&>();
            array.emplace_back(std::forward<V>(value));
            return &array.back();
        }
        *member_ = Json(std::forward<V>(value));
        return member_;
    }

    template <class V>
    bool Value(V&& value) {
        Place(std::forward<V>(value));
        return true;
    }

    bool Open(Json::value_t type) {
        if (stack_.size() >= kMaxJsonDepth) return false;
        stack_.push_back(Place(type));
        return true;
    }

    bool Close() {
        stack_.pop_back();
        return true;
    }

    Json& root_;
    std::vector<Json*> stack_;
    Json* member_ = nullptr;
};

}  // namespace

std::optional<nlohmann::json> ParseStrictJson(std::string_view text) noexcept {
    try {
        Json root;
        StrictDomBuilder builder(root);
        const char* begin = text.data();
        const char* end = begin + text.size();
        if (!Json::sax_parse(begin, end, &builder, Json::input_format_t::json, /*strict=*/true,
                             /*ignore_comments=*/false)) {
            return std::nullopt;
        }
        return root;
    } catch (...) {  // bad_alloc, or anything nlohmann might still throw: not JSON for us
        return std::nullopt;
    }
}

std::optional<nlohmann::json> ParseStrictJsonObject(std::string_view text) noexcept {
    auto parsed = ParseStrictJson(text);
    if (!parsed || !parsed->is_object()) return std::nullopt;
    return parsed;
}

}  // namespace stepgate::jose::detail
