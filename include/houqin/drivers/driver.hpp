// The acquisition plug-in point. A Driver serves one connection (a TCP endpoint or a serial line)
// and the devices behind it, and is used by one thread only; Acquisition runs one thread per
// connection, so a dead or slow device only ever delays the devices sharing its wire.
// Vendors add a protocol by implementing Driver and passing a DriverFactory.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "houqin/core/clock.hpp"
#include "houqin/core/export.hpp"
#include "houqin/drivers/point_map.hpp"
#include "houqin/drivers/reading.hpp"

namespace houqin::drivers {

/// A device with its points, as a driver receives it.
struct DeviceMap {
  Device device;
  std::vector<Point> points;
};

class HOUQIN_EXPORT Driver {
 public:
  virtual ~Driver();
  /// Reads every point of devices()[device] once and writes one Reading per point into `out`
  /// (resized to that device's point count, in its point order). Failures of the device or the
  /// link are qualities, never exceptions.
  virtual void poll(std::size_t device, std::vector<Reading>& out) = 0;
  virtual std::span<const DeviceMap> devices() const = 0;
};

/// Makes the driver for one connection's devices; called on the thread that will use it.
using DriverFactory =
    std::function<std::unique_ptr<Driver>(std::vector<DeviceMap> devices, const Clock& clock)>;

/// Groups a map's devices by connection: tcp host:port, or rtu serial device. Devices keep their
/// points; groups and devices keep the map's order.
HOUQIN_EXPORT std::vector<std::vector<DeviceMap>> group_by_connection(const PointMap& map);

/// Receives each poll's readings for one device. Called on the connection's thread, so it must
/// be thread-safe and quick (hand the readings to a queue; do not store them here).
using ReadingSink = std::function<void(const Device& device, std::span<const Reading> readings)>;

/// One device's readings of one poll.
struct ReadingBatch {
  Id device_id = 0;
  std::vector<Reading> readings;
};

/// A bounded queue from the acquisition threads to one consumer. Pushing never blocks a poller:
/// when the queue is full the oldest batch is dropped (fresh readings matter more) and counted.
class HOUQIN_EXPORT ReadingQueue {
 public:
  explicit ReadingQueue(std::size_t capacity);
  void push(const Device& device, std::span<const Reading> readings);
  /// The oldest batch, waiting up to `timeout` for one; nullopt when none came.
  std::optional<ReadingBatch> pop(std::chrono::milliseconds timeout);
  /// A sink for Acquisition that pushes here; the queue must outlive the Acquisition.
  ReadingSink sink();
  std::size_t size() const;
  std::size_t dropped() const noexcept { return dropped_.load(); }

 private:
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<ReadingBatch> batches_;
  std::atomic<std::size_t> dropped_{0};
};

struct AcquisitionOptions {
  const Clock* clock = &system_clock();  // reading times and reconnect backoff
  DriverFactory factory;                 // empty: the Modbus driver
};

/// Polls every device of a map at its poll interval, one thread per connection, until stopped.
class HOUQIN_EXPORT Acquisition {
 public:
  /// Validates the map; polling starts at once.
  Acquisition(const PointMap& map, ReadingSink sink, AcquisitionOptions options = {});
  ~Acquisition();  // stops
  Acquisition(const Acquisition&) = delete;
  Acquisition& operator=(const Acquisition&) = delete;

  /// Stops every thread; waits at most about one response timeout per connection.
  void stop() noexcept;
  std::size_t connections() const noexcept { return threads_.size(); }
  /// Exceptions thrown by the sink or the driver factory (counted, otherwise ignored).
  std::size_t sink_errors() const noexcept { return sink_errors_.load(); }

 private:
  void run(std::vector<DeviceMap> devices);

  ReadingSink sink_;
  AcquisitionOptions options_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> sink_errors_{0};
  std::vector<std::thread> threads_;
};

}  // namespace houqin::drivers
