#include "adapters/http_message.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <limits>
#include <optional>
#include <stdexcept>

namespace stepgate::adapters {

namespace bhttp = boost::beast::http;

namespace {

std::string_view TrimSpaces(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

// --- FieldList

FieldList::Iterator::Iterator(const FieldList* list, std::size_t index, bool all,
                              bhttp::field field, std::string_view name)
    : list_(list), index_(index), all_(all), field_(field), name_(name) {
    Settle();
}

FieldList::Iterator& FieldList::Iterator::operator++() {
    ++index_;
    Settle();
    return *this;
}

void FieldList::Iterator::Settle() {
    const auto& slots = list_->slots_;
    if (!all_) {
        while (index_ < slots.size() && !list_->Matches(slots[index_], field_, name_)) ++index_;
    }
    if (index_ < slots.size()) {
        const Slot& slot = slots[index_];
        current_ = FieldView(slot.name, list_->Text(slot, slot.name_string),
                             list_->Text(slot, slot.value));
    }
}

FieldList::FieldList(const FieldList& other)
    : text_(other.text_),
      slots_(other.slots_),
      field_sketch_(other.field_sketch_),
      length_sketch_(other.length_sketch_),
      borrowed_base_(other.borrowed_base_),
      borrowed_size_(other.borrowed_size_) {
    OwnBorrowedText();
}

FieldList& FieldList::operator=(const FieldList& other) {
    if (this != &other) {
        FieldList copy(other);
        *this = std::move(copy);
    }
    return *this;
}

void FieldList::OwnBorrowedText() {
    if (borrowed_base_ == nullptr) return;
    for (Slot& slot : slots_) {
        if (!slot.borrowed) continue;
        const std::string_view name = Text(slot, slot.name_string);
        const std::string_view value = Text(slot, slot.value);
        slot.name_string = Append(name);
        slot.value = Append(value);
        slot.borrowed = false;
    }
    borrowed_base_ = nullptr;
    borrowed_size_ = 0;
}

void FieldList::BorrowFrom(const char* begin, const char* end) {
    // Offsets are 32-bit; a parser's limits keep a head far below that.
    const bool usable =
        begin != nullptr && end >= begin &&
        static_cast<std::size_t>(end - begin) <= std::numeric_limits<std::uint32_t>::max();
    borrowed_base_ = usable ? begin : nullptr;
    borrowed_size_ = usable ? static_cast<std::size_t>(end - begin) : 0;
}

void FieldList::ClearFields() {
    borrowed_base_ = nullptr;
    borrowed_size_ = 0;
    text_.clear();
    slots_.clear();
    field_sketch_ = 0;
    length_sketch_ = 0;
}

FieldList::Span FieldList::Append(std::string_view text) {
    // The parser's limits keep a message far below 4 GiB; a hand-built one must too.
    if (text_.size() + text.size() > std::numeric_limits<std::uint32_t>::max())
        throw std::length_error("header fields too large");
    const Span span{static_cast<std::uint32_t>(text_.size()),
                    static_cast<std::uint32_t>(text.size())};
    text_.append(text);
    return span;
}

void FieldList::insert(bhttp::field name, std::string_view name_string, std::string_view value) {
    const Span name_span = Append(name_string);
    slots_.push_back(Slot{name, false, name_span, Append(TrimSpaces(value))});
    field_sketch_ |= Bit(static_cast<std::size_t>(name));
    length_sketch_ |= Bit(name_string.size());
}

void FieldList::insert_borrowed(bhttp::field name, std::string_view name_string,
                                std::string_view value) {
    value = TrimSpaces(value);
    // Inside [borrowed_base_, borrowed_base_ + borrowed_size_) or not borrowed at all. Compared
    // as integers: the text may come from an unrelated object.
    const auto offset = [this](std::string_view text) -> std::optional<Span> {
        if (borrowed_base_ == nullptr) return std::nullopt;
        const auto base = reinterpret_cast<std::uintptr_t>(borrowed_base_);
        const auto start = reinterpret_cast<std::uintptr_t>(text.data());
        if (start < base || start - base > borrowed_size_ ||
            text.size() > borrowed_size_ - (start - base)) {
            return std::nullopt;
        }
        return Span{static_cast<std::uint32_t>(start - base),
                    static_cast<std::uint32_t>(text.size())};
    };
    const std::optional<Span> name_span = offset(name_string);
    const std::optional<Span> value_span = offset(value);
    if (!name_span || !value_span) return insert(name, name_string, value);
    slots_.push_back(Slot{name, true, *name_span, *value_span});
    field_sketch_ |= Bit(static_cast<std::size_t>(name));
    length_sketch_ |= Bit(name_string.size());
}

void FieldList::insert(bhttp::field name, std::string_view value) {
    insert(name, bhttp::to_string(name), value);
}

void FieldList::insert(std::string_view name, std::string_view value) {
    insert(bhttp::string_to_field(name), name, value);
}

void FieldList::erase(bhttp::field name) {
    std::erase_if(slots_, [&](const Slot& slot) { return Matches(slot, name, {}); });
}

void FieldList::erase(std::string_view name) {
    if (!MayHoldLength(name.size())) return;
    const bhttp::field field = bhttp::string_to_field(name);
    std::erase_if(slots_, [&](const Slot& slot) { return Matches(slot, field, name); });
}

void FieldList::set(bhttp::field name, std::string_view value) {
    erase(name);
    insert(name, value);
}

void FieldList::set(std::string_view name, std::string_view value) {
    erase(name);
    insert(name, value);
}

bool FieldList::Matches(const Slot& slot, bhttp::field field, std::string_view name) const {
    if (field != bhttp::field::unknown) return slot.name == field;
    return slot.name == bhttp::field::unknown && slot.name_string.size == name.size() &&
           boost::beast::iequals(Text(slot, slot.name_string), name);
}

std::size_t FieldList::IndexOf(bhttp::field field, std::string_view name) const {
    if (!MayHold(field)) return slots_.size();
    std::size_t index = 0;
    while (index < slots_.size() && !Matches(slots_[index], field, name)) ++index;
    return index;
}

std::size_t FieldList::Count(bhttp::field field, std::string_view name) const {
    if (!MayHold(field)) return 0;
    return static_cast<std::size_t>(
        std::count_if(slots_.begin(), slots_.end(),
                      [&](const Slot& slot) { return Matches(slot, field, name); }));
}

std::pair<FieldList::Iterator, FieldList::Iterator> FieldList::equal_range(
    bhttp::field name) const {
    const Iterator last(this, slots_.size(), false, name, {});
    if (!MayHold(name)) return {last, last};
    return {Iterator(this, 0, false, name, {}), last};
}

std::pair<FieldList::Iterator, FieldList::Iterator> FieldList::equal_range(
    std::string_view name) const {
    if (!MayHoldLength(name.size())) {
        const Iterator last(this, slots_.size(), false, bhttp::field::unknown, name);
        return {last, last};
    }
    const bhttp::field field = bhttp::string_to_field(name);
    const Iterator last(this, slots_.size(), false, field, name);
    if (!MayHold(field)) return {last, last};
    return {Iterator(this, 0, false, field, name), last};
}

std::size_t FieldList::count(bhttp::field name) const { return Count(name, {}); }

std::size_t FieldList::count(std::string_view name) const {
    if (!MayHoldLength(name.size())) return 0;
    return Count(bhttp::string_to_field(name), name);
}

FieldList::Iterator FieldList::find(bhttp::field name) const {
    return Iterator(this, IndexOf(name, {}), true, {}, {});
}

std::string_view FieldList::operator[](bhttp::field name) const {
    const std::size_t index = IndexOf(name, {});
    return index < slots_.size() ? Text(slots_[index], slots_[index].value) : std::string_view();
}

std::string_view FieldList::operator[](std::string_view name) const {
    if (!MayHoldLength(name.size())) return {};
    const std::size_t index = IndexOf(bhttp::string_to_field(name), name);
    return index < slots_.size() ? Text(slots_[index], slots_[index].value) : std::string_view();
}

// --- Request

Request::Request(bhttp::verb method, std::string_view target, unsigned version) {
    SetRequestLine(method, bhttp::to_string(method), target, version);
}

void Request::Clear() {
    ClearFields();
    line_.clear();
    method_size_ = 0;
    method_ = bhttp::verb::unknown;
    version_ = 11;
}

void Request::SetRequestLine(bhttp::verb method, std::string_view method_string,
                             std::string_view target, unsigned version) {
    method_ = method;
    line_.assign(method_string).append(target);
    method_size_ = method_string.size();
    version_ = version;
}

bool Request::keep_alive() const {
    const Iterator field = find(bhttp::field::connection);
    if (field == end()) return version_ >= 11;
    bhttp::token_list connection{field->value()};  // exists() is not const
    return version_ < 11 ? connection.exists("keep-alive") : !connection.exists("close");
}

// --- Response

void Response::Clear() {
    ClearFields();
    status_ = bhttp::status::ok;
    code_ = 200;
    version_ = 11;
    keep_alive_ = kFromVersion;
    body_.clear();
}

void Response::result(bhttp::status status) {
    status_ = status;
    code_ = static_cast<unsigned>(status);
}

void Response::result(unsigned code) {
    // The status line has room for three digits (Beast refuses the same way).
    if (code > 999) throw std::invalid_argument("invalid status code");
    status_ = bhttp::int_to_status(code);
    code_ = code;
}

std::string_view Response::reason() const { return bhttp::obsolete_reason(status_); }

}  // namespace stepgate::adapters
