#include "houqin/gas/profile.hpp"

#include <string>

#include "houqin/core/error.hpp"
#include "houqin/telemetry/profiles.hpp"

namespace houqin::gas {

double default_nominal_kpa(Gas gas) {
  switch (gas) {
    case Gas::nitrogen:
      return 800;
    case Gas::vacuum:
      return 40;
    default:
      return 400;
  }
}

void GasPoint::validate() const {
  std::string at = "gas point " + std::to_string(point_id) + ": ";
  if (point_id <= 0)
    fail(ErrorCode::invalid_argument, "point_id must be positive, got " + std::to_string(point_id));
  if (nominal_kpa < 0) fail(ErrorCode::invalid_argument, at + "nominal_kpa must not be negative");
  if (measure == Measure::purity && gas != Gas::oxygen)
    fail(ErrorCode::invalid_argument,
         at + "purity is monitored for oxygen only, not " + std::string(enum_name(gas)));
  if (measure == Measure::dew_point && gas != Gas::medical_air)
    fail(ErrorCode::invalid_argument,
         at + "dew point is monitored for medical_air only, not " + std::string(enum_name(gas)));
}

namespace {
double nominal_of(const GasPoint& p) {
  return p.nominal_kpa > 0 ? p.nominal_kpa : default_nominal_kpa(p.gas);
}
}  // namespace

telemetry::AlarmConfig alarm_config(const GasPoint& point, const GasLimits& limits) {
  point.validate();
  telemetry::AlarmConfig c;
  c.point_id = point.point_id;
  c.area = point.area;
  double n = nominal_of(point);
  switch (point.measure) {
    case Measure::purity:
      c.lo = limits.oxygen_purity_min_percent;
      c.lo_priority = telemetry::Priority::high;
      c.deadband = 0.5;  // half a percent point of O2
      return c;
    case Measure::dew_point:
      c.hi = limits.air_dew_point_max_c;
      c.hi_priority = telemetry::Priority::medium;
      c.deadband = 1;  // one degree
      return c;
    case Measure::pressure:
      break;
  }
  c.on_delay_us = limits.on_delay_us;
  c.lo_priority = telemetry::Priority::high;  // life support: loss of pressure first
  c.hi_priority = telemetry::Priority::medium;
  if (point.gas == Gas::vacuum) {
    c.lo = point.role == Role::source ? limits.vacuum_source_min_kpa : limits.vacuum_area_min_kpa;
    c.deadband = limits.deadband_fraction * n;
    return c;
  }
  c.deadband = limits.deadband_fraction * n;
  if (point.role == Role::source) {
    c.lo = n * (1 - limits.source_low_fraction);
    c.hi = n * (1 + limits.source_high_fraction);
  } else {
    c.lo = n * (1 - limits.area_fraction);
    c.hi = n * (1 + limits.area_fraction);
  }
  return c;
}

telemetry::VerifyConfig verify_config(const GasPoint& point, const GasLimits& limits) {
  point.validate();
  telemetry::VerifyConfig v;
  v.point_id = point.point_id;
  switch (point.measure) {
    case Measure::purity:
      v.fail_min = 0;
      v.fail_max = 100;
      return v;
    case Measure::dew_point:
      v.fail_min = -80;  // a dew-point transmitter's range, typically -80..+20 degC
      v.fail_max = 50;
      return v;
    case Measure::pressure:
      break;
  }
  double n = nominal_of(point);
  v.fail_min = 0;
  v.fail_max = n * limits.sensor_range_factor;
  v.suspect_min = n * limits.suspect_low;
  v.suspect_max = n * limits.suspect_high;
  v.max_rate_per_s = n * limits.max_rate_fraction;
  return v;
}

telemetry::TelemetryConfig& add(telemetry::TelemetryConfig& config, const GasPoint& point,
                                const GasLimits& limits, double resolution,
                                std::string point_class) {
  auto v = verify_config(point, limits);
  auto a = alarm_config(point, limits);
  return config.add(std::move(v), std::move(a),
                    telemetry::PointStorage{point.point_id, resolution, std::move(point_class)});
}

namespace {

/// The gas kinds of the stored point map (drivers::PointKind).
bool gas_profile(telemetry::TelemetryConfig& config, const drivers::Point& p,
                 const telemetry::ProfileContext& ctx) {
  using K = drivers::PointKind;
  auto gas = [&](Gas g, Measure m, Role role = Role::area) {
    add(config, GasPoint{p.id, g, role, m, 0, ctx.area}, {}, ctx.resolution);
    return true;
  };
  switch (p.kind) {
    case K::o2_pressure:
      return gas(Gas::oxygen, Measure::pressure);
    case K::air_pressure:
      return gas(Gas::medical_air, Measure::pressure);
    case K::n2o_pressure:
      return gas(Gas::nitrous_oxide, Measure::pressure);
    case K::co2_pressure:
      return gas(Gas::carbon_dioxide, Measure::pressure);
    case K::n2_pressure:
      return gas(Gas::nitrogen, Measure::pressure);
    case K::vacuum_pressure:
      return gas(Gas::vacuum, Measure::pressure);
    case K::o2_purity:
      return gas(Gas::oxygen, Measure::purity, Role::source);
    case K::air_dew_point:
      return gas(Gas::medical_air, Measure::dew_point, Role::source);
    default:
      return false;
  }
}

[[maybe_unused]] const bool registered = telemetry::register_profile("gas", gas_profile);

}  // namespace

}  // namespace houqin::gas
