#include "common/clock.h"

#include <ctime>

namespace stepgate {

UnixSeconds SystemClock::Now() const { return static_cast<UnixSeconds>(std::time(nullptr)); }

}  // namespace stepgate
