#include "houqin/core/clock.hpp"

namespace houqin {

Clock::~Clock() = default;

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

ManualClock::ManualClock(Timestamp start) : micros_(start.time_since_epoch().count()) {}

Timestamp ManualClock::now() const {
  return Timestamp{std::chrono::microseconds{micros_.load(std::memory_order_acquire)}};
}

void ManualClock::set(Timestamp t) {
  micros_.store(t.time_since_epoch().count(), std::memory_order_release);
}

void ManualClock::advance(std::chrono::microseconds by) {
  micros_.fetch_add(by.count(), std::memory_order_acq_rel);
}

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace houqin
