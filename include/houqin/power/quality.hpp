// Power quality (智慧用电): the indicators of the Chinese power-quality standards computed from
// meter readings, checked against their limits, and the alarm and verification configuration of
// an electrical point. Every limit is a named default with its source; pass a modified copy to
// override it for a point (docs/telemetry-alarms.md lists them).
#pragma once

#include <complex>
#include <optional>
#include <span>
#include <string>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/telemetry/stages.hpp"
#include "houqin/telemetry/verify.hpp"

namespace houqin::power {

struct QualityLimits {
  /// GB/T 12325-2008: three-phase supply at 20 kV and below, +/-7 % of nominal.
  double three_phase_voltage_percent = 7;
  /// GB/T 12325-2008: 220 V single-phase supply, +7 % / -10 % of nominal.
  double single_phase_voltage_high_percent = 7;
  double single_phase_voltage_low_percent = 10;
  /// GB/T 15945-2008: +/-0.2 Hz in normal operation (+/-0.5 Hz allowed for small systems).
  double frequency_hz = 0.2;
  double nominal_frequency_hz = 50;
  /// GB/T 14549-1993: total harmonic distortion of the voltage at 0.38 kV at most 5 %.
  double voltage_thd_percent = 5;
  /// GB/T 15543-2008: negative-sequence voltage unbalance 2 % normally, 4 % short-time.
  double unbalance_percent = 2;
  double unbalance_short_percent = 4;
  /// The 2 % limit is a long-term one: an excursion must last this long before it alarms.
  telemetry::Micros unbalance_on_delay_us = 10LL * 60 * 1'000'000;
  /// 功率因数调整电费办法 (1983): 0.90 for users of 160 kVA and above (0.85 for smaller ones).
  double power_factor_min = 0.90;
  /// GB 50116-2013 9.2.3: residual (leakage) current alarm set between 300 and 500 mA.
  double residual_current_ma = 300;
  /// Cable / terminal temperature alarm: 70 degC, the maximum continuous conductor temperature of
  /// PVC-insulated cable (GB/T 5023 / IEC 60227). GB 14287.2 allows detector settings 55-140 degC;
  /// verify against the installation.
  double temperature_c = 70;
};

/// (measured - nominal) / nominal in percent.
HOUQIN_EXPORT double deviation_percent(double measured, double nominal);
/// measured - nominal in Hz.
HOUQIN_EXPORT double frequency_deviation_hz(double measured, double nominal = 50);
/// sqrt(sum of squared harmonic magnitudes (h >= 2)) / fundamental, in percent.
HOUQIN_EXPORT double thd_percent(double fundamental, std::span<const double> harmonics);
/// Negative-sequence unbalance |U2| / |U1| in percent from the three LINE-to-line voltage
/// magnitudes (GB/T 15543-2008 appendix formula, exact because line voltages carry no zero
/// sequence): L = (a^4+b^4+c^4)/(a^2+b^2+c^2)^2, e = sqrt((1-sqrt(3-6L))/(1+sqrt(3-6L))).
HOUQIN_EXPORT double unbalance_percent(double uab, double ubc, double uca);
/// |U2| / |U1| in percent from three phasors (symmetrical components, a = 1 at 120 degrees).
HOUQIN_EXPORT double unbalance_percent(std::complex<double> a, std::complex<double> b,
                                       std::complex<double> c);
/// The simplified (NEMA MG 1) definition: largest deviation from the mean / mean, in percent.
/// For meters that report phase magnitudes only; it is not the standard's definition.
HOUQIN_EXPORT double unbalance_max_deviation_percent(double a, double b, double c);
/// P / sqrt(P^2 + Q^2); 1 when both are zero.
HOUQIN_EXPORT double power_factor(double p, double q);

BOOST_DEFINE_ENUM_CLASS(Supply, three_phase, single_phase)

/// One meter reading, as far as the meter provides it.
struct MeterReading {
  Supply supply = Supply::three_phase;
  double nominal_voltage = 220;   // phase (three-phase) or single-phase nominal, V
  double ua = 0, ub = 0, uc = 0;  // phase voltages, V (single-phase: ua)
  std::optional<double> uab{}, ubc{},
      uca{};  // line voltages, V: the standard unbalance when present
  double frequency = 50;
  std::optional<double> voltage_thd{};  // percent, as the meter reports it
  double p = 0;                         // active power, kW
  double q = 0;                         // reactive power, kvar
  std::optional<double> residual_ma{};
  std::optional<double> temperature_c{};
};

/// The indicators of one reading and whether each is within its limit.
struct Assessment {
  double voltage_deviation[3] = {0, 0, 0};  // percent per phase (single-phase: [0])
  bool voltage_ok = true;
  double frequency_deviation = 0;
  bool frequency_ok = true;
  std::optional<double> voltage_thd{};
  bool thd_ok = true;
  std::optional<double> unbalance{};  // percent (three-phase only)
  bool unbalance_standard = false;  // computed from line voltages (GB/T 15543), else max-deviation
  bool unbalance_ok = true;         // within the normal limit
  bool unbalance_short_ok = true;   // within the short-time limit
  double power_factor = 1;
  bool power_factor_ok = true;
  bool residual_alarm = false;
  bool temperature_alarm = false;
};

HOUQIN_EXPORT Assessment assess(const MeterReading& reading, const QualityLimits& limits = {});

/// What an electrical point measures.
BOOST_DEFINE_ENUM_CLASS(Quantity, phase_voltage, single_phase_voltage, frequency, voltage_thd,
                        unbalance, power_factor, residual_current, temperature, switch_position)

struct PowerPoint {
  Id point_id = 0;
  Quantity quantity = Quantity::phase_voltage;
  double nominal = 0;  // voltage points: nominal V (0: 220); frequency: nominal Hz (0: 50)
  std::optional<double> alarm_position{};  // switch_position: the position that alarms (tripped)
  std::string area{};
  HOUQIN_EXPORT void validate() const;
};

/// The point's alarms: voltage hi/lo at the GB/T 12325 band, frequency hi/lo, THD hi, unbalance hi
/// (2 %, delayed) and hihi (4 %), power factor lo, residual current hi, temperature hi; switch
/// positions a digital alarm when alarm_position is set (their changes go to the SOE log).
HOUQIN_EXPORT telemetry::AlarmConfig alarm_config(const PowerPoint& point,
                                                  const QualityLimits& limits = {});
/// The point's gross-range tests (physically possible values).
HOUQIN_EXPORT telemetry::VerifyConfig verify_config(const PowerPoint& point);
/// Adds an electrical point to `config`: verify_config, alarm_config and storage at
/// `resolution`. The power profile also registers itself (telemetry/profiles.hpp) for the
/// electrical kinds of the stored point map.
HOUQIN_EXPORT telemetry::TelemetryConfig& add(telemetry::TelemetryConfig& config,
                                              const PowerPoint& point,
                                              const QualityLimits& limits = {},
                                              double resolution = 0.01,
                                              std::string point_class = "power");

BOOST_DESCRIBE_STRUCT(QualityLimits, (),
                      (three_phase_voltage_percent, single_phase_voltage_high_percent,
                       single_phase_voltage_low_percent, frequency_hz, nominal_frequency_hz,
                       voltage_thd_percent, unbalance_percent, unbalance_short_percent,
                       unbalance_on_delay_us, power_factor_min, residual_current_ma, temperature_c))
BOOST_DESCRIBE_STRUCT(PowerPoint, (), (point_id, quantity, nominal, alarm_position, area))

}  // namespace houqin::power
