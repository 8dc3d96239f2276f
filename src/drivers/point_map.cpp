#include "houqin/drivers/point_map.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace houqin::drivers {
namespace {

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  fail(ErrorCode::invalid_argument, field + ": " + what);
}

void require_range(long long v, long long lo, long long hi, const char* field) {
  if (v < lo || v > hi)
    bad(field, std::to_string(v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
}

}  // namespace

int point_width(DataType type, int length) noexcept {
  switch (type) {
    case DataType::boolean:
    case DataType::int16:
    case DataType::uint16:
      return 1;
    case DataType::int32:
    case DataType::uint32:
    case DataType::float32:
      return 2;
    case DataType::int64:
    case DataType::uint64:
    case DataType::float64:
      return 4;
    case DataType::string:
      return (length + 1) / 2;
  }
  return 1;
}

std::string_view describe(RegisterType t) noexcept {
  switch (t) {
    case RegisterType::coil:
      return "coil";
    case RegisterType::discrete_input:
      return "discrete input";
    case RegisterType::input_register:
      return "input register";
    case RegisterType::holding_register:
      return "holding register";
  }
  return "register";
}

void Device::validate() const {
  if (name.empty()) bad("name", "must not be empty");
  if (transport == Transport::tcp) {
    if (host.empty()) bad("host", "must not be empty for a tcp device");
    require_range(port, 1, 65535, "port");
    require_range(unit_id, 0, 255, "unit_id");
  } else {
    if (serial_device.empty()) bad("serial_device", "must not be empty for an rtu device");
    require_range(baud, 50, 4000000, "baud");
    require_range(data_bits, 5, 8, "data_bits");
    require_range(stop_bits, 1, 2, "stop_bits");
    // 0 is broadcast (no reply) and 248..255 are reserved on a serial line.
    require_range(unit_id, 1, 247, "unit_id");
  }
  require_range(response_timeout_ms, 1, 60000, "response_timeout_ms");
  require_range(poll_interval_ms, 10, 86400000, "poll_interval_ms");
  require_range(max_gap_registers, 0, 124, "max_gap_registers");
  require_range(max_gap_bits, 0, 1999, "max_gap_bits");
}

void Point::validate() const {
  if (name.empty()) bad("name", "must not be empty");
  if (device_id <= 0) bad("device_id", "must name a device");
  require_range(address, 0, 65535, "address");
  if (is_bit(register_type) && data_type != DataType::boolean)
    bad("data_type", std::string(enum_name(data_type)) + " does not fit a " +
                         std::string(describe(register_type)) + " (only boolean does)");
  if (data_type == DataType::string) {
    // 125 registers is the most one read request can return.
    if (length < 1 || length > 250)
      bad("length", std::to_string(length) + " is outside 1..250 bytes for a string");
  } else if (length != 0) {
    bad("length", "only string points have a length (got " + std::to_string(length) + ")");
  }
  int end = address + point_width(*this) - 1;
  if (end > 65535)
    bad("address", std::to_string(address) + " + " + std::to_string(point_width(*this)) +
                       (is_bit(register_type) ? " bits" : " registers") +
                       " runs past the last address 65535");
  if (!std::isfinite(scale) || scale == 0) bad("scale", "must be a finite non-zero number");
  if (!std::isfinite(bias)) bad("bias", "must be a finite number");
}

namespace {

std::string point_label(const PointMap& map, std::size_t i) {
  return "points[" + std::to_string(i) + "] \"" + map.points[i].name + "\"";
}

std::string device_label(const PointMap& map, std::size_t i) {
  return "devices[" + std::to_string(i) + "] \"" + map.devices[i].name + "\"";
}

}  // namespace

void validate_map(const PointMap& map) {
  std::map<Id, std::size_t> device_index;
  std::map<std::string, std::size_t> device_names;
  for (std::size_t i = 0; i < map.devices.size(); ++i) {
    const auto& d = map.devices[i];
    try {
      d.validate();
    } catch (const Error& e) {
      fail(e.code(), device_label(map, i) + ": " + e.what());
    }
    if (d.id <= 0)
      fail(ErrorCode::invalid_argument, device_label(map, i) + ": id must be positive");
    if (auto [it, fresh] = device_index.emplace(d.id, i); !fresh)
      fail(ErrorCode::invalid_argument, device_label(map, i) + ": duplicate id " +
                                            std::to_string(d.id) + " (also " +
                                            device_label(map, it->second) + ")");
    if (auto [it, fresh] = device_names.emplace(d.name, i); !fresh)
      fail(ErrorCode::already_exists, device_label(map, i) + ": duplicate name (also devices[" +
                                          std::to_string(it->second) + "])");
  }

  // Per (device, register type): the points ordered by address, to find overlaps.
  std::map<std::pair<Id, RegisterType>, std::vector<std::size_t>> spaces;
  std::map<std::pair<Id, std::string>, std::size_t> name_index;
  for (std::size_t i = 0; i < map.points.size(); ++i) {
    const auto& p = map.points[i];
    try {
      p.validate();
    } catch (const Error& e) {
      fail(e.code(), point_label(map, i) + ": " + e.what());
    }
    if (!device_index.count(p.device_id))
      fail(ErrorCode::invalid_argument,
           point_label(map, i) + ": device_id " + std::to_string(p.device_id) + " names no device");
    if (auto [it, fresh] = name_index.emplace(std::pair{p.device_id, p.name}, i); !fresh)
      fail(ErrorCode::already_exists, point_label(map, i) +
                                          ": duplicate name on its device (also points[" +
                                          std::to_string(it->second) + "])");
    spaces[{p.device_id, p.register_type}].push_back(i);
  }
  for (auto& [key, list] : spaces) {
    std::stable_sort(list.begin(), list.end(), [&](std::size_t a, std::size_t b) {
      return map.points[a].address < map.points[b].address;
    });
    // The point reaching furthest so far: any later point starting before its end overlaps it.
    std::size_t reach = list.front();
    for (std::size_t k = 1; k < list.size(); ++k) {
      const auto& r = map.points[reach];
      const auto& p = map.points[list[k]];
      if (p.address < r.address + point_width(r)) {
        // Report the later entry of the document against the earlier one.
        auto later = std::max(list[k], reach), earlier = std::min(list[k], reach);
        fail(ErrorCode::invalid_argument,
             point_label(map, later) + ": overlaps " + point_label(map, earlier) + " at " +
                 std::string(describe(key.second)) + " " + std::to_string(p.address));
      }
      if (p.address + point_width(p) > r.address + point_width(r)) reach = list[k];
    }
  }
}

PointMap load_point_map(const json::Json& document) {
  if (!document.is_object()) json::fail_type(json::Path{}, "object", document);
  auto format = document.find("format");
  if (format == document.end() || *format != point_map_format)
    fail(ErrorCode::invalid_argument, "format: expected \"" + std::string(point_map_format) + "\"");
  auto version = document.find("format_version");
  if (version != document.end() && *version != point_map_format_version)
    fail(ErrorCode::invalid_argument, "format_version: this library reads version " +
                                          std::to_string(point_map_format_version) + ", got " +
                                          version->dump());
  PointMap map;
  for (auto it = document.begin(); it != document.end(); ++it) {
    const auto& key = it.key();
    if (key == "format" || key == "format_version") continue;
    if (key != "devices" && key != "points")
      fail(ErrorCode::invalid_argument, key + ": unknown collection");
    if (!it->is_array())
      json::fail_type(json::Path{nullptr, key, static_cast<std::size_t>(-1), {}}, "array", *it);
    for (std::size_t i = 0; i < it->size(); ++i) {
      auto where = key + "[" + std::to_string(i) + "]";
      if (key == "devices")
        map.devices.push_back(json::from_json<Device>((*it)[i], where));
      else
        map.points.push_back(json::from_json<Point>((*it)[i], where));
    }
  }
  validate_map(map);
  return map;
}

PointMap load_point_map_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::not_found, path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  return load_point_map(json::parse(text.str(), path));
}

json::Json point_map_json(const PointMap& map) {
  json::Json out = {{"format", point_map_format}, {"format_version", point_map_format_version}};
  out["devices"] = json::to_json(map.devices);
  out["points"] = json::to_json(map.points);
  return out;
}

}  // namespace houqin::drivers
