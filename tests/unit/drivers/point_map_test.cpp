// Point maps: loading, the validator's rules and messages, and storage on every backend.
#include "houqin/drivers/point_map.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../../support/backends.hpp"
#include "../../support/expect.hpp"
#include "houqin/drivers/point_store.hpp"

namespace houqin {
namespace {

using namespace houqin::drivers;
using json::Json;
using testing::expect_error;

Json sample() {
  return Json::parse(R"({
    "format": "houqin.point_map",
    "devices": [
      {"id": 1, "name": "gas-panel-1", "transport": "tcp", "host": "10.0.0.5", "port": 502,
       "unit_id": 1, "response_timeout_ms": 300, "poll_interval_ms": 1000},
      {"id": 2, "name": "meter-1", "transport": "rtu", "serial_device": "/dev/ttyUSB0",
       "baud": 19200, "parity": "even", "unit_id": 7}
    ],
    "points": [
      {"id": 1, "device_id": 1, "name": "o2_purity", "register_type": "holding_register",
       "address": 40, "data_type": "float32", "byte_order": "cdab", "unit": "%",
       "kind": "o2_purity"},
      {"id": 2, "device_id": 1, "name": "o2_source_pressure", "address": 42,
       "data_type": "uint16", "scale": 0.1, "unit": "kPa", "kind": "o2_pressure"},
      {"id": 3, "device_id": 1, "name": "alarm", "register_type": "discrete_input",
       "address": 40, "data_type": "boolean", "kind": "gas_alarm"},
      {"id": 4, "device_id": 2, "name": "model", "register_type": "input_register",
       "address": 0, "data_type": "string", "length": 16},
      {"id": 5, "device_id": 2, "name": "ua", "register_type": "input_register",
       "address": 8, "data_type": "float32", "kind": "phase_a_voltage", "unit": "V"}
    ]
  })");
}

/// The sample with points[i] changed by `patch` (merged).
Json with_point(std::size_t i, const Json& patch) {
  auto doc = sample();
  doc["points"][i].merge_patch(patch);
  return doc;
}

TEST(PointMapTest, LoadsAValidMapAndRoundTrips) {
  auto map = load_point_map(sample());
  ASSERT_EQ(map.devices.size(), 2u);
  ASSERT_EQ(map.points.size(), 5u);
  EXPECT_EQ(map.devices[1].parity, Parity::even);
  EXPECT_EQ(map.points[0].byte_order, ByteOrder::cdab);
  EXPECT_EQ(map.points[1].register_type, RegisterType::holding_register);  // the default
  EXPECT_EQ(point_width(map.points[3]), 8);
  auto again = load_point_map(point_map_json(map));
  EXPECT_TRUE(members_equal(again, map));
}

TEST(PointMapTest, RejectsOverlapNamingBothPoints) {
  expect_error(
      [] {
        load_point_map(with_point(1, {{"address", 41}}));
      },
      ErrorCode::invalid_argument,
      "points[1] \"o2_source_pressure\": overlaps points[0] \"o2_purity\" at holding "
      "register 41");
  // The same addresses in different register types or devices do not overlap.
  EXPECT_NO_THROW(load_point_map(with_point(2, {{"address", 40}})));
  EXPECT_NO_THROW(load_point_map(with_point(4, {{"address", 8}, {"device_id", 1}})));
}

TEST(PointMapTest, RejectsOverlapHiddenBehindALongPoint) {
  // points[3] spans 0..7; points[4] at 6 overlaps it although another point could sit between.
  expect_error(
      [] {
        load_point_map(with_point(4, {{"address", 6}}));
      },
      ErrorCode::invalid_argument,
      "points[4] \"ua\": overlaps points[3] \"model\" at input register 6");
}

TEST(PointMapTest, RejectsAddressesOutsideTheRegisterSpace) {
  expect_error(
      [] {
        load_point_map(with_point(1, {{"address", 65536}}));
      },
      ErrorCode::invalid_argument,
      "points[1] \"o2_source_pressure\": address: 65536 is outside 0..65535");
  expect_error(
      [] {
        load_point_map(with_point(1, {{"address", -1}}));
      },
      ErrorCode::invalid_argument, "points[1] \"o2_source_pressure\": address: -1");
  // The last register of a multi-register point counts.
  expect_error(
      [] {
        load_point_map(with_point(0, {{"address", 65535}}));
      },
      ErrorCode::invalid_argument,
      "points[0] \"o2_purity\": address: 65535 + 2 registers runs past");
  EXPECT_NO_THROW(load_point_map(with_point(0, {{"address", 65534}})));
}

TEST(PointMapTest, RejectsTypesThatDoNotFitTheRegisterType) {
  expect_error(
      [] {
        load_point_map(with_point(0, {{"register_type", "coil"}}));
      },
      ErrorCode::invalid_argument,
      "points[0] \"o2_purity\": data_type: float32 does not fit a coil");
  expect_error(
      [] {
        load_point_map(with_point(2, {{"data_type", "int16"}}));
      },
      ErrorCode::invalid_argument,
      "points[2] \"alarm\": data_type: int16 does not fit a discrete input");
}

TEST(PointMapTest, RejectsLengthsTheTypeCannotHave) {
  expect_error(
      [] {
        load_point_map(with_point(3, {{"length", 0}}));
      },
      ErrorCode::invalid_argument,
      "points[3] \"model\": length: 0 is outside 1..250 bytes for a string");
  expect_error(
      [] {
        load_point_map(with_point(3, {{"length", 251}}));
      },
      ErrorCode::invalid_argument, "points[3] \"model\": length: 251");
  expect_error(
      [] {
        load_point_map(with_point(1, {{"length", 2}}));
      },
      ErrorCode::invalid_argument,
      "points[1] \"o2_source_pressure\": length: only string points have a length");
}

TEST(PointMapTest, RejectsOtherBadEntries) {
  expect_error(
      [] {
        load_point_map(with_point(1, {{"device_id", 9}}));
      },
      ErrorCode::invalid_argument, "points[1] \"o2_source_pressure\": device_id 9 names no device");
  expect_error(
      [] {
        load_point_map(with_point(1, {{"name", "o2_purity"}}));
      },
      ErrorCode::already_exists, "points[1] \"o2_purity\": duplicate name");
  expect_error(
      [] {
        load_point_map(with_point(1, {{"scale", 0}}));
      },
      ErrorCode::invalid_argument, "points[1] \"o2_source_pressure\": scale:");
  expect_error(
      [] {
        load_point_map(with_point(1, {{"data_type", "float16"}}));
      },
      ErrorCode::invalid_argument, "points[1].data_type: unknown value 'float16'");
  auto doc = sample();
  doc["devices"][0]["host"] = "";
  expect_error([&] { load_point_map(doc); }, ErrorCode::invalid_argument,
               "devices[0] \"gas-panel-1\": host: must not be empty");
  doc = sample();
  doc["devices"][1]["unit_id"] = 0;
  expect_error([&] { load_point_map(doc); }, ErrorCode::invalid_argument,
               "devices[1] \"meter-1\": unit_id: 0 is outside 1..247");
  doc = sample();
  doc["format"] = "houqin.hospital";
  expect_error([&] { load_point_map(doc); }, ErrorCode::invalid_argument, "format: expected");
  doc = sample();
  doc["registers"] = Json::array();
  expect_error([&] { load_point_map(doc); }, ErrorCode::invalid_argument,
               "registers: unknown collection");
}

TEST(PointMapTest, LoadsTheExampleFile) {
  auto map = load_point_map_file(HOUQIN_SAMPLE_POINT_MAP);
  EXPECT_EQ(map.devices.size(), 4u);
  EXPECT_EQ(map.points.size(), 115u);
  expect_error([] { load_point_map_file("/nonexistent/map.json"); }, ErrorCode::not_found,
               "/nonexistent/map.json: cannot open");
}

class PointStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::BackendFixture fx;
};

