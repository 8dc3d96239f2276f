// Performance kept over months (性能监测 for the quarterly operation report). The process's latency
// histograms and error counters live in memory and start again with it; a PerformanceRecorder adds
// their growth since its last call to one row per local day and operation or store call
// (host_operation_day), so a quarter's latency and errors can be read back after restarts.
// docs/monitoring.md, "Kept performance".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "houqin/core/metrics.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::host {

/// One registry operation (or store call, named "store.<call>") on one local day.
struct OperationDay {
  Id id = 0;
  std::int64_t version = 0;
  std::string key;  // day|name
  Date day{};
  std::string name;  // "repair.transition", "store.select"
  std::int64_t calls = 0;
  std::int64_t errors = 0;  // operations that failed, any code
  double seconds = 0;       // the calls' total time
  /// Calls per latency bucket (metrics::latency_bounds, then +Inf), not cumulative.
  std::vector<std::int64_t> buckets;
};
BOOST_DESCRIBE_STRUCT(OperationDay, (),
                      (id, version, key, day, name, calls, errors, seconds, buckets))

/// Adds the growth of the process's operation and store histograms since its last record (or
/// the process's start) to the rows of the record's local day. One recorder per process.
class HOUQIN_EXPORT PerformanceRecorder {
 public:
  explicit PerformanceRecorder(store::Store& store, std::int32_t utc_offset_minutes = 480)
      : store_(store), offset_minutes_(utc_offset_minutes) {}
  /// Writes the growth in `now` (metrics::snapshot) in one transaction; returns the rows
  /// written. When the write fails the growth is kept for the next call.
  std::size_t record(const metrics::Snapshot& now);

 private:
  struct Totals {
    std::int64_t calls = 0;
    std::int64_t errors = 0;
    double seconds = 0;
    std::vector<std::int64_t> buckets;
  };
  store::Store& store_;
  std::int32_t offset_minutes_;
  std::map<std::string, Totals> recorded_;  // what the rows already hold of this process
};

/// One operation's figures over a span of days.
struct OperationStats {
  std::string name;
  std::int64_t calls = 0;
  std::int64_t errors = 0;
  std::optional<double> error_rate;  // errors / calls
  std::optional<double> mean_ms;
  std::optional<double> p95_ms;  // estimated from the buckets
  std::optional<double> p99_ms;
};
BOOST_DESCRIBE_STRUCT(OperationStats, (),
                      (name, calls, errors, error_rate, mean_ms, p95_ms, p99_ms))

/// The kept figures of every operation from `from` to `to` (local days, `to` exclusive), the
/// busiest first.
HOUQIN_EXPORT std::vector<OperationStats> operation_stats(store::Store& store, Date from, Date to);

HOUQIN_EXPORT std::vector<store::Migration> performance_migrations();

}  // namespace houqin::host

template <>
struct houqin::entity_traits<houqin::host::OperationDay> {
  static constexpr std::string_view table = "host_operation_day";
  static constexpr std::string_view collection = "operation_days";
  static constexpr std::array<std::string_view, 1> unique{"key"};
};

// Instantiated once, in libhouqin (src/host/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::host::OperationDay)
