#include "adapters/request.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <limits>
#include <stdexcept>

namespace stepgate::adapters {

namespace bhttp = boost::beast::http;

Request::FieldIterator::FieldIterator(const Request* request, std::size_t index, bhttp::field field,
                                      std::string_view name)
    : request_(request), index_(index), field_(field), name_(name) {
    Settle();
}

Request::FieldIterator& Request::FieldIterator::operator++() {
    ++index_;
    Settle();
    return *this;
}

void Request::FieldIterator::Settle() {
    const auto& fields = request_->fields_;
    while (index_ < fields.size() && !request_->Matches(fields[index_], field_, name_)) ++index_;
    if (index_ < fields.size()) {
        const Slot& slot = fields[index_];
        current_ =
            FieldView(slot.name, request_->Text(slot.name_string), request_->Text(slot.value));
    }
}

Request::Request(bhttp::verb method, std::string_view target, unsigned version) {
    SetRequestLine(method, bhttp::to_string(method), target, version);
}

void Request::Clear() {
    text_.clear();
    fields_.clear();
    method_ = bhttp::verb::unknown;
    method_string_ = {};
    target_ = {};
    version_ = 11;
}

void Request::SetRequestLine(bhttp::verb method, std::string_view method_string,
                             std::string_view target, unsigned version) {
    method_ = method;
    method_string_ = Append(method_string);
    target_ = Append(target);
    version_ = version;
}

Request::Span Request::Append(std::string_view text) {
    // The parser's limits keep a request far below 4 GiB; a hand-built one must too.
    if (text_.size() + text.size() > std::numeric_limits<std::uint32_t>::max())
        throw std::length_error("request too large");
    const Span span{static_cast<std::uint32_t>(text_.size()),
                    static_cast<std::uint32_t>(text.size())};
    text_.append(text);
    return span;
}

void Request::insert(bhttp::field name, std::string_view name_string, std::string_view value) {
    const Span name_span = Append(name_string);
    fields_.push_back(Slot{name, name_span, Append(value)});
}

void Request::insert(bhttp::field name, std::string_view value) {
    insert(name, bhttp::to_string(name), value);
}

void Request::insert(std::string_view name, std::string_view value) {
    insert(bhttp::string_to_field(name), name, value);
}

void Request::Erase(bhttp::field field, std::string_view name) {
    std::erase_if(fields_, [&](const Slot& slot) { return Matches(slot, field, name); });
}

void Request::set(bhttp::field name, std::string_view value) {
    Erase(name, {});
    insert(name, value);
}

void Request::set(std::string_view name, std::string_view value) {
    Erase(bhttp::string_to_field(name), name);
    insert(name, value);
}

bool Request::Matches(const Slot& slot, bhttp::field field, std::string_view name) const {
    if (field != bhttp::field::unknown) return slot.name == field;
    return slot.name == bhttp::field::unknown && slot.name_string.size == name.size() &&
           boost::beast::iequals(Text(slot.name_string), name);
}

std::pair<Request::FieldIterator, Request::FieldIterator> Request::equal_range(
    bhttp::field name) const {
    return {FieldIterator(this, 0, name, {}), FieldIterator(this, fields_.size(), name, {})};
}

std::pair<Request::FieldIterator, Request::FieldIterator> Request::equal_range(
    std::string_view name) const {
    const bhttp::field field = bhttp::string_to_field(name);
    return {FieldIterator(this, 0, field, name), FieldIterator(this, fields_.size(), field, name)};
}

std::string_view Request::operator[](bhttp::field name) const {
    for (const Slot& slot : fields_) {
        if (slot.name == name) return Text(slot.value);
    }
    return {};
}

std::string_view Request::operator[](std::string_view name) const {
    const bhttp::field field = bhttp::string_to_field(name);
    for (const Slot& slot : fields_) {
        if (Matches(slot, field, name)) return Text(slot.value);
    }
    return {};
}

bool Request::keep_alive() const {
    const std::string_view connection = (*this)[bhttp::field::connection];
    const bool present = std::any_of(fields_.begin(), fields_.end(), [](const Slot& slot) {
        return slot.name == bhttp::field::connection;
    });
    if (version_ < 11) return present && bhttp::token_list{connection}.exists("keep-alive");
    return !present || !bhttp::token_list{connection}.exists("close");
}

}  // namespace stepgate::adapters
