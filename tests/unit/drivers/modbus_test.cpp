// The Modbus driver against the simulator over loopback: exact values, planned request counts,
// exception codes to quality, resynchronisation after a timeout, reconnect with backoff, faults.
#include "houqin/drivers/modbus.hpp"

#include <gtest/gtest.h>
#include <modbus/modbus.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "../../support/expect.hpp"
#include "houqin/drivers/decode.hpp"
#include "houqin/drivers/simulator.hpp"

namespace houqin {
namespace {

using namespace houqin::drivers;
using namespace std::chrono_literals;

const Timestamp t0 = parse_timestamp("2026-11-25T08:00:00Z");

Device tcp_device(Id id, int port, int unit, int timeout_ms = 300) {
  Device d;
  d.id = id;
  d.name = "dev-" + std::to_string(id);
  d.host = "127.0.0.1";
  d.port = port;
  d.unit_id = unit;
  d.response_timeout_ms = timeout_ms;
  return d;
}

/// What the driver must report for p when the simulator serves it at time t: the waveform value
/// after a trip through the point's encoding.
Reading expected(const Point& p, int unit, Timestamp t) {
  std::uint16_t regs[125] = {};
  Reading r;
  if (p.data_type == DataType::string) {
    encode_string(p, p.name == "model" ? "HQ-GAS-6" : "HQ-PM-" + std::to_string(1000 + unit), regs);
    decode(p, regs, r);
  } else if (is_bit(p.register_type)) {
    decode_bit(simulated_value(p, unit, t) != 0, r);
  } else {
    encode(p, simulated_value(p, unit, t), regs);
    decode(p, regs, r);
  }
  return r;
}

void expect_exact(const std::vector<Reading>& got, const std::vector<Point>& pts, int unit,
                  Timestamp t) {
  ASSERT_EQ(got.size(), pts.size());
  for (std::size_t i = 0; i < pts.size(); ++i) {
    auto want = expected(pts[i], unit, t);
    EXPECT_EQ(got[i].point_id, pts[i].id);
    EXPECT_EQ(got[i].quality, Quality::good) << pts[i].name;
    EXPECT_EQ(got[i].text, want.text) << pts[i].name;
    if (pts[i].data_type != DataType::string) {
      EXPECT_EQ(got[i].value, want.value) << pts[i].name;
    }
  }
}

class ModbusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim.add_unit(1, gas_panel_points(1));
    sim.add_unit(2, power_meter_points(2, 100));
    sim.start();
  }
  std::vector<DeviceMap> both(int timeout_ms = 300) {
    return {DeviceMap{tcp_device(1, sim.port(), 1, timeout_ms), gas_panel_points(1)},
            DeviceMap{tcp_device(2, sim.port(), 2, timeout_ms), power_meter_points(2, 100)}};
  }
  ModbusOptions quick() {
    ModbusOptions o;
    o.seed = 7;
    o.backoff.initial = 100ms;
    o.backoff.max = 1000ms;
    o.busy_delay = 1ms;
    return o;
  }
  ManualClock clock{t0};
  Simulator sim{SimulatorOptions{.clock = &clock}};
};

TEST_F(ModbusTest, ReadsEveryPointExactlyWithThePlannedRequests) {
  ModbusDriver driver(both(), clock, quick());
  EXPECT_EQ(driver.plan(0).size(), 3u);  // holding, discrete inputs, the model string
  EXPECT_EQ(driver.plan(1).size(), 2u);  // input registers, breaker coils
  std::vector<Reading> r;
  driver.poll(0, r);
  expect_exact(r, gas_panel_points(1), 1, t0);
  EXPECT_EQ(r.back().text, "HQ-GAS-6");
  EXPECT_NEAR(r[0].value, 400, 10);  // O2 pressure near its nominal kPa
  driver.poll(1, r);
  expect_exact(r, power_meter_points(2, 100), 2, t0);
  EXPECT_EQ(driver.stats().requests, 5u);
  EXPECT_EQ(driver.stats().connects, 1u);
  EXPECT_EQ(r[0].time, t0);
  // Time moves on, so do the values.
  clock.advance(10s);
  driver.poll(1, r);
  expect_exact(r, power_meter_points(2, 100), 2, t0 + 10s);
}

