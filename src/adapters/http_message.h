// The request head the adapters decide on and the response they build, with the parts of
// Beast's message API they use (operator[], equal_range, set/insert, keep_alive, result, body).
// Fields live in one reused text buffer and a flat list: filling and clearing a message per
// request allocates nothing once the buffers have grown, where Beast's basic_fields allocates a
// node per field and keeps a tree; a parsed request's fields even stay in the bytes they were
// read into (BorrowFrom). A request keeps no body: no endpoint reads one. Pure: no sockets.
#pragma once

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stepgate::adapters {

// Header fields in arrival order; names compare case-insensitively (RFC 9110 §5.1).
class FieldList {
 public:
    // One field, as the iterators show it.
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

    // Walks the fields from a position, all of them or only those with one name.
    class Iterator {
     public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = FieldView;
        using difference_type = std::ptrdiff_t;
        using pointer = const FieldView*;
        using reference = const FieldView&;

        Iterator() = default;
        const FieldView& operator*() const { return current_; }
        const FieldView* operator->() const { return &current_; }
        Iterator& operator++();
        bool operator==(const Iterator& other) const { return index_ == other.index_; }
        bool operator!=(const Iterator& other) const { return index_ != other.index_; }

     private:
        friend class FieldList;
        Iterator(const FieldList* list, std::size_t index, bool all,
                 boost::beast::http::field field, std::string_view name);
        void Settle();  // moves to the first field to show at or after index_
        const FieldList* list_ = nullptr;
        std::size_t index_ = 0;
        bool all_ = true;
        boost::beast::http::field field_ = boost::beast::http::field::unknown;
        std::string_view name_;  // compared when field_ is unknown
        FieldView current_;
    };

    FieldList() = default;
    // A copy owns all its text (see BorrowFrom); a move keeps borrowing from the same bytes.
    FieldList(const FieldList& other);
    FieldList& operator=(const FieldList& other);
    FieldList(FieldList&&) noexcept = default;
    FieldList& operator=(FieldList&&) noexcept = default;
    ~FieldList() = default;

    // Appends a field (repeated names are kept, in order). The value is trimmed of spaces and
    // tabs around it, as Beast does.
    void insert(boost::beast::http::field name, std::string_view name_string,
                std::string_view value);
    void insert(boost::beast::http::field name, std::string_view value);
    void insert(std::string_view name, std::string_view value);
    // The parser's way in: the name and value stay where they are when both lie inside the
    // bytes given to BorrowFrom, and are copied otherwise (Beast hands a folded value over
    // from a buffer of its own, valid only during the call).
    void insert_borrowed(boost::beast::http::field name, std::string_view name_string,
                         std::string_view value);
    // Borrowed fields point into [begin, end): the connection's read buffer, as given to the
    // parser. The owner must call OwnBorrowedText() before those bytes move or change, and
    // Clear() drops the borrowing. Saves copying the head (a bearer token is ~1 KB) for every
    // request.
    void BorrowFrom(const char* begin, const char* end);
    void OwnBorrowedText();
    bool borrows() const { return borrowed_base_ != nullptr; }
    // Replaces every field of this name with one.
    void set(boost::beast::http::field name, std::string_view value);
    void set(std::string_view name, std::string_view value);
    void erase(boost::beast::http::field name);
    void erase(std::string_view name);

    // The first value of the field, or empty.
    std::string_view operator[](boost::beast::http::field name) const;
    std::string_view operator[](std::string_view name) const;
    std::pair<Iterator, Iterator> equal_range(boost::beast::http::field name) const;
    std::pair<Iterator, Iterator> equal_range(std::string_view name) const;
    std::size_t count(boost::beast::http::field name) const;
    std::size_t count(std::string_view name) const;
    // Every field in order; find() is the first of a name, and ++ from it goes on over all.
    Iterator begin() const { return Iterator(this, 0, true, {}, {}); }
    Iterator end() const { return Iterator(this, slots_.size(), true, {}, {}); }
    Iterator find(boost::beast::http::field name) const;
    std::size_t field_count() const { return slots_.size(); }
    // Bytes held for field storage, kept across Clear() for the next message.
    std::size_t held_bytes() const { return text_.capacity() + slots_.capacity() * sizeof(Slot); }

 protected:
    void ClearFields();  // keeps the buffers

 private:
    struct Span {
        std::uint32_t offset = 0;
        std::uint32_t size = 0;
    };
    struct Slot {
        boost::beast::http::field name;
        bool borrowed = false;  // the spans are offsets from borrowed_base_, not into text_
        Span name_string;
        Span value;
    };

    Span Append(std::string_view text);
    std::string_view Text(const Slot& slot, Span span) const {
        return std::string_view((slot.borrowed ? borrowed_base_ : text_.data()) + span.offset,
                                span.size);
    }
    bool Matches(const Slot& slot, boost::beast::http::field field, std::string_view name) const;
    std::size_t IndexOf(boost::beast::http::field field, std::string_view name) const;
    std::size_t Count(boost::beast::http::field field, std::string_view name) const;

    // Two 64-bit sketches of the names held, by field code and by name length: a clear bit
    // is a sure absence, a set one may be another name's. Most lookups ask for a field the
    // request does not carry (X-Request-ID, X-Forwarded-For, ...) and end here, without
    // Beast's name lookup or a walk over the slots. erase() leaves them set.
    static std::uint64_t Bit(std::size_t n) { return std::uint64_t{1} << (n % 64); }
    bool MayHold(boost::beast::http::field field) const {
        return (field_sketch_ & Bit(static_cast<std::size_t>(field))) != 0;
    }
    bool MayHoldLength(std::size_t name_size) const {
        return (length_sketch_ & Bit(name_size)) != 0;
    }

    std::string text_;  // every name and value, back to back
    std::vector<Slot> slots_;
    std::uint64_t field_sketch_ = 0;
    std::uint64_t length_sketch_ = 0;
    const char* borrowed_base_ = nullptr;
    std::size_t borrowed_size_ = 0;
};

class Request : public FieldList {
 public:
    Request() = default;
    // A request built by hand (tests, tools): `Request request{verb::get, "/auth", 11};`.
    Request(boost::beast::http::verb method, std::string_view target, unsigned version);

    // Empties the request, keeping its buffers.
    void Clear();

    // The request line. A method Beast does not know is verb::unknown; method_string() has it.
    void SetRequestLine(boost::beast::http::verb method, std::string_view method_string,
                        std::string_view target, unsigned version);
    boost::beast::http::verb method() const { return method_; }
    std::string_view method_string() const {
        return std::string_view(line_).substr(0, method_size_);
    }
    std::string_view target() const { return std::string_view(line_).substr(method_size_); }
    unsigned version() const { return version_; }

    // RFC 9112 §9.3 as Beast's message::keep_alive() reads it: the first Connection field;
    // HTTP/1.1 persists unless it lists "close", HTTP/1.0 only if it lists "keep-alive".
    bool keep_alive() const;

 private:
    std::string line_;  // the method, then the target
    std::size_t method_size_ = 0;
    boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
    unsigned version_ = 11;
};

class Response : public FieldList {
 public:
    // 200, HTTP/1.1, no fields, no body, persistence from the version; buffers kept.
    void Clear();

    void result(boost::beast::http::status status);
    void result(unsigned code);
    boost::beast::http::status result() const { return status_; }
    unsigned result_int() const { return code_; }
    // The status line's reason phrase (RFC 9110 §15), or "<unknown-status>".
    std::string_view reason() const;

    void version(unsigned version) { version_ = version; }
    unsigned version() const { return version_; }

    // Whether the connection stays open after this answer. The server writes the Connection
    // field from it; until set, it follows the version (HTTP/1.1 persists, 1.0 does not).
    void keep_alive(bool keep_alive) { keep_alive_ = keep_alive ? kKeep : kClose; }
    bool keep_alive() const {
        return keep_alive_ == kFromVersion ? version_ >= 11 : keep_alive_ == kKeep;
    }

    std::string& body() { return body_; }
    const std::string& body() const { return body_; }

 private:
    enum Persistence : unsigned char { kFromVersion, kKeep, kClose };
    boost::beast::http::status status_ = boost::beast::http::status::ok;
    unsigned code_ = 200;
    unsigned version_ = 11;
    Persistence keep_alive_ = kFromVersion;
    std::string body_;
};

}  // namespace stepgate::adapters
