// Time is injected: only SystemClock reads the real clock (STYLE.md habit 4).
#pragma once

#include <cstdint>

namespace stepgate {

using UnixSeconds = std::int64_t;

class Clock {
 public:
    virtual ~Clock() = default;
    virtual UnixSeconds Now() const = 0;
};

class SystemClock final : public Clock {
 public:
    UnixSeconds Now() const override;
};

class FixedClock final : public Clock {
 public:
    explicit FixedClock(UnixSeconds now) : now_(now) {}
    UnixSeconds Now() const override { return now_; }
    void Set(UnixSeconds now) { now_ = now; }
    void Advance(UnixSeconds seconds) { now_ += seconds; }

 private:
    UnixSeconds now_;
};

}  // namespace stepgate
