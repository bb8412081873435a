// A value that one thread publishes now and then (a config snapshot, a key set) and every
// request thread reads. Readers keep a thread-local copy and look at one atomic version number
// per read; only when a newer value was published do they take the lock. That keeps the hot
// path free of shared reference-count traffic and of std::atomic<std::shared_ptr>, whose
// lock-bit implementation in libstdc++ 12 ThreadSanitizer cannot see through.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace stepgate {

namespace detail {
// Unique across every Published<T> of the process, so a stale thread-local copy of another
// (perhaps destroyed) instance can never pass for current.
inline std::atomic<std::uint64_t> g_next_publication{1};
}  // namespace detail

template <class T>
class Published {
 public:
    Published() = default;
    explicit Published(std::shared_ptr<const T> value) { Publish(std::move(value)); }

    void Publish(std::shared_ptr<const T> value) {
        std::lock_guard lock(mutex_);
        value_ = std::move(value);
        version_.store(detail::g_next_publication.fetch_add(1), std::memory_order_release);
    }

    // The newest value, as a reference to this thread's copy: valid until this thread next
    // calls Current() on a Published<T> (copy it to keep it longer).
    const std::shared_ptr<const T>& Current() const {
        thread_local Slot slot;
        const std::uint64_t version = version_.load(std::memory_order_acquire);
        if (slot.version != version) {
            std::lock_guard lock(mutex_);
            slot.value = value_;
            slot.version = version_.load(std::memory_order_relaxed);
        }
        return slot.value;
    }

 private:
    struct Slot {
        std::uint64_t version = 0;
        std::shared_ptr<const T> value;
    };
    mutable std::mutex mutex_;
    std::shared_ptr<const T> value_;
    std::atomic<std::uint64_t> version_{0};
};

}  // namespace stepgate
