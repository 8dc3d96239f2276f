// Sequence of events (SOE) for breakers and switches: every position change of a switching
// device, in the order of the device's own timestamps, kept in telemetry_soe. After a trip the
// order of operations (which breaker opened first) is what an engineer reads.
#pragma once

#include <span>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/store/store.hpp"
#include "houqin/telemetry/sample.hpp"
#include "houqin/telemetry/soe.hpp"
#include "houqin/telemetry/verify.hpp"

namespace houqin::power {

/// The row type of telemetry_soe (houqin/telemetry/soe.hpp).
using SoeEvent = telemetry::SoeEvent;

/// Detects position changes of the configured switching points in a stream of samples. The
/// first sample of a point only sets its position; samples not good (quality or flag fail) are
/// skipped; a sample older than the point's last one is ignored (a late duplicate).
class HOUQIN_EXPORT SoeRecorder {
 public:
  void configure(std::span<const Id> points);
  /// Appends the changes found in `samples` to `out`, sorted by device time (ties keep the order
  /// of arrival).
  void detect(std::span<const telemetry::Sample> samples, std::vector<SoeEvent>& out);
  /// Stores events in one transaction.
  static void persist(store::Store& store, std::span<SoeEvent> events);
  /// The stored log of a point (or all points when point_id is 0) from `from_us`, in time order.
  static std::vector<SoeEvent> read(store::Store& store, Id point_id, std::int64_t from_us = 0);

 private:
  telemetry::PointIndex index_;
  std::vector<std::int64_t> state_;
  std::vector<telemetry::Micros> time_;
  std::vector<bool> known_;
};

}  // namespace houqin::power