TEST_F(ModbusTest, ExceptionCodesMapToQuality) {
  EXPECT_EQ(quality_for_error(EMBXILADD), Quality::bad_config);
  EXPECT_EQ(quality_for_error(EMBXILFUN), Quality::bad_config);
  EXPECT_EQ(quality_for_error(EMBXILVAL), Quality::bad_config);
  EXPECT_EQ(quality_for_error(EMBXSBUSY), Quality::device_busy);
  EXPECT_EQ(quality_for_error(EMBXSFAIL), Quality::device_failure);
  EXPECT_EQ(quality_for_error(EMBXGTAR), Quality::comm_fail);
  EXPECT_EQ(quality_for_error(ETIMEDOUT), Quality::comm_fail);
  EXPECT_EQ(quality_for_error(ECONNRESET), Quality::comm_fail);
  EXPECT_TRUE(is_link_error(ETIMEDOUT));
  EXPECT_TRUE(is_link_error(EMBBADDATA));
  EXPECT_FALSE(is_link_error(EMBXSBUSY));

  ModbusDriver driver(both(), clock, quick());
  std::vector<Reading> r;
  sim.set_fault(1, Fault{.exception_code = MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS});
  driver.poll(0, r);
  for (const auto& x : r) EXPECT_EQ(x.quality, Quality::bad_config);
  sim.set_fault(1, Fault{.exception_code = MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE});
  driver.poll(0, r);
  for (const auto& x : r) EXPECT_EQ(x.quality, Quality::device_failure);
  // Busy for two answers: retried, then read.
  sim.set_fault(
      1, Fault{.exception_code = MODBUS_EXCEPTION_SLAVE_OR_SERVER_BUSY, .exception_count = 2});
  auto before = driver.stats().requests;
  driver.poll(0, r);
  for (const auto& x : r) EXPECT_EQ(x.quality, Quality::good);
  EXPECT_EQ(driver.stats().requests - before, 5u);  // 2 busy answers + 3 requests
  // Busy for good: device_busy after the retries, and the link is fine for the next device.
  sim.set_fault(1, Fault{.exception_code = MODBUS_EXCEPTION_SLAVE_OR_SERVER_BUSY});
  driver.poll(0, r);
  for (const auto& x : r) EXPECT_EQ(x.quality, Quality::device_busy);
  driver.poll(1, r);
  expect_exact(r, power_meter_points(2, 100), 2, t0);
}

TEST_F(ModbusTest, ABadPointCostsOnlyItself) {
  auto devices = both();
  Point extra;  // just past the panel's holding registers: planned into the same request
  extra.id = 99;
  extra.device_id = 1;
  extra.name = "not_there";
  extra.address = 16;
  devices[0].points.push_back(extra);
  ModbusDriver driver(devices, clock, quick());
  ASSERT_EQ(driver.plan(0).size(), 3u);
  std::vector<Reading> r;
  driver.poll(0, r);
  EXPECT_EQ(r.back().quality, Quality::bad_config);
  r.pop_back();
  expect_exact(r, gas_panel_points(1), 1, t0);
}

TEST_F(ModbusTest, ResynchronisesAfterATimeout) {
  ModbusDriver driver(both(100), clock, quick());
  std::vector<Reading> r;
  driver.poll(1, r);  // connected and in step
  sim.set_fault(2, Fault{.delay_once_ms = 300});
  clock.advance(1s);
  driver.poll(1, r);
  for (const auto& x : r) EXPECT_EQ(x.quality, Quality::comm_fail);
  EXPECT_EQ(driver.stats().timeouts, 1u);
  EXPECT_EQ(driver.stats().resyncs, 1u);
  EXPECT_EQ(driver.stats().requests, 3u);  // the rest of the device's requests were not sent
  std::this_thread::sleep_for(350ms);      // the late answer is on its way now
  // The device is left alone until its backoff has passed ...
  driver.poll(1, r);
  EXPECT_EQ(driver.stats().requests, 3u);
  // ... then read in step: the late answer to the earlier request is never taken for this one.
  clock.advance(2s);
  driver.poll(1, r);
  expect_exact(r, power_meter_points(2, 100), 2, t0 + 3s);
  driver.poll(0, r);
  expect_exact(r, gas_panel_points(1), 1, t0 + 3s);
}

TEST_F(ModbusTest, ReconnectsAfterADroppedConnection) {
  ModbusDriver driver(both(), clock, quick());
  std::vector<Reading> r;
  driver.poll(0, r);
  // The peer closes the idle connection between polls: the next poll reconnects and reads.
  sim.set_fault(1, Fault{.drop_connection = true});
  driver.poll(0, r);
  expect_exact(r, gas_panel_points(1), 1, t0);
  EXPECT_EQ(driver.stats().connects, 2u);
  EXPECT_EQ(driver.stats().resyncs, 1u);
  driver.poll(1, r);  // the other device on the connection is read
  expect_exact(r, power_meter_points(2, 100), 2, t0);
}

