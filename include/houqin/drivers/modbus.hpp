// The Modbus TCP / RTU driver on libmodbus: planned reads (plan.hpp), decoding (decode.hpp), and
// the robustness rules of docs/drivers.md: per-device response timeouts, resynchronisation after
// a timeout, reconnect with exponential backoff and jitter, exception codes mapped to quality.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
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

/// The counters of one connection, for tests and operations (Poller::status(), Python's
/// Poller.status()).
struct ModbusStats {
  std::uint64_t requests = 0;          // read requests sent
  std::uint64_t timeouts = 0;          // requests the device did not answer in its timeout
  std::uint64_t reconnects = 0;        // connections made again after one was lost or closed
  std::uint64_t connects = 0;          // successful connects (the first one included)
  std::uint64_t connect_failures = 0;  // failed connects
  std::uint64_t resyncs = 0;           // flushes or reconnects after a timeout or a garbled frame
  /// Answers refused as not the request's: another transaction or unit id, function code or
  /// quantity, a length that does not match the frame, a bad CRC (a device or gateway that lies).
  std::uint64_t bad_frames = 0;
  /// The latest failure of the connection or of one of its devices ("" until there is one); kept
  /// after the connection recovers, so an operator sees what happened last.
  std::string last_error;
  std::optional<Timestamp> last_error_time;
};
BOOST_DESCRIBE_STRUCT(ModbusStats, (),
                      (requests, timeouts, reconnects, connects, connect_failures, resyncs,
                       bad_frames, last_error, last_error_time))

/// What the last poll of one device came to.
struct DeviceStatus {
  Id device_id = 0;
  std::string device;  // its name
  /// good when every reading was good; otherwise the quality of the first failure of the poll.
  Quality quality = Quality::comm_fail;
  std::string error;                   // what that failure was ("" when good)
  std::optional<Timestamp> polled_at;  // none before the first poll
};
BOOST_DESCRIBE_STRUCT(DeviceStatus, (), (device_id, device, quality, error, polled_at))

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
  /// The last poll of devices()[device].
  const DeviceStatus& status(std::size_t device) const;
  bool connected() const noexcept;
  /// "tcp 127.0.0.1:502" or "rtu /dev/ttyUSB0": how messages and status name the connection.
  const std::string& connection() const noexcept;

 private:
  struct Impl;
  std::vector<DeviceMap> devices_;
  std::unique_ptr<Impl> impl_;
  ModbusStats stats_;
};

/// One connection of a Poller: its counters and its devices' last polls.
struct ConnectionStatus {
  std::string connection;  // "tcp 127.0.0.1:502", "rtu /dev/ttyUSB0"
  bool connected = false;
  ModbusStats stats;
  std::vector<DeviceStatus> devices;
};
BOOST_DESCRIBE_STRUCT(ConnectionStatus, (), (connection, connected, stats, devices))

/// Reads a whole point map once per poll() call on the caller's thread, one ModbusDriver per
/// connection (its request planning, timeouts and reconnect backoff). For scripts and tests;
/// a service polls continuously with Acquisition. Not thread-safe: one caller at a time.
class HOUQIN_EXPORT Poller {
 public:
  /// Validates the map (Error(invalid_argument) naming a bad entry); connects at the first poll.
  explicit Poller(const PointMap& map, const Clock& clock = system_clock(),
                  ModbusOptions options = {});
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  /// Reads every device once, connection by connection: one Reading per point (string points
  /// included), devices in connection order. Failures are qualities (see status() for why).
  const std::vector<Reading>& poll();
  /// Every connection's counters and the last poll of each of its devices.
  std::vector<ConnectionStatus> status() const;
  /// Read requests sent so far, over every connection.
  std::uint64_t requests() const noexcept;

 private:
  std::vector<std::unique_ptr<ModbusDriver>> drivers_;
  std::vector<Reading> readings_, device_readings_;
};

/// The DriverFactory for Modbus (what Acquisition uses by default).
HOUQIN_EXPORT DriverFactory modbus_factory(ModbusOptions options = {});

}  // namespace houqin::drivers
