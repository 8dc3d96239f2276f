// Medical gas profiles (医用气体): the alarm and verification configuration of a pipeline point
// from its gas, its role (source plant / area) and its nominal pressure, with the limits of
// GB 50751-2012 and NFPA 99 as named defaults that a point may override (docs/telemetry-alarms.md).
#pragma once

#include <string>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/telemetry/stages.hpp"
#include "houqin/telemetry/verify.hpp"

namespace houqin::gas {

BOOST_DEFINE_ENUM_CLASS(Gas, oxygen, medical_air, nitrous_oxide, carbon_dioxide, nitrogen, vacuum)

/// Where the point measures: at the source (plant, manifold, main line leaving it) or in an area
/// (the area alarm panel after the zone valve box of a ward, theatre, ICU).
BOOST_DEFINE_ENUM_CLASS(Role, source, area)

/// What the point measures. Vacuum pressures are vacuum levels: kPa below atmospheric, positive.
BOOST_DEFINE_ENUM_CLASS(Measure, pressure, purity, dew_point)

/// The limits, each a named default with its source; pass a modified copy to override per point.
struct GasLimits {
  /// GB 50751-2012: a source alarm when the pressure is 15 % below the rated pressure.
  double source_low_fraction = 0.15;
  /// GB 50751-2012: a source alarm "above the upper limit". The standard leaves the upper limit
  /// to the design; +20 % of nominal (as NFPA 99's master alarm) is the default. Verify per site.
  double source_high_fraction = 0.20;
  /// GB 50751-2012: the vacuum plant alarms when the vacuum level falls below 48 kPa.
  double vacuum_source_min_kpa = 48;
  /// GB 50751-2012 / NFPA 99 (5.1.9.3): area alarms at +/-20 % of the nominal pressure.
  double area_fraction = 0.20;
  /// Area vacuum alarm below 37 kPa (GB 50751-2012 as read for this project; verify).
  double vacuum_area_min_kpa = 37;
  /// PSA oxygen (GB 50751-2012, YY/T 1604 oxygen 93 %): alarm below 93 % O2.
  double oxygen_purity_min_percent = 93;
  /// Medical air dew point (GB 50751-2012): alarm above 0 degC at line pressure.
  double air_dew_point_max_c = 0;
  /// Verification: a transmitter reading outside [0, sensor_range_factor x nominal] is wrong;
  /// outside [suspect_low, suspect_high] x nominal it is doubtful; a pipeline pressure does not
  /// move more than max_rate_fraction x nominal per second. Engineering assumptions, not standards.
  double sensor_range_factor = 2.5;
  double suspect_low = 0.5;
  double suspect_high = 1.5;
  double max_rate_fraction = 0.10;
  /// Hysteresis on pressure alarms, as a fraction of nominal (2 %), against chattering.
  double deadband_fraction = 0.02;
  /// A pressure outside its band for this long before the alarm (filters a valve's transient).
  telemetry::Micros on_delay_us = 2'000'000;
};

/// GB 50751-2012 terminal nominal pressures in kPa (gauge; vacuum as a vacuum level): 400 for
/// oxygen, medical air, nitrous oxide and carbon dioxide, 800 for nitrogen / instrument gas, 40
/// for vacuum (verify against the design of the site).
HOUQIN_EXPORT double default_nominal_kpa(Gas gas);

/// One gas point.
struct GasPoint {
  Id point_id = 0;
  Gas gas = Gas::oxygen;
  Role role = Role::area;
  Measure measure = Measure::pressure;
  double nominal_kpa = 0;  // 0: default_nominal_kpa(gas)
  std::string area{};      // the operator area of its alarms
  HOUQIN_EXPORT void validate() const;
};

/// The point's alarms: pressure lo/hi per role (vacuum: lo only), O2 purity lo, dew point hi.
/// Error(invalid_argument) for a purity point that is not oxygen or a dew-point point that is
/// not medical air.
HOUQIN_EXPORT telemetry::AlarmConfig alarm_config(const GasPoint& point,
                                                  const GasLimits& limits = {});
/// The point's verification tests (gross range, rate of change).
HOUQIN_EXPORT telemetry::VerifyConfig verify_config(const GasPoint& point,
                                                    const GasLimits& limits = {});
/// Adds a gas point to `config`: verify_config, alarm_config and storage at `resolution` (kPa, %,
/// degC: a transmitter's register step). Error(invalid_argument) as the profile. The gas profile
/// also registers itself (telemetry/profiles.hpp) for the gas kinds of the stored point map.
HOUQIN_EXPORT telemetry::TelemetryConfig& add(telemetry::TelemetryConfig& config,
                                              const GasPoint& point, const GasLimits& limits = {},
                                              double resolution = 0.1,
                                              std::string point_class = "gas");

BOOST_DESCRIBE_STRUCT(GasLimits, (),
                      (source_low_fraction, source_high_fraction, vacuum_source_min_kpa,
                       area_fraction, vacuum_area_min_kpa, oxygen_purity_min_percent,
                       air_dew_point_max_c, sensor_range_factor, suspect_low, suspect_high,
                       max_rate_fraction, deadband_fraction, on_delay_us))
BOOST_DESCRIBE_STRUCT(GasPoint, (), (point_id, gas, role, measure, nominal_kpa, area))

}  // namespace houqin::gas
