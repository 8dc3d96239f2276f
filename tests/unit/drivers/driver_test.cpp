// The plug-in point: a vendor's Driver runs under Acquisition like the Modbus one; devices are
// grouped by connection; a sink or factory that throws does not take polling down.
#include "houqin/drivers/driver.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "houqin/drivers/point_store.hpp"
#include "houqin/store/registry.hpp"

namespace houqin {
namespace {

using namespace houqin::drivers;
using namespace std::chrono_literals;

/// A vendor driver: every point reads the number of polls of its device so far.
class CountingDriver final : public Driver {
 public:
  CountingDriver(std::vector<DeviceMap> devices, const Clock& clock)
      : devices_(std::move(devices)), clock_(clock), polls_(devices_.size(), 0) {}
  void poll(std::size_t device, std::vector<Reading>& out) override {
    ++polls_[device];
    out.clear();
    for (const auto& p : devices_[device].points)
      out.push_back(
          Reading{p.id, clock_.now(), static_cast<double>(polls_[device]), {}, Quality::good});
  }
  std::span<const DeviceMap> devices() const override { return devices_; }

 private:
  std::vector<DeviceMap> devices_;
  const Clock& clock_;
  std::vector<int> polls_;
};

PointMap two_lines() {
  PointMap map;
  for (int i = 1; i <= 4; ++i) {
    Device d;
    d.id = i;
    d.name = "d" + std::to_string(i);
    if (i <= 2) {
      d.host = "10.0.0." + std::to_string(i);  // two TCP endpoints
    } else {
      d.transport = Transport::rtu;  // two slaves on one serial line
      d.serial_device = "/dev/ttyS1";
      d.unit_id = i;
    }
    d.poll_interval_ms = 20;
    map.devices.push_back(d);
    Point p;
    p.id = 10 * i;
    p.device_id = i;
    p.name = "p";
    map.points.push_back(p);
  }
  return map;
}

TEST(DriverTest, DevicesAreGroupedByConnection) {
  auto groups = group_by_connection(two_lines());
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].size(), 1u);
  EXPECT_EQ(groups[1].size(), 1u);
  ASSERT_EQ(groups[2].size(), 2u);
  EXPECT_EQ(groups[2][1].device.unit_id, 4);
  EXPECT_EQ(groups[2][1].points.front().id, 40);
}

TEST(DriverTest, AVendorDriverRunsUnderAcquisition) {
  ManualClock clock(parse_timestamp("2026-11-25T08:00:00Z"));
  std::mutex m;
  std::map<Id, double> last;  // point -> latest value
  std::atomic<int> created{0};
  AcquisitionOptions options;
  options.clock = &clock;
  options.factory = [&](std::vector<DeviceMap> devices, const Clock& c) -> std::unique_ptr<Driver> {
    ++created;
    return std::make_unique<CountingDriver>(std::move(devices), c);
  };
  {
    Acquisition acq(
        two_lines(),
        [&](const Device&, std::span<const Reading> rs) {
          std::lock_guard lock(m);
          for (const auto& r : rs) {
            EXPECT_EQ(r.quality, Quality::good);
            EXPECT_EQ(r.time, clock.now());
            last[r.point_id] = r.value;
          }
        },
        options);
    EXPECT_EQ(acq.connections(), 3u);
    std::this_thread::sleep_for(300ms);
  }
  EXPECT_EQ(created.load(), 3);  // one driver per connection
  std::lock_guard lock(m);
  ASSERT_EQ(last.size(), 4u);
  for (auto [id, polls] : last) EXPECT_GE(polls, 5) << id;  // ~15 at 20 ms
}

TEST(DriverTest, ThrowingSinksAndFactoriesAreCountedNotFatal) {
  AcquisitionOptions options;
  std::atomic<int> calls{0};
  options.factory = [&](std::vector<DeviceMap> devices, const Clock& c) -> std::unique_ptr<Driver> {
    if (devices.front().device.transport == Transport::rtu) throw std::runtime_error("no port");
    return std::make_unique<CountingDriver>(std::move(devices), c);
  };
  Acquisition acq(
      two_lines(),
      [&](const Device&, std::span<const Reading>) {
        ++calls;
        throw std::runtime_error("sink full");
      },
      options);
  std::this_thread::sleep_for(200ms);
  acq.stop();
  EXPECT_GE(calls.load(), 4);  // polling went on after the sink threw
  EXPECT_GE(acq.sink_errors(), static_cast<std::size_t>(calls.load()) + 1);  // + the factory
}

TEST(DriverTest, TheQueueDropsTheOldestWhenFull) {
  ReadingQueue q(2);
  Device d;
  for (int i = 1; i <= 3; ++i) {
    d.id = i;
    Reading r;
    r.point_id = 10 * i;
    q.push(d, std::span<const Reading>(&r, 1));
  }
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.dropped(), 1u);
  EXPECT_EQ(q.pop(0ms)->device_id, 2);
  auto last = q.pop(0ms);
  EXPECT_EQ(last->device_id, 3);
  EXPECT_EQ(last->readings.front().point_id, 30);
  auto t = std::chrono::steady_clock::now();
  EXPECT_FALSE(q.pop(50ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t, 45ms);
}

TEST(DriverTest, AcquisitionFeedsAQueue) {
  ReadingQueue q(1000);
  AcquisitionOptions options;
  options.factory = [](std::vector<DeviceMap> devices, const Clock& c) -> std::unique_ptr<Driver> {
    return std::make_unique<CountingDriver>(std::move(devices), c);
  };
  Acquisition acq(two_lines(), q.sink(), options);
  std::map<Id, int> batches;
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       batches.size() < 4 && std::chrono::steady_clock::now() < deadline;)
    if (auto b = q.pop(100ms)) ++batches[b->device_id];
  acq.stop();
  EXPECT_EQ(batches.size(), 4u);
  EXPECT_EQ(q.dropped(), 0u);
}

TEST(DriverTest, AcquisitionRejectsABadMap) {
  auto map = two_lines();
  map.points[1].device_id = 99;
  EXPECT_THROW(Acquisition(map, [](const Device&, std::span<const Reading>) {}), Error);
}

TEST(DriverTest, DevicesAndPointsAreRegisteredByName) {
  store::EntityRegistry registry;
  register_entities(registry);
  EXPECT_EQ(registry.at("devices").table->name, "drivers_device");
  EXPECT_EQ(registry.at("points").table->name, "drivers_point");
}

}  // namespace
}  // namespace houqin
