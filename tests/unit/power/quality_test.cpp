// Power quality: each indicator against hand-computed values, the limits of the standards as
// named defaults and overrides, the alarm configuration per quantity, and the sequence-of-events
// log in device-time order on every backend.
#include "houqin/power/quality.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/power/soe.hpp"

namespace houqin::power {
namespace {

using testing::expect_error;

TEST(PowerQuality, VoltageDeviation) {
  EXPECT_NEAR(deviation_percent(235.4, 220), 7.0, 1e-12);
  EXPECT_NEAR(deviation_percent(198, 220), -10.0, 1e-12);
  EXPECT_NEAR(deviation_percent(380, 400), -5.0, 1e-12);
  expect_error([] { deviation_percent(220, 0); }, ErrorCode::invalid_argument, "nominal");
}

TEST(PowerQuality, FrequencyDeviationAndThd) {
  EXPECT_NEAR(frequency_deviation_hz(50.25), 0.25, 1e-12);
  // sqrt(6.6^2 + 0 + 8.8^2) = sqrt(43.56 + 77.44) = 11 V of 220 V: 5 %.
  std::vector<double> h{6.6, 0, 8.8};
  EXPECT_NEAR(thd_percent(220, h), 5.0, 1e-12);
}

TEST(PowerQuality, UnbalanceFromLineVoltagesMatchesSymmetricalComponents) {
  // A system built with |U2| / |U1| = 4.6 / 230 = 2 % exactly (no zero sequence).
  const std::complex<double> a = std::polar(1.0, 2 * std::numbers::pi / 3);
  std::complex<double> u1 = 230, u2 = std::polar(4.6, std::numbers::pi / 6);
  auto va = u1 + u2, vb = a * a * u1 + a * u2, vc = a * u1 + a * a * u2;
  EXPECT_NEAR(unbalance_percent(va, vb, vc), 2.0, 1e-9);
  EXPECT_NEAR(unbalance_percent(std::abs(va - vb), std::abs(vb - vc), std::abs(vc - va)), 2.0,
              1e-9);
  // Hand computation for 400/400/380 V: L = 7.205136e10 / 2.1566736e11 = 0.3340850,
  // sqrt(3 - 6L) = 0.9977426, e = sqrt(0.0022574 / 1.9977426) = 3.3630 %.
  EXPECT_NEAR(unbalance_percent(400, 400, 380), 3.3630, 1e-4);
  EXPECT_NEAR(unbalance_percent(400, 400, 400), 0.0, 1e-6);
  // Simplified: 230/225/235, mean 230, largest deviation 5 V: 2.1739 %.
  EXPECT_NEAR(unbalance_max_deviation_percent(230, 225, 235), 5.0 / 230 * 100, 1e-12);
}

TEST(PowerQuality, PowerFactor) {
  EXPECT_NEAR(power_factor(3, 4), 0.6, 1e-12);
  EXPECT_NEAR(power_factor(-3, 4), 0.6, 1e-12) << "export counts the same";
  EXPECT_EQ(power_factor(0, 0), 1.0);
}

TEST(PowerQuality, AssessmentAgainstTheStandardsLimits) {
  MeterReading r;
  r.ua = 220;
  r.ub = 230;
  r.uc = 236;  // +7.27 %: outside +/-7 %
  r.uab = 400;
  r.ubc = 400;
  r.uca = 380;
  r.frequency = 50.1;
  r.voltage_thd = 5.2;
  r.p = 90;
  r.q = 50;  // pf 0.874
  r.residual_ma = 320;
  r.temperature_c = 65;
  auto a = assess(r);
  EXPECT_FALSE(a.voltage_ok);
  EXPECT_NEAR(a.voltage_deviation[2], (236.0 - 220) / 220 * 100, 1e-12);
  EXPECT_TRUE(a.frequency_ok);
  EXPECT_FALSE(a.thd_ok);
  ASSERT_TRUE(a.unbalance);
  EXPECT_TRUE(a.unbalance_standard);
  EXPECT_FALSE(a.unbalance_ok) << "3.36 % > 2 %";
  EXPECT_TRUE(a.unbalance_short_ok) << "3.36 % <= 4 %";
  EXPECT_NEAR(a.power_factor, 90 / std::hypot(90.0, 50.0), 1e-12);
  EXPECT_FALSE(a.power_factor_ok);
  EXPECT_TRUE(a.residual_alarm);
  EXPECT_FALSE(a.temperature_alarm);

  MeterReading single;
  single.supply = Supply::single_phase;
  single.ua = 200;  // -9.1 %: inside +7 / -10 %
  EXPECT_TRUE(assess(single).voltage_ok);
  single.ua = 197;  // -10.5 %
  EXPECT_FALSE(assess(single).voltage_ok);
  single.ua = 235;  // +6.8 %
  EXPECT_TRUE(assess(single).voltage_ok);
  EXPECT_FALSE(assess(single).unbalance) << "no unbalance for one phase";

  // Without line voltages, the simplified definition is used and said so.
  MeterReading phases;
  phases.ua = 230;
  phases.ub = 225;
  phases.uc = 235;
  auto p = assess(phases);
  EXPECT_FALSE(p.unbalance_standard);
  EXPECT_NEAR(*p.unbalance, 2.1739, 1e-4);

  QualityLimits lenient;
  lenient.frequency_hz = 0.5;  // a small isolated system
  lenient.residual_current_ma = 500;
  r.frequency = 50.4;
  EXPECT_FALSE(assess(r).frequency_ok);
  EXPECT_TRUE(assess(r, lenient).frequency_ok);
  EXPECT_FALSE(assess(r, lenient).residual_alarm);
}

TEST(PowerQuality, AlarmConfigurationPerQuantity) {
  auto v = alarm_config({.point_id = 1, .quantity = Quantity::phase_voltage});
  EXPECT_NEAR(*v.hi, 235.4, 1e-9);
  EXPECT_NEAR(*v.lo, 204.6, 1e-9);
  auto s = alarm_config({.point_id = 1, .quantity = Quantity::single_phase_voltage});
  EXPECT_NEAR(*s.hi, 235.4, 1e-9);
  EXPECT_NEAR(*s.lo, 198, 1e-9);
  auto f = alarm_config({.point_id = 1, .quantity = Quantity::frequency});
  EXPECT_NEAR(*f.hi, 50.2, 1e-9);
  EXPECT_NEAR(*f.lo, 49.8, 1e-9);
  auto u = alarm_config({.point_id = 1, .quantity = Quantity::unbalance});
  EXPECT_EQ(*u.hi, 2);
  EXPECT_EQ(*u.hihi, 4);
  EXPECT_EQ(u.on_delay_us, 600'000'000);
  EXPECT_EQ(*alarm_config({.point_id = 1, .quantity = Quantity::voltage_thd}).hi, 5);
  EXPECT_EQ(*alarm_config({.point_id = 1, .quantity = Quantity::power_factor}).lo, 0.9);
  EXPECT_EQ(*alarm_config({.point_id = 1, .quantity = Quantity::residual_current}).hi, 300);
  EXPECT_EQ(*alarm_config({.point_id = 1, .quantity = Quantity::temperature}).hi, 70);
  auto sw =
      alarm_config({.point_id = 1, .quantity = Quantity::switch_position, .alarm_position = 2});
  EXPECT_EQ(*sw.digital, 2);
  QualityLimits site;
  site.residual_current_ma = 500;
  EXPECT_EQ(*alarm_config({.point_id = 1, .quantity = Quantity::residual_current}, site).hi, 500);
  auto rv = verify_config({.point_id = 1, .quantity = Quantity::residual_current});
  EXPECT_EQ(*rv.fail_max, 1000);
}

TEST(PowerQuality, ResidualCurrentAlarmThroughTheEngine) {
  ManualClock clock{parse_timestamp("2026-03-02T08:00:00Z")};
  telemetry::AlarmEngine engine(clock);
  engine.configure({alarm_config({.point_id = 9, .quantity = Quantity::residual_current})});
  std::vector<telemetry::AlarmTransition> out;
  auto t = telemetry::to_micros(clock.now());
  std::vector<telemetry::Sample> b{{9, t, 120, 0, telemetry::Flag::pass},
                                   {9, t + 1, 310, 0, telemetry::Flag::pass},
                                   {9, t + 2, 280, 0, telemetry::Flag::pass},
                                   {9, t + 3, 269, 0, telemetry::Flag::pass}};
  engine.evaluate(b, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].value, 310);
  EXPECT_EQ(out[1].value, 269) << "cleared below 300 - 30 mA deadband";
}

TEST(Soe, ChangesAreDetectedAndOrderedByDeviceTime) {
  SoeRecorder soe;
  std::vector<Id> points{1, 2};
  soe.configure(points);
  std::vector<SoeEvent> out;
  std::vector<telemetry::Sample> first{{1, 100, 1, 0, telemetry::Flag::pass},
                                       {2, 100, 1, 0, telemetry::Flag::pass},
                                       {3, 100, 1, 0, telemetry::Flag::pass}};
  soe.detect(first, out);
  EXPECT_TRUE(out.empty()) << "the first reading only sets the position";
  // Breaker 1 opens at 205 us, breaker 2 tripped earlier (at 203 us) but its reading came later.
  std::vector<telemetry::Sample> b{{1, 205, 0, 0, telemetry::Flag::pass},
                                   {2, 203, 2, 0, telemetry::Flag::pass},
                                   {2, 150, 0, 0, telemetry::Flag::pass},
                                   {1, 300, 0, 2, telemetry::Flag::not_evaluated},
                                   {1, 400, 1, 0, telemetry::Flag::pass}};
  soe.detect(b, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].point_id, 2);
  EXPECT_EQ(out[0].time_us, 203);
  EXPECT_EQ(out[0].from_state, 1);
  EXPECT_EQ(out[0].to_state, 2);
  EXPECT_EQ(out[1].point_id, 1);
  EXPECT_EQ(out[1].to_state, 0);
  EXPECT_EQ(out[2].time_us, 400);
  EXPECT_EQ(out[2].from_state, 0);
  EXPECT_EQ(out[2].to_state, 1);
}

class SoeStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
};

TEST_P(SoeStoreTest, TheLogIsStoredWithMicrosecondTimesInOrder) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  std::vector<SoeEvent> events{{0, 0, 7, 1'772'438'400'000'003, 1, 0},
                               {0, 0, 8, 1'772'438'400'000'001, 1, 2},
                               {0, 0, 7, 1'772'438'400'000'002, 0, 1}};
  SoeRecorder::persist(*s, events);
  auto all = SoeRecorder::read(*s, 0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].point_id, 8);
  EXPECT_EQ(all[0].time_us, 1'772'438'400'000'001);
  EXPECT_EQ(all[1].time_us, 1'772'438'400'000'002);
  EXPECT_EQ(all[2].to_state, 0);
  auto p7 = SoeRecorder::read(*s, 7, 1'772'438'400'000'003);
  ASSERT_EQ(p7.size(), 1u);
  EXPECT_EQ(p7[0].from_state, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, SoeStoreTest, ::testing::ValuesIn(testing::backends()));

}  // namespace
}  // namespace houqin::power