TEST(ModbusDriverTest, RejectsMapsItCannotReadCorrectly) {
  auto pts = gas_panel_points(1);
  pts[1].address = 1;  // overlaps o2_pressure
  testing::expect_error(
      [&] {
        ModbusDriver({DeviceMap{tcp_device(1, 502, 1), pts}});
      },
      ErrorCode::invalid_argument,
      "points[1] \"air_pressure\": overlaps points[0] \"o2_pressure\" at holding register 1");
  testing::expect_error(
      [&] {
        ModbusDriver({DeviceMap{tcp_device(1, 502, 1), gas_panel_points(2)}});
      },
      ErrorCode::invalid_argument, "point \"o2_pressure\": device_id 2 is not its device 1");
  testing::expect_error(
      [&] {
        ModbusDriver({DeviceMap{tcp_device(1, 502, 1), gas_panel_points(1)},
                      DeviceMap{tcp_device(2, 503, 1), power_meter_points(2, 100)}});
      },
      ErrorCode::invalid_argument, "device \"dev-2\": not on the same connection as \"dev-1\"");
  ModbusOptions big;
  big.limits.max_registers = 200;  // more than one response can carry
  testing::expect_error(
      [&] {
        ModbusDriver({DeviceMap{tcp_device(1, 502, 1), gas_panel_points(1)}}, system_clock(), big);
      },
      ErrorCode::invalid_argument, "limits.max_registers: 200 is outside 1..125");
}

TEST(BackoffTest, GrowsExponentiallyWithJitterUpToTheCap) {
  BackoffPolicy p{100ms, 1000ms, 2, 0.2};
  Backoff b(p, 42);
  const double bases[] = {100, 200, 400, 800, 1000, 1000};
  for (double base : bases) {
    auto d = std::chrono::duration<double, std::milli>(b.next()).count();
    EXPECT_GE(d, base * 0.8);
    EXPECT_LE(d, base * 1.2);
  }
  EXPECT_EQ(b.failures(), 6);
  b.reset();
  auto d = std::chrono::duration<double, std::milli>(b.next()).count();
  EXPECT_LE(d, 120);
  // Jitter: two clients with different seeds do not retry in lockstep; one seed repeats itself.
  Backoff x(p, 1), y(p, 2), z(p, 1);
  auto dx = x.next(), dy = y.next();
  EXPECT_NE(dx, dy);
  EXPECT_EQ(dx, z.next());
}

TEST(ModbusReconnectTest, BacksOffWhileTheDeviceIsAwayAndComesBack) {
  ManualClock clock(t0);
  int port = 0;
  {
    Simulator probe;  // find a free port, then leave it free
    probe.start();
    port = probe.port();
  }
  ModbusOptions o;
  o.seed = 3;
  o.backoff = BackoffPolicy{200ms, 2000ms, 2, 0.2};
  ModbusDriver driver({DeviceMap{tcp_device(1, port, 1), gas_panel_points(1)}}, clock, o);
  std::vector<Reading> r;
  driver.poll(0, r);
  EXPECT_EQ(driver.stats().connect_failures, 1u);
  for (const auto& x : r) EXPECT_EQ(x.quality, Quality::comm_fail);
  driver.poll(0, r);  // within the backoff: no attempt
  clock.advance(100ms);
  driver.poll(0, r);
  EXPECT_EQ(driver.stats().connect_failures, 1u);
  clock.advance(150ms);  // past 200 ms * 1.2
  driver.poll(0, r);
  EXPECT_EQ(driver.stats().connect_failures, 2u);
  clock.advance(300ms);  // the second delay is 400 ms +- 20 %: not yet
  driver.poll(0, r);
  EXPECT_EQ(driver.stats().connect_failures, 2u);
  Simulator sim(SimulatorOptions{.port = port, .clock = &clock});
  sim.add_unit(1, gas_panel_points(1));
  sim.start();
  clock.advance(200ms);
  driver.poll(0, r);
  EXPECT_EQ(driver.stats().connects, 1u);
  expect_exact(r, gas_panel_points(1), 1, clock.now());
}

TEST_F(ModbusTest, StuckValuesAndSpikesReachTheReadings) {
  ModbusDriver driver(both(), clock, quick());
  std::vector<Reading> r;
  sim.set_fault(2, Fault{.stuck = true});
  driver.poll(1, r);
  auto frozen = r[0].value;
  clock.advance(7s);
  driver.poll(1, r);
  EXPECT_EQ(r[0].value, frozen);
  sim.set_fault(2, Fault{.spike_reads = 2, .spike_factor = 10});  // coils, then registers
  driver.poll(1, r);
  EXPECT_NEAR(r[0].value, 10 * expected(power_meter_points(2, 100)[0], 2, clock.now()).value, 1e-3);
  driver.poll(1, r);
  expect_exact(r, power_meter_points(2, 100), 2, clock.now());
}

