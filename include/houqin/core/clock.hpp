// The injectable clock. Every SLA, schedule, storage limit and retention rule reads a Clock, so
// tests can run years of hospital time in milliseconds with a ManualClock.
#pragma once

#include <atomic>

#include "houqin/core/export.hpp"
#include "houqin/core/time.hpp"

namespace houqin {

class HOUQIN_EXPORT Clock {
 public:
  virtual ~Clock();
  virtual Timestamp now() const = 0;
};

/// Wall-clock time (std::chrono::system_clock, UTC).
class HOUQIN_EXPORT SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

/// Time that moves only when told to. Thread-safe: a test thread may advance it while others read.
class HOUQIN_EXPORT ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start);
  Timestamp now() const override;
  void set(Timestamp t);
  void advance(std::chrono::microseconds by);

 private:
  std::atomic<std::int64_t> micros_;
};

/// The process-wide system clock, the default wherever no clock is given.
HOUQIN_EXPORT const Clock& system_clock();

}  // namespace houqin
