// Point maps (数据采集点表): which field device is reached how, and which of its Modbus registers
// hold which measurement in which encoding. A map is plain described data, loaded from a JSON
// document or from the store; the validator rejects a map the driver could not read correctly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/id.hpp"
#include "houqin/core/json.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::drivers {

BOOST_DEFINE_ENUM_CLASS(Transport, tcp, rtu)
BOOST_DEFINE_ENUM_CLASS(Parity, none, even, odd)
BOOST_DEFINE_ENUM_CLASS(RegisterType, coil, discrete_input, input_register, holding_register)
/// `boolean` is a single bit (coil, discrete input) or a register read as register != 0.
BOOST_DEFINE_ENUM_CLASS(DataType, boolean, int16, uint16, int32, uint32, int64, uint64, float32,
                        float64, string)
/// Byte order of a multi-byte value, A the most significant byte: abcd big-endian (Modbus
/// standard), cdab word-swapped, badc byte-swapped within each register, dcba little-endian.
BOOST_DEFINE_ENUM_CLASS(ByteOrder, abcd, cdab, badc, dcba)
/// What a point measures; the telemetry, gas and power domains key their rules on it.
BOOST_DEFINE_ENUM_CLASS(PointKind, other,
                        // medical gas (医用气体)
                        o2_pressure, o2_purity, o2_flow, air_pressure, air_dew_point, air_flow,
                        n2o_pressure, co2_pressure, n2_pressure, vacuum_pressure, gas_alarm,
                        // electricity (智慧用电)
                        phase_a_voltage, phase_b_voltage, phase_c_voltage, phase_a_current,
                        phase_b_current, phase_c_current, frequency, power_factor, active_power,
                        energy, voltage_thd, current_thd, voltage_unbalance, residual_current,
                        cable_temperature, breaker_state, line_voltage, neutral_current,
                        reactive_power, apparent_power,
                        // medical waste: a platform scale's net weight in kg
                        weight)

/// Planning defaults: a device may be asked for this many unused registers (bits) between two
/// points so that both come in one request. Devices with holes in their register map need 0.
inline constexpr int default_max_gap_registers = 10;
inline constexpr int default_max_gap_bits = 80;

/// A field device: a TCP endpoint or a slave on a serial (RS-485) line.
struct Device {
  Id id = 0;
  std::int64_t version = 0;
  std::string name;
  Transport transport = Transport::tcp;
  std::string host;           // tcp
  int port = 502;             // tcp
  std::string serial_device;  // rtu, e.g. "/dev/ttyUSB0"
  int baud = 9600;            // rtu
  Parity parity = Parity::none;
  int data_bits = 8;
  int stop_bits = 1;
  int unit_id = 1;  // Modbus slave / unit identifier
  int response_timeout_ms = 500;
  int poll_interval_ms = 1000;
  int max_gap_registers = default_max_gap_registers;
  int max_gap_bits = default_max_gap_bits;
  HOUQIN_EXPORT void validate() const;
};

/// One measurement: where it sits in the device and how its registers decode to a value,
/// value = raw * scale + bias ("offset" is an SQL reserved word).
struct Point {
  Id id = 0;
  std::int64_t version = 0;
  Id device_id = 0;
  std::string name;
  RegisterType register_type = RegisterType::holding_register;
  int address = 0;  // 0-based protocol address
  DataType data_type = DataType::uint16;
  int length = 0;  // string points: bytes (two per register); 0 for every other type
  ByteOrder byte_order = ByteOrder::abcd;
  double scale = 1;
  double bias = 0;
  std::string unit;  // engineering unit, e.g. "kPa"
  PointKind kind = PointKind::other;
  HOUQIN_EXPORT void validate() const;
};

BOOST_DESCRIBE_STRUCT(Device, (),
                      (id, version, name, transport, host, port, serial_device, baud, parity,
                       data_bits, stop_bits, unit_id, response_timeout_ms, poll_interval_ms,
                       max_gap_registers, max_gap_bits))
BOOST_DESCRIBE_STRUCT(Point, (),
                      (id, version, device_id, name, register_type, address, data_type, length,
                       byte_order, scale, bias, unit, kind))

/// Registers (or bits, for coils and discrete inputs) that a point occupies.
HOUQIN_EXPORT int point_width(DataType type, int length) noexcept;
inline int point_width(const Point& p) noexcept {
  return point_width(p.data_type, p.length);
}
/// True for coils and discrete inputs, whose addresses count bits.
constexpr bool is_bit(RegisterType t) noexcept {
  return t == RegisterType::coil || t == RegisterType::discrete_input;
}
/// "holding register", "coil", ... for messages.
HOUQIN_EXPORT std::string_view describe(RegisterType t) noexcept;

/// Devices and their points, as loaded from a document or the store.
struct PointMap {
  std::vector<Device> devices;
  std::vector<Point> points;
};
BOOST_DESCRIBE_STRUCT(PointMap, (), (devices, points))

/// Checks a whole map: every device and point, unique names, points that name a device of the
/// map, no two points of a device sharing a register, addresses (including the last register of
/// a multi-register point) within 0..65535. Errors name the entry, e.g.
/// `points[3] "o2_source_pressure": overlaps points[2] "o2_purity" at holding register 40`.
HOUQIN_EXPORT void validate_map(const PointMap& map);

inline constexpr std::string_view point_map_format = "houqin.point_map";
inline constexpr int point_map_format_version = 1;

/// Parses and validates a point-map document {"format": "houqin.point_map", "devices": [...],
/// "points": [...]}; ids in it are document-local keys that points' device_id refer to.
HOUQIN_EXPORT PointMap load_point_map(const json::Json& document);
HOUQIN_EXPORT PointMap load_point_map_file(const std::string& path);
/// The document form of a map (what load_point_map reads).
HOUQIN_EXPORT json::Json point_map_json(const PointMap& map);

}  // namespace houqin::drivers

// ---- storage facts, beside the types -----------------------------------------------------------

template <>
struct houqin::entity_traits<houqin::drivers::Device> {
  static constexpr std::string_view table = "drivers_device";
  static constexpr std::string_view collection = "devices";
  static constexpr std::array<std::string_view, 1> unique{"name"};
};

template <>
struct houqin::entity_traits<houqin::drivers::Point> {
  static constexpr std::string_view table = "drivers_point";
  static constexpr std::string_view collection = "points";
  static constexpr std::array<std::string_view, 1> unique{"device_id,name"};
  static constexpr auto references = std::tuple{ref<drivers::Device>(&drivers::Point::device_id)};
};

// Instantiated once, in libhouqin (src/drivers/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::drivers::Device)
HOUQIN_EXTERN_ENTITY(houqin::drivers::Point)
