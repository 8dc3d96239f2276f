// Self-monitoring (性能监测): the library measures itself. Latency histograms (every registry
// operation, every store call), counters (operation errors by code) and values read when asked
// (pipeline queue depth and throughput, consumer lag, Modbus connection health, registered by the
// components that own them). One process-wide registry; a described snapshot for the C ABI and
// Python (operation monitor.metrics) and the Prometheus text format (monitor.prometheus).
//
// Recording is lock-free: a histogram is a fixed array of atomic bucket counts found once per
// call site (or once per operation) and kept; observing costs two clock reads and three relaxed
// atomic adds. docs/monitoring.md lists the metrics.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/time.hpp"

namespace houqin::metrics {

using Labels = std::map<std::string, std::string>;

/// Upper bounds of the latency buckets, in seconds (100 µs to 10 s; +Inf is implied).
inline constexpr std::array<double, 16> latency_bounds{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

class HOUQIN_EXPORT Histogram {
 public:
  void observe(std::chrono::nanoseconds elapsed) noexcept;
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  friend struct Access;
  std::array<std::atomic<std::uint64_t>, latency_bounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

class HOUQIN_EXPORT Counter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down (a connection up or down, a queue's depth).
class HOUQIN_EXPORT Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// The histogram `name` with `labels`, created on first use and kept for the process's life: look
/// it up once and keep the reference. `help` is the metric's one-line description.
HOUQIN_EXPORT Histogram& histogram(std::string_view name, std::string_view help,
                                   const Labels& labels = {});
HOUQIN_EXPORT Counter& counter(std::string_view name, std::string_view help,
                               const Labels& labels = {});

HOUQIN_EXPORT Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});

/// Off: timers record nothing (for measuring the cost of measuring; on by default).
HOUQIN_EXPORT void set_enabled(bool on) noexcept;
HOUQIN_EXPORT bool enabled() noexcept;

/// Times a scope into a histogram.
class Timer {
 public:
  explicit Timer(Histogram& h) noexcept
      : h_(enabled() ? &h : nullptr),
        start_(h_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{}) {}
  ~Timer() {
    if (h_) h_->observe(std::chrono::steady_clock::now() - start_);
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

 private:
  Histogram* h_;
  std::chrono::steady_clock::time_point start_;
};

// ---- the snapshot ----

BOOST_DEFINE_ENUM_CLASS(Kind, counter, gauge)

/// A counter or gauge at the moment of the snapshot.
struct Value {
  std::string name;
  Kind kind = Kind::gauge;
  std::string help;
  Labels labels;
  double value = 0;
};
BOOST_DESCRIBE_STRUCT(Value, (), (name, kind, help, labels, value))

struct Bucket {
  double le = 0;  // upper bound in seconds; the last bucket's is +Inf, written as -1 in JSON
  std::uint64_t count = 0;  // cumulative: observations <= le
};
BOOST_DESCRIBE_STRUCT(Bucket, (), (le, count))

struct HistogramValue {
  std::string name;
  std::string help;
  Labels labels;
  std::uint64_t count = 0;
  double sum_seconds = 0;
  std::optional<double> p50_seconds;  // estimated from the buckets (linear within one)
  std::optional<double> p99_seconds;
  std::vector<Bucket> buckets;
};
BOOST_DESCRIBE_STRUCT(HistogramValue, (),
                      (name, help, labels, count, sum_seconds, p50_seconds, p99_seconds, buckets))

struct Snapshot {
  Timestamp at{};
  std::vector<Value> values;
  std::vector<HistogramValue> histograms;
};
BOOST_DESCRIBE_STRUCT(Snapshot, (), (at, values, histograms))

/// What a collector adds at snapshot time: values read from the component that owns them.
using Collector = std::function<void(std::vector<Value>& out)>;

/// Keeps a collector registered while it lives.
class HOUQIN_EXPORT Registration {
 public:
  Registration() = default;
  explicit Registration(std::uint64_t id) : id_(id) {}
  Registration(Registration&& other) noexcept : id_(std::exchange(other.id_, 0)) {}
  Registration& operator=(Registration&& other) noexcept;
  ~Registration();

 private:
  std::uint64_t id_ = 0;
};

/// Registers a collector; it is called from the thread taking a snapshot, so it must only read
/// what is safe to read from another thread (atomics, a status under its mutex).
[[nodiscard]] HOUQIN_EXPORT Registration collect(Collector collector);

/// Every histogram with observations, every counter, and what the collectors report, in name
/// order. `at` is given by the caller (the store's clock).
HOUQIN_EXPORT Snapshot snapshot(Timestamp at);

/// The q-quantile (0..1) of a histogram estimated from its cumulative buckets (linear within
/// one); nullopt when it has no observations.
HOUQIN_EXPORT std::optional<double> quantile(const std::vector<Bucket>& buckets,
                                             std::uint64_t count, double q);

/// The Prometheus text exposition format (version 0.0.4) of a snapshot: # HELP and # TYPE once
/// per name, histograms as _bucket{le=...}, _sum and _count.
HOUQIN_EXPORT std::string prometheus(const Snapshot& snapshot);

}  // namespace houqin::metrics