// ---- devices that lie on the wire: refused, resynchronised, counted ---------------------------

/// What a driver's connection has counted so far, to compare before and after a lie.
struct Counts {
  std::uint64_t requests, timeouts, reconnects, resyncs, bad_frames;
  explicit Counts(const ModbusStats& s)
      : requests(s.requests),
        timeouts(s.timeouts),
        reconnects(s.reconnects),
        resyncs(s.resyncs),
        bad_frames(s.bad_frames) {}
};

/// The meter's input registers: one request of them, so that a lie spoils a register answer.
std::vector<Point> meter_registers() {
  auto pts = power_meter_points(2, 100);
  std::erase_if(pts,
                [](const Point& p) { return p.register_type != RegisterType::input_register; });
  return pts;
}

class ModbusLyingDeviceTest : public ModbusTest {
 protected:
  /// The panel (unit 1) and the meter's registers (unit 2) on one connection, 100 ms timeouts.
  std::vector<DeviceMap> devices() {
    return {DeviceMap{tcp_device(1, sim.port(), 1, 100), gas_panel_points(1)},
            DeviceMap{tcp_device(2, sim.port(), 2, 100), meter_registers()}};
  }
  /// The meter (devices()[1], unit 2) lies; none of its points may read as good, and both
  /// devices on the connection must then read exactly: the panel at once, the meter once its
  /// backoff has passed. Returns the meter's error.
  std::string lie_then_recover(ModbusDriver& driver, const Fault& lie) {
    std::vector<Reading> r;
    sim.set_fault(2, lie);
    driver.poll(1, r);
    EXPECT_EQ(r.size(), meter_registers().size());
    for (const auto& x : r) {
      EXPECT_EQ(x.quality, Quality::comm_fail) << x.point_id;
      EXPECT_TRUE(std::isnan(x.value)) << x.point_id;
    }
    std::string error = driver.status(1).error;
    EXPECT_EQ(driver.status(1).quality, Quality::comm_fail);
    EXPECT_EQ(driver.stats().last_error, error);
    EXPECT_FALSE(driver.connected());  // resynchronised: a fresh connection for the next request
    driver.poll(0, r);
    expect_exact(r, gas_panel_points(1), 1, clock.now());
    clock.advance(1s);  // past the meter's backoff (100 ms + 20 %)
    driver.poll(1, r);
    expect_exact(r, meter_registers(), 2, clock.now());
    EXPECT_EQ(driver.status(1).quality, Quality::good);
    return error;
  }
};

TEST_F(ModbusLyingDeviceTest, AnAnswerFromAnotherUnitIsNeverTakenForTheDevices) {
  // libmodbus 3.1.6 does not check the unit id of a TCP answer: a gateway that answers for the
  // wrong device behind it had its values read as good. The driver checks it itself.
  ModbusDriver driver(devices(), clock, quick());
  std::vector<Reading> r;
  driver.poll(0, r);
  Counts before(driver.stats());
  auto error = lie_then_recover(driver, Fault{.wrong_unit_id = 1});
  EXPECT_TRUE(error.ends_with(": Invalid data (from unit 3, expected 2)")) << error;
  EXPECT_EQ(error.rfind("device \"dev-2\" (unit 2): reading ", 0), 0u) << error;
  const auto& s = driver.stats();
  EXPECT_EQ(s.bad_frames - before.bad_frames, 1u);
  EXPECT_EQ(s.resyncs - before.resyncs, 1u);
  EXPECT_EQ(s.timeouts, before.timeouts);
  EXPECT_EQ(s.reconnects - before.reconnects, 1u);
  // A gateway that goes on answering for the wrong unit: that device stays comm_fail, poll
  // after poll, and costs the other device on the connection nothing.
  sim.set_fault(2, Fault{.wrong_unit_id = -1});
  for (int i = 0; i < 3; ++i) {
    clock.advance(3s);  // past the growing backoff (100, 200, 400 ms + 20 %)
    driver.poll(1, r);
    for (const auto& x : r) EXPECT_EQ(x.quality, Quality::comm_fail) << "poll " << i;
    driver.poll(0, r);
    expect_exact(r, gas_panel_points(1), 1, clock.now());
  }
  EXPECT_EQ(driver.stats().bad_frames - before.bad_frames, 4u);
  sim.clear_faults();
  clock.advance(3s);
  driver.poll(1, r);
  expect_exact(r, meter_registers(), 2, clock.now());
}

