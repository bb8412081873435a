// The request head the adapters decide on: method, target, version and header fields, with the
// lookups of Beast's message (operator[], equal_range, keep_alive) that they use. Fields live in
// one reused text buffer and a flat list: filling and clearing it per request allocates nothing
// once the buffers have grown (Beast's basic_fields allocates a node per field and keeps a
// tree). The body is not kept: no endpoint reads one. Pure: no sockets.
#pragma once

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stepgate::adapters {

class Request {
 public:
    // One header field, as the iterators of equal_range() show it.
    class FieldView {
     public:
        FieldView() = default;
        FieldView(boost::beast::http::field name, std::string_view name_string,
                  std::string_view value)
            : name_(name), name_string_(name_string), value_(value) {}
        boost::beast::http::field name() const { return name_; }
        std::string_view name_string() const { return name_string_; }
        std::string_view value() const { return value_; }

     private:
        boost::beast::http::field name_ = boost::beast::http::field::unknown;
        std::string_view name_string_;
        std::string_view value_;
    };

    // Walks the fields with one name, in the order they arrived.
    class FieldIterator {
     public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = FieldView;
        using difference_type = std::ptrdiff_t;
        using pointer = const FieldView*;
        using reference = const FieldView&;

        FieldIterator() = default;
        FieldIterator(const Request* request, std::size_t index, boost::beast::http::field field,
                      std::string_view name);
        const FieldView& operator*() const { return current_; }
        const FieldView* operator->() const { return &current_; }
        FieldIterator& operator++();
        bool operator==(const FieldIterator& other) const { return index_ == other.index_; }
        bool operator!=(const FieldIterator& other) const { return index_ != other.index_; }

     private:
        void Settle();  // moves to the first matching field at or after index_
        const Request* request_ = nullptr;
        std::size_t index_ = 0;
        boost::beast::http::field field_ = boost::beast::http::field::unknown;
        std::string_view name_;  // used when field_ is unknown
        FieldView current_;
    };

    Request() = default;
    // A request built by hand (tests, tools): `Request request{verb::get, "/auth", 11};`.
    Request(boost::beast::http::verb method, std::string_view target, unsigned version);

    // Empties the request, keeping its buffers.
    void Clear();

    // The request line. A method Beast does not know is verb::unknown; method_string() has it.
    void SetRequestLine(boost::beast::http::verb method, std::string_view method_string,
                        std::string_view target, unsigned version);
    boost::beast::http::verb method() const { return method_; }
    std::string_view method_string() const { return Text(method_string_); }
    std::string_view target() const { return Text(target_); }
    unsigned version() const { return version_; }

    // Appends a field as received (repeated names are kept, in order).
    void insert(boost::beast::http::field name, std::string_view name_string,
                std::string_view value);
    void insert(boost::beast::http::field name, std::string_view value);
    void insert(std::string_view name, std::string_view value);
    // Replaces every field of this name with one.
    void set(boost::beast::http::field name, std::string_view value);
    void set(std::string_view name, std::string_view value);

    // The first value of the field, or empty.
    std::string_view operator[](boost::beast::http::field name) const;
    std::string_view operator[](std::string_view name) const;
    std::pair<FieldIterator, FieldIterator> equal_range(boost::beast::http::field name) const;
    std::pair<FieldIterator, FieldIterator> equal_range(std::string_view name) const;
    std::size_t field_count() const { return fields_.size(); }

    // RFC 9112 §9.3 as Beast's message::keep_alive() reads it: the first Connection field;
    // HTTP/1.1 persists unless it lists "close", HTTP/1.0 only if it lists "keep-alive".
    bool keep_alive() const;

 private:
    friend class FieldIterator;
    struct Span {
        std::uint32_t offset = 0;
        std::uint32_t size = 0;
    };
    struct Slot {
        boost::beast::http::field name;
        Span name_string;
        Span value;
    };

    Span Append(std::string_view text);
    std::string_view Text(Span span) const {
        return std::string_view(text_.data() + span.offset, span.size);
    }
    bool Matches(const Slot& slot, boost::beast::http::field field, std::string_view name) const;
    void Erase(boost::beast::http::field field, std::string_view name);

    std::string text_;  // every string of the request, back to back
    std::vector<Slot> fields_;
    boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
    Span method_string_;
    Span target_;
    unsigned version_ = 11;
};

}  // namespace stepgate::adapters
