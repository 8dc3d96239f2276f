// The Modbus TCP / RTU driver on libmodbus: planned reads (plan.hpp), decoding (decode.hpp), and
// the robustness rules of docs/drivers.md: per-device response timeouts, resynchronisation after
// a timeout, reconnect with exponential backoff and jitter, exception codes mapped to quality.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "houqin/core/clock.hpp"
#include "houqin/drivers/driver.hpp"
#include "houqin/drivers/plan.hpp"

namespace houqin::drivers {

struct BackoffPolicy {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{30000};
  double multiplier = 2;
  double jitter = 0.2;  // each delay is scaled by a uniform factor in [1 - jitter, 1 + jitter]
};

/// Exponential backoff with jitter, so that many clients cut off together do not reconnect in
/// lockstep. Deterministic for a given seed.
class HOUQIN_EXPORT Backoff {
 public:
  explicit Backoff(BackoffPolicy policy = {}, std::uint64_t seed = std::random_device{}());
  /// The delay before the next attempt after one more failure.
  std::chrono::microseconds next();
  void reset() noexcept { failures_ = 0; }
  int failures() const noexcept { return failures_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
  int failures_ = 0;
};

struct ModbusOptions {
  BackoffPolicy backoff;
  std::uint64_t seed = std::random_device{}();
  int busy_retries = 2;  // further attempts after a "device busy" exception
  std::chrono::milliseconds busy_delay{20};
  PlanLimits limits;
  bool request_per_point = false;  // no planning: one request per point (for comparison only)
};

/// The quality a failed libmodbus call's errno stands for (see docs/drivers.md).
HOUQIN_EXPORT Quality quality_for_error(int modbus_errno) noexcept;
/// True when the error leaves the link in an unknown state (timeout, garbled or foreign frame,
/// lost connection) and it must be resynchronised; false for Modbus exception responses.
HOUQIN_EXPORT bool is_link_error(int modbus_errno) noexcept;

/// Counters for tests and operations.
struct ModbusStats {
  std::uint64_t requests = 0;          // read requests sent
  std::uint64_t connects = 0;          // successful connects
  std::uint64_t connect_failures = 0;  // failed connects
  std::uint64_t timeouts = 0;
  std::uint64_t resyncs = 0;  // flushes or reconnects after a timeout or a garbled frame
};

/// One libmodbus context for one connection; use from one thread only. All devices must share
/// the connection (same tcp host:port, or same serial line settings).
class HOUQIN_EXPORT ModbusDriver final : public Driver {
 public:
  ModbusDriver(std::vector<DeviceMap> devices, const Clock& clock = system_clock(),
               ModbusOptions options = {});
  ~ModbusDriver() override;

  void poll(std::size_t device, std::vector<Reading>& out) override;
  std::span<const DeviceMap> devices() const override { return devices_; }

  /// The planned read requests of devices()[device].
  const std::vector<ReadRequest>& plan(std::size_t device) const;
  const ModbusStats& stats() const noexcept { return stats_; }
  bool connected() const noexcept;

 private:
  struct Impl;
  std::vector<DeviceMap> devices_;
  std::unique_ptr<Impl> impl_;
  ModbusStats stats_;
};

/// The DriverFactory for Modbus (what Acquisition uses by default).
HOUQIN_EXPORT DriverFactory modbus_factory(ModbusOptions options = {});

}  // namespace houqin::drivers