TEST_F(ModbusLyingDeviceTest, AnAnswerCarryingTheTransactionIdOfTheRequestBeforeIsRefused) {
  ModbusDriver driver(devices(), clock, quick());
  std::vector<Reading> r;
  driver.poll(0, r);  // three requests: transaction ids 1, 2, 3
  ASSERT_EQ(driver.stats().requests, 3u);
  // The answer to request 4 says it answers request 3: a late answer must not be taken for the
  // one asked for now.
  auto error = lie_then_recover(driver, Fault{.wrong_transaction_id = 1});
  EXPECT_TRUE(error.ends_with(": Invalid data (transaction id 3, expected 4)")) << error;
  EXPECT_EQ(driver.stats().bad_frames, 1u);
  EXPECT_EQ(driver.stats().resyncs, 1u);
  EXPECT_EQ(driver.stats().timeouts, 0u);
  EXPECT_EQ(driver.stats().reconnects, 1u);
}

TEST_F(ModbusLyingDeviceTest, EveryMisframedAnswerIsRefusedAndTheNextPollsReadExactly) {
  ModbusDriver driver(devices(), clock, quick());
  ASSERT_EQ(driver.plan(1).size(), 1u);
  const int bytes = 2 * driver.plan(1).front().count;  // of the meter's input registers
  const auto n = [](int v) { return std::to_string(v); };
  struct Lie {
    const char* name;
    Fault fault;
    std::string error;  // how the meter's error ends
    bool timeout;       // counted as a timeout (the frame never completes), else a bad frame
  };
  const Lie lies[] = {
      {"another function code", Fault{.wrong_function = 1}, "Invalid data (function 3, expected 4)",
       false},
      {"one register more", Fault{.wrong_byte_count = 1, .byte_count_delta = 2},
       "Invalid data (byte count " + n(bytes + 2) + " with " + n(bytes + 2) +
           " bytes of data, expected " + n(bytes) + ")",
       false},
      {"one register fewer", Fault{.wrong_byte_count = 1, .byte_count_delta = -2},
       "Invalid data (byte count " + n(bytes - 2) + " with " + n(bytes - 2) +
           " bytes of data, expected " + n(bytes) + ")",
       false},
      // The count lies about its own frame: libmodbus frames by the count and leaves two bytes
      // on the connection, which the MBAP length gives away.
      {"a count two bytes short of its data",
       Fault{.wrong_byte_count = 1, .byte_count_delta = -2, .byte_count_only = true},
       "Invalid data (MBAP length " + n(bytes + 3) + " for " + n(bytes + 1) + " bytes)", false},
      // ... or waits for two bytes that never come.
      {"a count two bytes beyond its data",
       Fault{.wrong_byte_count = 1, .byte_count_delta = 2, .byte_count_only = true},
       "Connection timed out", true},
      // Noise read as a header: its transaction id is 0xa5a4.
      {"five bytes of noise first", Fault{.garbage_first = 1, .garbage_bytes = 5},
       "Invalid data (transaction id 42404, expected ", false},
  };
  std::vector<Reading> r;
  driver.poll(1, r);
  for (const auto& lie : lies) {
    SCOPED_TRACE(lie.name);
    Counts before(driver.stats());
    auto error = lie_then_recover(driver, lie.fault);
    EXPECT_NE(error.find(lie.error), std::string::npos) << error;
    const auto& s = driver.stats();
    EXPECT_EQ(s.bad_frames - before.bad_frames, lie.timeout ? 0u : 1u);
    EXPECT_EQ(s.timeouts - before.timeouts, lie.timeout ? 1u : 0u);
    EXPECT_EQ(s.resyncs - before.resyncs, 1u);
    EXPECT_EQ(s.reconnects - before.reconnects, 1u);
    clock.advance(1s);
  }
}

TEST_F(ModbusLyingDeviceTest, NoiseOfAnyLengthBeforeAnAnswerIsNeverReadAsData) {
  ModbusDriver driver(devices(), clock, quick());
  std::vector<Reading> r;
  for (int n = 1; n <= 12; ++n) {  // bounded: 12 lies
    SCOPED_TRACE(n);
    Counts before(driver.stats());
    lie_then_recover(driver, Fault{.garbage_first = 1, .garbage_bytes = n});
    const auto& s = driver.stats();
    EXPECT_EQ(s.bad_frames - before.bad_frames, 1u);  // read as a header: another transaction
    EXPECT_EQ(s.timeouts, before.timeouts);
    EXPECT_EQ(s.resyncs - before.resyncs, 1u);
    clock.advance(1s);
  }
}