TEST_P(PointStoreTest, ImportsAndReadsBack) {
  auto s = fx.open_migrated(GetParam(), migrations());
  HQ_REQUIRE_STORE(s);
  auto report = import_point_map(*s, sample());
  EXPECT_EQ(report.inserted.at("points"), 5u);
  auto map = read_point_map(*s);
  ASSERT_EQ(map.points.size(), 5u);
  auto loaded = load_point_map(sample());
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(map.points[i].name, loaded.points[i].name);
    EXPECT_EQ(map.points[i].byte_order, loaded.points[i].byte_order);
    EXPECT_EQ(map.points[i].scale, loaded.points[i].scale);
    EXPECT_EQ(map.points[i].length, loaded.points[i].length);
  }
  EXPECT_EQ(map.devices[1].serial_device, "/dev/ttyUSB0");
  EXPECT_EQ(map.devices[1].parity, Parity::even);
}

TEST_P(PointStoreTest, ABadMapLeavesTheStoreUnchanged) {
  auto s = fx.open_migrated(GetParam(), migrations());
  HQ_REQUIRE_STORE(s);
  expect_error(
      [&] {
        import_point_map(*s, with_point(1, {{"address", 41}}));
      },
      ErrorCode::invalid_argument, "points[1] \"o2_source_pressure\": overlaps");
  EXPECT_EQ(store::Repository<Device>(*s).count(), 0);
  EXPECT_EQ(store::Repository<Point>(*s).count(), 0);
  // A device name already stored clashes at insert: nothing of the second import stays.
  import_point_map(*s, sample());
  auto doc = sample();
  doc["points"] = Json::array();
  expect_error([&] { import_point_map(*s, doc); }, ErrorCode::already_exists, "devices[0]");
  EXPECT_EQ(store::Repository<Device>(*s).count(), 2);
  EXPECT_EQ(store::Repository<Point>(*s).count(), 5);
}

TEST_P(PointStoreTest, ImportsTheExampleFile) {
  auto s = fx.open_migrated(GetParam(), migrations());
  HQ_REQUIRE_STORE(s);
  std::ifstream in(HOUQIN_SAMPLE_POINT_MAP);
  auto report = import_point_map(*s, Json::parse(in));
  EXPECT_EQ(report.total, 119u);
  auto map = read_point_map(*s);
  EXPECT_EQ(map.points.size(), 115u);
}

INSTANTIATE_TEST_SUITE_P(Backends, PointStoreTest, ::testing::ValuesIn(testing::backends()));

}  // namespace
}  // namespace houqin
