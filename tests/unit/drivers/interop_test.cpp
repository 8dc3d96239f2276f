// Interoperability with Modbus peers we did not write: our driver reads a pymodbus 3.0 server
// whose registers pymodbus encoded in every byte order, and mbpoll reads our simulator. Values
// must match exactly. Loopback only; every peer process is bounded and stopped by its pid.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>

#include "../../support/process.hpp"
#include "houqin/core/json.hpp"
#include "houqin/drivers/decode.hpp"
#include "houqin/drivers/modbus.hpp"
#include "houqin/drivers/simulator.hpp"

namespace houqin {
namespace {

using namespace houqin::drivers;
using namespace std::chrono_literals;
using json::Json;

TEST(InteropTest, OurDriverReadsAPymodbusServerInEveryByteOrder) {
  testing::Child server({"/usr/bin/python3", HOUQIN_PYMODBUS_SERVER, "60"});
  auto line = server.read_line(30s);
  ASSERT_TRUE(line) << "the pymodbus server did not start";
  auto doc = Json::parse(*line);

  Device d;
  d.id = 1;
  d.name = "pymodbus";
  d.host = "127.0.0.1";
  d.port = doc["port"];
  d.unit_id = doc["unit"];
  d.response_timeout_ms = 1000;
  d.max_gap_registers = 0;
  std::vector<Point> points;
  std::vector<const Json*> specs;
  for (auto rt : {RegisterType::holding_register, RegisterType::input_register}) {
    for (const auto& s : doc["points"]) {
      Point p;
      p.id = static_cast<Id>(points.size() + 1);
      p.device_id = 1;
      p.name = s["name"].get<std::string>() + "_" + std::string(enum_name(rt));
      p.register_type = rt;
      p.address = s["address"];
      p.data_type = *enum_from_name<DataType>(s["data_type"].get<std::string>());
      p.byte_order = *enum_from_name<ByteOrder>(s["byte_order"].get<std::string>());
      p.length = s.value("length", 0);
      if (p.data_type == DataType::int16) {  // scaling on top of decoding
        p.scale = 0.1;
        p.bias = 5;
      }
      points.push_back(p);
      specs.push_back(&s);
    }
  }
  const auto bits = doc["coils"].size();
  for (std::size_t i = 0; i < bits; ++i) {
    for (auto rt : {RegisterType::coil, RegisterType::discrete_input}) {
      Point p;
      p.id = static_cast<Id>(points.size() + 1);
      p.device_id = 1;
      p.name = std::string(enum_name(rt)) + std::to_string(i);
      p.register_type = rt;
      p.address = static_cast<int>(i);
      p.data_type = DataType::boolean;
      points.push_back(p);
      specs.push_back(nullptr);
    }
  }
  PointMap map{{d}, points};
  ASSERT_NO_THROW(validate_map(map));

  ModbusDriver driver({DeviceMap{d, points}});
  EXPECT_EQ(driver.plan(0).size(), 4u);  // one request per register type: the fewest
  std::vector<Reading> r;
  driver.poll(0, r);
  ASSERT_EQ(r.size(), points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    ASSERT_EQ(r[i].quality, Quality::good) << p.name;
    if (!specs[i]) {
      auto list = p.register_type == RegisterType::coil ? doc["coils"] : doc["discrete_inputs"];
      EXPECT_EQ(r[i].value, list[static_cast<std::size_t>(p.address)].get<bool>() ? 1 : 0);
    } else if (p.data_type == DataType::string) {
      EXPECT_EQ(r[i].text, (*specs[i])["text"].get<std::string>()) << p.name;
    } else {
      const auto& raw = (*specs[i])["raw"];
      double want = raw.is_number_unsigned()  ? static_cast<double>(raw.get<std::uint64_t>())
                    : raw.is_number_integer() ? static_cast<double>(raw.get<std::int64_t>())
                                              : raw.get<double>();
      EXPECT_EQ(r[i].value, want * p.scale + p.bias) << p.name;
    }
  }
  EXPECT_EQ(driver.stats().requests, 4u);
}

/// mbpoll's "[address]: value" lines.
std::map<int, std::string> mbpoll(int port, int unit, const std::string& type, int address,
                                  int count, bool big_endian_words = false) {
  std::vector<std::string> argv = {"/usr/bin/mbpoll",
                                   "-m",
                                   "tcp",
                                   "-p",
                                   std::to_string(port),
                                   "-a",
                                   std::to_string(unit),
                                   "-t",
                                   type,
                                   "-0",
                                   "-r",
                                   std::to_string(address),
                                   "-c",
                                   std::to_string(count),
                                   "-o",
                                   "2",
                                   "-1"};
  if (big_endian_words) argv.push_back("-B");
  argv.push_back("127.0.0.1");
  testing::Child child(argv, true);
  auto out = child.read_all(20s);
  EXPECT_EQ(child.wait(5s), 0) << out;
  std::map<int, std::string> values;
  static const std::regex line(R"(^\[(\d+)\]:\s+(\S+))");
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_search(l, m, line)) values[std::stoi(m[1])] = m[2];
  }
  EXPECT_EQ(values.size(), static_cast<std::size_t>(count)) << out;
  return values;
}

std::string hex(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04X", v);
  return buf;
}

std::string g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

TEST(InteropTest, MbpollReadsOurSimulator) {
  ManualClock clock(parse_timestamp("2026-11-25T08:00:00Z"));
  Simulator sim(SimulatorOptions{.clock = &clock});
  sim.add_unit(1, gas_panel_points(1));
  sim.add_unit(2, power_meter_points(2, 100));
  sim.start();
  const int port = sim.port();

  // Raw words and bits, exactly.
  auto meter = sim.registers(2, RegisterType::input_register, 0, 79);
  auto got = mbpoll(port, 2, "3:hex", 0, 79);
  for (int i = 0; i < 79; ++i) EXPECT_EQ(got[i], hex(meter[static_cast<std::size_t>(i)])) << i;
  auto panel = sim.registers(1, RegisterType::holding_register, 0, 16);
  got = mbpoll(port, 1, "4:hex", 0, 16);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(got[i], hex(panel[static_cast<std::size_t>(i)])) << i;
  got = mbpoll(port, 2, "0", 0, 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got[i], "1") << "breaker " << i;
  got = mbpoll(port, 1, "1", 0, 6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(got[i], "0") << "alarm " << i;

  // Floats as mbpoll decodes them agree with our driver's decoding, in both word orders
  // (meter voltages are abcd, mbpoll -B; panel pressures cdab, mbpoll's default).
  Device dm;
  dm.id = 2;
  dm.name = "meter";
  dm.host = "127.0.0.1";
  dm.port = port;
  dm.unit_id = 2;
  Device dp = dm;
  dp.id = 1;
  dp.name = "panel";
  dp.unit_id = 1;
  ModbusDriver driver(
      {DeviceMap{dm, power_meter_points(2, 100)}, DeviceMap{dp, gas_panel_points(1)}}, clock);
  std::vector<Reading> r;
  driver.poll(0, r);
  got = mbpoll(port, 2, "3:float", 0, 6, true);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(got[2 * i], g(r[static_cast<std::size_t>(i)].value)) << i;
  driver.poll(1, r);
  got = mbpoll(port, 1, "4:float", 0, 6);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(got[2 * i], g(r[static_cast<std::size_t>(i)].value)) << i;
}

}  // namespace
}  // namespace houqin