TEST_F(ModbusLyingDeviceTest, AShortFrameHoldsTheLineNoLongerThanTheResponseTimeout) {
  // libmodbus waits 500 ms by default for the rest of a frame once it has begun; the driver
  // bounds that wait on TCP by the device's response timeout (100 ms here).
  ModbusDriver driver(devices(), clock, quick());
  std::vector<Reading> r;
  driver.poll(1, r);
  for (int cut :
       {1, 7, 9, 40}) {  // in the MBAP header, after it, after the byte count, in the data
    SCOPED_TRACE(cut);
    Counts before(driver.stats());
    const auto started = std::chrono::steady_clock::now();
    sim.set_fault(2, Fault{.short_frames = 1, .short_frame_bytes = cut});
    driver.poll(1, r);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_LT(took, 400ms);
    for (const auto& x : r) EXPECT_EQ(x.quality, Quality::comm_fail);
    EXPECT_TRUE(driver.status(1).error.ends_with(": Connection timed out"))
        << driver.status(1).error;
    const auto& s = driver.stats();
    EXPECT_EQ(s.timeouts - before.timeouts, 1u);
    EXPECT_EQ(s.resyncs - before.resyncs, 1u);
    EXPECT_EQ(s.bad_frames, before.bad_frames);
    driver.poll(0, r);
    expect_exact(r, gas_panel_points(1), 1, clock.now());
    clock.advance(1s);
    driver.poll(1, r);
    expect_exact(r, meter_registers(), 2, clock.now());
  }
}

TEST_F(ModbusLyingDeviceTest, AShortFrameOnAClosedConnectionIsReadAgainOnAFreshOne) {
  ModbusDriver driver(devices(), clock, quick());
  std::vector<Reading> r;
  driver.poll(1, r);
  // Cut off once, then the connection closed: reads are idempotent, so the same request goes
  // again on a fresh connection and the poll reads exactly.
  sim.set_fault(2,
                Fault{.short_frames = 1, .short_frame_bytes = 20, .close_after_short_frame = true});
  Counts before(driver.stats());
  driver.poll(1, r);
  expect_exact(r, meter_registers(), 2, clock.now());
  auto s = driver.stats();
  EXPECT_EQ(s.requests - before.requests, 2u);  // the cut one and again
  EXPECT_EQ(s.reconnects - before.reconnects, 1u);
  EXPECT_EQ(s.resyncs - before.resyncs, 1u);
  EXPECT_EQ(s.timeouts, 0u);
  // Cut off twice: retried once only, then comm_fail and the other device reads.
  clock.advance(1s);
  lie_then_recover(
      driver, Fault{.short_frames = 2, .short_frame_bytes = 20, .close_after_short_frame = true});
  EXPECT_EQ(driver.status(1).quality, Quality::good);
  s = driver.stats();
  EXPECT_EQ(s.reconnects - before.reconnects, 3u);  // the retry's, then after the resync
  EXPECT_EQ(s.timeouts, 0u);
}

// ---- the Poller: a whole map once per call, with the status of every connection -------------

PointMap map_of(std::vector<Device> devices, std::vector<std::vector<Point>> points) {
  PointMap map;
  map.devices = std::move(devices);
  for (auto& pts : points) map.points.insert(map.points.end(), pts.begin(), pts.end());
  return map;
}

