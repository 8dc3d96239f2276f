// Modbus RTU without hardware: a socat pseudo-terminal pair is the serial line, the simulator is
// the slave at one end, the driver the master at the other, and unit 3 never answers.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "../../support/process.hpp"
#include "houqin/drivers/decode.hpp"
#include "houqin/drivers/modbus.hpp"
#include "houqin/drivers/simulator.hpp"

namespace houqin {
namespace {

using namespace houqin::drivers;
using namespace std::chrono_literals;

class RtuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("houqin-rtu-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    master = (dir / "master").string();
    slave = (dir / "slave").string();
    // socat applies raw,echo=0 after it creates the links: wait for its "starting data transfer
    // loop", or the first request could be echoed back to the master.
    socat = std::make_unique<testing::Child>(
        std::vector<std::string>{"/usr/bin/socat", "-d", "-d", "pty,raw,echo=0,link=" + master,
                                 "pty,raw,echo=0,link=" + slave},
        true);
    bool ready = false;
    while (auto line = socat->read_line(5s))
      if ((ready = line->find("starting data transfer loop") != std::string::npos)) break;
    ASSERT_TRUE(ready) << "socat did not start";
    ASSERT_TRUE(std::filesystem::exists(slave)) << "socat made no pty pair";
    sim = std::make_unique<Simulator>(SimulatorOptions{
        .transport = Transport::rtu, .serial_device = slave, .baud = 19200, .clock = &clock});
    sim->add_unit(1, power_meter_points(1, 100));
    sim->start();
  }
  void TearDown() override {
    sim.reset();
    socat.reset();
    std::filesystem::remove_all(dir);
  }
  Device rtu(Id id, int unit, int timeout_ms) {
    Device d;
    d.id = id;
    d.name = "rtu-" + std::to_string(unit);
    d.transport = Transport::rtu;
    d.serial_device = master;
    d.baud = 19200;
    d.unit_id = unit;
    d.response_timeout_ms = timeout_ms;
    d.poll_interval_ms = 50;
    return d;
  }
  /// The meter's readings as the simulator serves them at `t`.
  static void expect_meter(const std::vector<Reading>& r, Timestamp t) {
    auto pts = power_meter_points(1, 100);
    ASSERT_EQ(r.size(), pts.size());
    for (std::size_t i = 0; i < pts.size(); ++i) {
      ASSERT_EQ(r[i].quality, Quality::good) << pts[i].name;
      if (pts[i].data_type == DataType::string) {
        EXPECT_EQ(r[i].text, "HQ-PM-1001");
      } else if (!is_bit(pts[i].register_type)) {
        std::uint16_t regs[8];
        Reading want;
        encode(pts[i], simulated_value(pts[i], 1, t), regs);
        decode(pts[i], regs, want);
        EXPECT_EQ(r[i].value, want.value) << pts[i].name;
      }
    }
  }

  ManualClock clock{parse_timestamp("2026-11-25T08:00:00Z")};
  std::filesystem::path dir;
  std::string master, slave;
  std::unique_ptr<testing::Child> socat;
  std::unique_ptr<Simulator> sim;
};

TEST_F(RtuTest, ReadsTheSlaveAndSurvivesOneThatNeverAnswers) {
  ModbusOptions o;
  o.seed = 5;
  o.backoff.initial = 1000ms;
  ModbusDriver driver({DeviceMap{rtu(1, 1, 300), power_meter_points(1, 100)},
                       DeviceMap{rtu(3, 3, 100), gas_panel_points(3, 500)}},
                      clock, o);
  std::vector<Reading> r;
  driver.poll(0, r);
  expect_meter(r, clock.now());
  driver.poll(1, r);
  for (const auto& x : r) EXPECT_EQ(x.quality, Quality::comm_fail);
  EXPECT_EQ(driver.stats().timeouts, 1u);
  EXPECT_EQ(driver.stats().resyncs, 1u);
  // The line is in step for the slave that answers; the silent one is left alone meanwhile.
  clock.advance(100ms);  // the simulator's measuring cycle
  driver.poll(0, r);
  expect_meter(r, clock.now());
  auto sent = driver.stats().requests;
  driver.poll(1, r);
  EXPECT_EQ(driver.stats().requests, sent);
}

TEST_F(RtuTest, ASilentSlaveOnTheSharedLineCostsTheOthersLittle) {
  PointMap map;
  map.devices = {rtu(1, 1, 300), rtu(3, 3, 100)};
  map.points = power_meter_points(1, 100);
  auto silent = gas_panel_points(3, 500);
  map.points.insert(map.points.end(), silent.begin(), silent.end());
  std::mutex m;
  std::map<Id, std::map<Quality, int>> polls;
  ModbusOptions slow_backoff;
  slow_backoff.backoff.initial = 500ms;
  AcquisitionOptions options;
  options.factory = modbus_factory(slow_backoff);
  {
    Acquisition acq(
        map,
        [&](const Device& d, std::span<const Reading> rs) {
          std::lock_guard lock(m);
          ++polls[d.id][rs.front().quality];
        },
        options);
    EXPECT_EQ(acq.connections(), 1u);  // one serial line, one thread, one context
    std::this_thread::sleep_for(1000ms);
  }
  std::lock_guard lock(m);
  // The silent slave costs ~120 ms (timeout and flush) at 0 and ~600 ms, so ~15 polls of the
  // other; without backing off it would cost that every cycle (~8 polls).
  EXPECT_GE(polls[1][Quality::good], 11);
  EXPECT_EQ(polls[1][Quality::comm_fail], 0);
  EXPECT_GE(polls[3][Quality::comm_fail], 1);
}

}  // namespace
}  // namespace houqin
