#include "houqin/power/quality.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "houqin/core/error.hpp"
#include "houqin/telemetry/profiles.hpp"

namespace houqin::power {

double deviation_percent(double measured, double nominal) {
  if (!(nominal > 0)) fail(ErrorCode::invalid_argument, "nominal must be positive");
  return (measured - nominal) / nominal * 100.0;
}

double frequency_deviation_hz(double measured, double nominal) {
  return measured - nominal;
}

double thd_percent(double fundamental, std::span<const double> harmonics) {
  if (!(fundamental > 0)) fail(ErrorCode::invalid_argument, "fundamental must be positive");
  double sum = 0;
  for (double h : harmonics) sum += h * h;
  return std::sqrt(sum) / fundamental * 100.0;
}

double unbalance_percent(double uab, double ubc, double uca) {
  double s2 = uab * uab + ubc * ubc + uca * uca;
  if (!(s2 > 0)) fail(ErrorCode::invalid_argument, "line voltages must not all be zero");
  double l = (std::pow(uab, 4) + std::pow(ubc, 4) + std::pow(uca, 4)) / (s2 * s2);
  double r = std::sqrt(std::max(0.0, 3.0 - 6.0 * l));  // rounding can take 3-6L just below 0
  return std::sqrt(std::max(0.0, (1.0 - r) / (1.0 + r))) * 100.0;
}

double unbalance_percent(std::complex<double> a, std::complex<double> b, std::complex<double> c) {
  const std::complex<double> op = std::polar(1.0, 2.0 * std::numbers::pi / 3.0);
  auto u1 = (a + op * b + op * op * c) / 3.0;
  auto u2 = (a + op * op * b + op * c) / 3.0;
  if (!(std::abs(u1) > 0)) fail(ErrorCode::invalid_argument, "no positive-sequence voltage");
  return std::abs(u2) / std::abs(u1) * 100.0;
}

double unbalance_max_deviation_percent(double a, double b, double c) {
  double mean = (a + b + c) / 3.0;
  if (!(mean > 0)) fail(ErrorCode::invalid_argument, "mean of the phases must be positive");
  double dev = std::max({std::fabs(a - mean), std::fabs(b - mean), std::fabs(c - mean)});
  return dev / mean * 100.0;
}

double power_factor(double p, double q) {
  double s = std::hypot(p, q);
  return s > 0 ? std::fabs(p) / s : 1.0;
}

Assessment assess(const MeterReading& r, const QualityLimits& limits) {
  Assessment a;
  double hi = limits.three_phase_voltage_percent;
  double lo = -limits.three_phase_voltage_percent;
  if (r.supply == Supply::single_phase) {
    hi = limits.single_phase_voltage_high_percent;
    lo = -limits.single_phase_voltage_low_percent;
  }
  const double u[3] = {r.ua, r.ub, r.uc};
  int phases = r.supply == Supply::single_phase ? 1 : 3;
  for (int i = 0; i < phases; ++i) {
    a.voltage_deviation[i] = deviation_percent(u[i], r.nominal_voltage);
    if (a.voltage_deviation[i] > hi || a.voltage_deviation[i] < lo) a.voltage_ok = false;
  }
  a.frequency_deviation = frequency_deviation_hz(r.frequency, limits.nominal_frequency_hz);
  a.frequency_ok = std::fabs(a.frequency_deviation) <= limits.frequency_hz;
  if (r.voltage_thd) {
    a.voltage_thd = *r.voltage_thd;
    a.thd_ok = *r.voltage_thd <= limits.voltage_thd_percent;
  }
  if (r.supply == Supply::three_phase) {
    if (r.uab && r.ubc && r.uca) {
      a.unbalance = unbalance_percent(*r.uab, *r.ubc, *r.uca);
      a.unbalance_standard = true;
    } else if (r.ua + r.ub + r.uc > 0) {
      a.unbalance = unbalance_max_deviation_percent(r.ua, r.ub, r.uc);
    }
    if (a.unbalance) {
      a.unbalance_ok = *a.unbalance <= limits.unbalance_percent;
      a.unbalance_short_ok = *a.unbalance <= limits.unbalance_short_percent;
    }
  }
  a.power_factor = power_factor(r.p, r.q);
  a.power_factor_ok = a.power_factor >= limits.power_factor_min;
  a.residual_alarm = r.residual_ma && *r.residual_ma >= limits.residual_current_ma;
  a.temperature_alarm = r.temperature_c && *r.temperature_c >= limits.temperature_c;
  return a;
}

void PowerPoint::validate() const {
  if (point_id <= 0)
    fail(ErrorCode::invalid_argument, "point_id must be positive, got " + std::to_string(point_id));
  if (nominal < 0)
    fail(ErrorCode::invalid_argument,
         "power point " + std::to_string(point_id) + ": nominal must not be negative");
}

telemetry::AlarmConfig alarm_config(const PowerPoint& point, const QualityLimits& limits) {
  point.validate();
  using telemetry::Priority;
  telemetry::AlarmConfig c;
  c.point_id = point.point_id;
  c.area = point.area;
  double un = point.nominal > 0 ? point.nominal : 220;
  switch (point.quantity) {
    case Quantity::phase_voltage:
      c.hi = un * (1 + limits.three_phase_voltage_percent / 100);
      c.lo = un * (1 - limits.three_phase_voltage_percent / 100);
      c.deadband = un * 0.005;
      break;
    case Quantity::single_phase_voltage:
      c.hi = un * (1 + limits.single_phase_voltage_high_percent / 100);
      c.lo = un * (1 - limits.single_phase_voltage_low_percent / 100);
      c.deadband = un * 0.005;
      break;
    case Quantity::frequency: {
      double fn = point.nominal > 0 ? point.nominal : limits.nominal_frequency_hz;
      c.hi = fn + limits.frequency_hz;
      c.lo = fn - limits.frequency_hz;
      c.deadband = 0.02;
      break;
    }
    case Quantity::voltage_thd:
      c.hi = limits.voltage_thd_percent;
      c.deadband = 0.2;
      break;
    case Quantity::unbalance:
      c.hi = limits.unbalance_percent;
      c.hihi = limits.unbalance_short_percent;
      c.hihi_priority = Priority::high;
      c.on_delay_us = limits.unbalance_on_delay_us;
      c.deadband = 0.1;
      break;
    case Quantity::power_factor:
      c.lo = limits.power_factor_min;
      c.lo_priority = Priority::low;
      c.deadband = 0.01;
      break;
    case Quantity::residual_current:
      c.hi = limits.residual_current_ma;
      c.hi_priority = Priority::high;
      c.deadband = limits.residual_current_ma * 0.1;
      break;
    case Quantity::temperature:
      c.hi = limits.temperature_c;
      c.hi_priority = Priority::high;
      c.deadband = 2;
      break;
    case Quantity::switch_position:
      c.digital = point.alarm_position;
      c.digital_priority = Priority::high;
      break;
  }
  return c;
}

telemetry::VerifyConfig verify_config(const PowerPoint& point) {
  point.validate();
  telemetry::VerifyConfig v;
  v.point_id = point.point_id;
  double un = point.nominal > 0 ? point.nominal : 220;
  switch (point.quantity) {
    case Quantity::phase_voltage:
    case Quantity::single_phase_voltage:
      v.fail_min = 0;
      v.fail_max = un * 2;
      break;
    case Quantity::frequency:
      v.fail_min = 40;
      v.fail_max = 70;
      break;
    case Quantity::voltage_thd:
    case Quantity::unbalance:
      v.fail_min = 0;
      v.fail_max = 100;
      break;
    case Quantity::power_factor:
      v.fail_min = -1;
      v.fail_max = 1;
      break;
    case Quantity::residual_current:
      v.fail_min = 0;
      v.fail_max = 1000;  // GB 14287.2 detector range 20..1000 mA
      break;
    case Quantity::temperature:
      v.fail_min = -40;
      v.fail_max = 200;
      break;
    case Quantity::switch_position:
      break;
  }
  return v;
}

telemetry::TelemetryConfig& add(telemetry::TelemetryConfig& config, const PowerPoint& point,
                                const QualityLimits& limits, double resolution,
                                std::string point_class) {
  auto v = verify_config(point);
  auto a = alarm_config(point, limits);
  return config.add(std::move(v), std::move(a),
                    telemetry::PointStorage{point.point_id, resolution, std::move(point_class)});
}

namespace {

/// The electrical kinds of the stored point map (drivers::PointKind).
bool power_profile(telemetry::TelemetryConfig& config, const drivers::Point& p,
                   const telemetry::ProfileContext& ctx) {
  using K = drivers::PointKind;
  auto power = [&](Quantity q, double nominal = 0) {
    add(config, PowerPoint{p.id, q, nominal, std::nullopt, ctx.area}, {}, ctx.resolution);
    return true;
  };
  switch (p.kind) {
    case K::phase_a_voltage:
    case K::phase_b_voltage:
    case K::phase_c_voltage:
      return power(Quantity::phase_voltage, ctx.nominal_voltage);
    case K::frequency:
      return power(Quantity::frequency);
    case K::voltage_thd:
      return power(Quantity::voltage_thd);
    case K::voltage_unbalance:
      return power(Quantity::unbalance);
    case K::power_factor:
      return power(Quantity::power_factor);
    case K::residual_current:
      return power(Quantity::residual_current);
    case K::cable_temperature:
      return power(Quantity::temperature);
    case K::breaker_state:
      return power(Quantity::switch_position);
    default:
      return false;
  }
}

[[maybe_unused]] const bool registered = telemetry::register_profile("power", power_profile);

}  // namespace

}  // namespace houqin::power