TEST_F(ModbusTest, ThePollerReadsTheMapAndReportsEachDeviceByQualityName) {
  auto pts = gas_panel_points(1);
  Point extra;  // not served: the device answers "illegal data address"
  extra.id = 99;
  extra.device_id = 1;
  extra.name = "not_there";
  extra.address = 16;
  pts.push_back(extra);
  Poller poller(map_of({tcp_device(1, sim.port(), 1), tcp_device(2, sim.port(), 2)},
                       {pts, power_meter_points(2, 100)}),
                clock, quick());
  auto before = poller.status();
  ASSERT_EQ(before.size(), 1u);  // both units behind one TCP endpoint
  EXPECT_EQ(before[0].connection, "tcp 127.0.0.1:" + std::to_string(sim.port()));
  EXPECT_FALSE(before[0].connected);
  EXPECT_FALSE(before[0].devices[0].polled_at.has_value());

  const auto& r = poller.poll();
  ASSERT_EQ(r.size(), pts.size() + power_meter_points(2, 100).size());
  EXPECT_EQ(r[pts.size() - 1].quality, Quality::bad_config);
  auto st = poller.status();
  ASSERT_EQ(st[0].devices.size(), 2u);
  const auto& panel = st[0].devices[0];
  EXPECT_EQ(panel.device_id, 1);
  EXPECT_EQ(panel.device, "dev-1");
  EXPECT_EQ(panel.quality, Quality::bad_config);
  EXPECT_EQ(panel.error, "device \"dev-1\" (unit 1): reading 1 holding_register from 16: " +
                             std::string("Illegal data address"));
  EXPECT_EQ(panel.polled_at, t0);
  EXPECT_EQ(st[0].devices[1].quality, Quality::good);
  EXPECT_EQ(st[0].devices[1].error, "");
  EXPECT_TRUE(st[0].connected);
  EXPECT_EQ(st[0].stats.connects, 1u);
  EXPECT_EQ(st[0].stats.reconnects, 0u);
  EXPECT_EQ(st[0].stats.requests, poller.requests());
  EXPECT_EQ(st[0].stats.last_error, panel.error);
  EXPECT_EQ(st[0].stats.last_error_time, t0);

  // JSON from the descriptions: the names C++ gives them, the quality by name.
  auto j = json::to_json(st);
  EXPECT_EQ(j[0]["devices"][0]["quality"], "bad_config");
  EXPECT_EQ(j[0]["devices"][1]["quality"], "good");
  EXPECT_EQ(j[0]["stats"]["requests"], st[0].stats.requests);
  EXPECT_EQ(j[0]["stats"]["last_error_time"], format_timestamp(t0));
  for (const char* key : {"requests", "timeouts", "reconnects", "last_error", "last_error_time"})
    EXPECT_TRUE(j[0]["stats"].contains(key)) << key;
  EXPECT_EQ(json::conforms(json::schema<std::vector<ConnectionStatus>>(json::Direction::output), j),
            "");

  // A good poll clears the device's error; the connection's last error stays for operators.
  sim.set_fault(1, Fault{.exception_code = MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE});
  clock.advance(1s);
  poller.poll();
  st = poller.status();
  EXPECT_EQ(st[0].devices[0].quality, Quality::device_failure);
  const auto& failure = st[0].devices[0].error;
  EXPECT_EQ(failure.rfind("device \"dev-1\" (unit 1): reading ", 0), 0u) << failure;
  EXPECT_TRUE(failure.ends_with(std::string(": ") + "Slave device or server failure")) << failure;
  EXPECT_EQ(st[0].stats.last_error_time, t0 + 1s);
}

TEST(ModbusPollerTest, TimeoutsAreCountedAgainstADeviceThatNeverAnswers) {
  ManualClock clock(t0);
  Simulator dead(SimulatorOptions{.clock = &clock});
  dead.add_unit(1, gas_panel_points(1));
  dead.start();
  dead.set_fault(1, Fault{.silent = true});
  ModbusOptions o;
  o.seed = 5;
  o.backoff = BackoffPolicy{100ms, 1000ms, 2, 0.2};
  Poller poller(map_of({tcp_device(1, dead.port(), 1, 100)}, {gas_panel_points(1)}), clock, o);
  const auto first = plan_reads(tcp_device(1, dead.port(), 1), gas_panel_points(1), {}).front();
  const std::string timed_out = "device \"dev-1\" (unit 1): reading " +
                                std::to_string(first.count) + " " +
                                std::string(enum_name(first.register_type)) + " from " +
                                std::to_string(first.address) + ": " + std::strerror(ETIMEDOUT);
  std::uint64_t timeouts = 0;
  for (int i = 0; i < 3; ++i) {  // bounded: three polls of 100 ms each
    for (const auto& x : poller.poll()) EXPECT_EQ(x.quality, Quality::comm_fail);
    auto st = poller.status().at(0);
    EXPECT_EQ(st.stats.timeouts, timeouts + 1) << "poll " << i;
    timeouts = st.stats.timeouts;
    EXPECT_EQ(st.devices[0].quality, Quality::comm_fail);
    EXPECT_EQ(st.devices[0].error, timed_out);
    EXPECT_EQ(st.stats.last_error, timed_out);
    EXPECT_EQ(st.stats.last_error_time, clock.now());
    // A timeout costs the TCP connection (a late answer must not be taken for the next one):
    // every poll after the first connects again.
    EXPECT_EQ(st.stats.reconnects, static_cast<std::uint64_t>(i));
    EXPECT_EQ(st.stats.resyncs, static_cast<std::uint64_t>(i + 1));
    // Within the device's backoff it is left alone: no request, no new timeout, and why.
    auto sent = poller.requests();
    poller.poll();
    st = poller.status().at(0);
    EXPECT_EQ(poller.requests(), sent);
    EXPECT_EQ(st.stats.timeouts, timeouts);
    EXPECT_EQ(st.devices[0].error, "backing off after: " + timed_out);
    clock.advance(2s);
  }
}

