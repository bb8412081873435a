// Result<T, E>: a value or an error, shaped like C++23 std::expected so that it can be
// swapped for it later. Outcomes are not errors (see STYLE.md); this carries "could not".
#pragma once

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace stepgate {

template <class E>
struct Unexpected {
    E error;
};

template <class E>
Unexpected(E) -> Unexpected<E>;

template <class E>
[[nodiscard]] Unexpected<std::decay_t<E>> MakeError(E&& error) {
    return Unexpected<std::decay_t<E>>{std::forward<E>(error)};
}

template <class T, class E = std::string>
class [[nodiscard]] Result {
 public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
    template <class G>
    Result(Unexpected<G> error)  // NOLINT: implicit, like std::unexpected
        : state_(std::in_place_index<1>, E(std::move(error.error))) {}

    bool has_value() const { return state_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        assert(has_value());
        return std::get<0>(state_);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(state_);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(state_));
    }
    const E& error() const {
        assert(!has_value());
        return std::get<1>(state_);
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

 private:
    std::variant<T, E> state_;
};

// Result of an operation that yields nothing but may fail.
struct Ok {};

template <class E = std::string>
using Status = Result<Ok, E>;

}  // namespace stepgate