TEST(ModbusPollerTest, ReconnectsAfterTheServerRestarts) {
  ManualClock clock(t0);
  auto sim = std::make_unique<Simulator>(SimulatorOptions{.clock = &clock});
  sim->add_unit(1, gas_panel_points(1));
  sim->start();
  const int port = sim->port();
  ModbusOptions o;
  o.seed = 9;
  o.backoff = BackoffPolicy{100ms, 1000ms, 2, 0.2};
  Poller poller(map_of({tcp_device(1, port, 1)}, {gas_panel_points(1)}), clock, o);
  expect_exact(poller.poll(), gas_panel_points(1), 1, t0);

  sim.reset();  // the server goes away with the connection
  poller.poll();
  auto st = poller.status().at(0);
  EXPECT_FALSE(st.connected);
  EXPECT_EQ(st.devices[0].quality, Quality::comm_fail);
  EXPECT_EQ(st.stats.connect_failures, 1u);
  const std::string refused =
      "reconnect to tcp 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(ECONNREFUSED);
  EXPECT_EQ(st.stats.last_error, refused);
  EXPECT_EQ(st.devices[0].error, refused);
  poller.poll();  // within the backoff: not even a connect
  st = poller.status().at(0);
  EXPECT_EQ(st.stats.connect_failures, 1u);
  EXPECT_EQ(st.devices[0].error, "waiting to reconnect after: " + refused);

  sim = std::make_unique<Simulator>(SimulatorOptions{.port = port, .clock = &clock});
  sim->add_unit(1, gas_panel_points(1));
  sim->start();
  clock.advance(500ms);  // past the first backoff (100 ms + 20 %)
  expect_exact(poller.poll(), gas_panel_points(1), 1, clock.now());
  st = poller.status().at(0);
  EXPECT_TRUE(st.connected);
  EXPECT_EQ(st.stats.connects, 2u);
  EXPECT_EQ(st.stats.reconnects, 1u);
  EXPECT_EQ(st.devices[0].quality, Quality::good);
  EXPECT_EQ(st.devices[0].error, "");
  EXPECT_EQ(st.stats.last_error, refused);  // what happened last, kept after recovery
  EXPECT_EQ(st.stats.last_error_time, t0);
}

TEST(ModbusPollerTest, ABadMapIsRefusedNamingTheEntry) {
  auto pts = gas_panel_points(1);
  pts[1].address = 1;  // overlaps o2_pressure
  testing::expect_error([&] { Poller p(map_of({tcp_device(1, 502, 1)}, {pts})); },
                        ErrorCode::invalid_argument,
                        "points[1] \"air_pressure\": overlaps points[0] \"o2_pressure\"");
}

TEST(AcquisitionTest, ADeadOrSlowDeviceNeverDelaysTheOthers) {
  Simulator good, slow, dead;
  good.add_unit(1, gas_panel_points(1));
  slow.add_unit(1, power_meter_points(2, 100));
  dead.add_unit(1, power_meter_points(3, 200));
  for (auto* s : {&good, &slow, &dead}) s->start();
  slow.set_fault(1, Fault{.delay_ms = 400});
  dead.set_fault(1, Fault{.silent = true});
  PointMap map;
  map.devices = {tcp_device(1, good.port(), 1), tcp_device(2, slow.port(), 1, 200),
                 tcp_device(3, dead.port(), 1, 200)};
  for (auto& d : map.devices) d.poll_interval_ms = 50;
  map.points = gas_panel_points(1);
  for (auto pts : {power_meter_points(2, 100), power_meter_points(3, 200)})
    map.points.insert(map.points.end(), pts.begin(), pts.end());
  std::mutex m;
  std::map<Id, std::map<Quality, int>> polls;  // device -> quality of its first point -> count
  {
    Acquisition acq(map, [&](const Device& d, std::span<const Reading> rs) {
      std::lock_guard lock(m);
      ++polls[d.id][rs.front().quality];
    });
    EXPECT_EQ(acq.connections(), 3u);
    std::this_thread::sleep_for(1000ms);
  }
  std::lock_guard lock(m);
  EXPECT_GE(polls[1][Quality::good], 12);  // ~20 at 50 ms; the others cost it nothing
  EXPECT_EQ(polls[1][Quality::comm_fail], 0);
  EXPECT_GE(polls[2][Quality::comm_fail], 1);
  EXPECT_GE(polls[3][Quality::comm_fail], 2);
  EXPECT_EQ(polls[3][Quality::good], 0);
}

}  // namespace
}  // namespace houqin
