// Medical gas profiles: the limits per gas and role, the named defaults and their overrides, and
// a profile driving the alarm engine end to end.
#include "houqin/gas/profile.hpp"

#include <gtest/gtest.h>

#include "../../support/expect.hpp"

namespace houqin::gas {
namespace {

using testing::expect_error;

TEST(GasProfile, AreaPressureAlarmsAtTwentyPercentOfNominal) {
  for (Gas g : {Gas::oxygen, Gas::medical_air, Gas::nitrous_oxide, Gas::carbon_dioxide}) {
    auto c = alarm_config({.point_id = 1, .gas = g, .role = Role::area});
    EXPECT_DOUBLE_EQ(*c.lo, 320) << enum_name(g);
    EXPECT_DOUBLE_EQ(*c.hi, 480) << enum_name(g);
    EXPECT_EQ(c.lo_priority, telemetry::Priority::high);
  }
  auto n2 = alarm_config({.point_id = 1, .gas = Gas::nitrogen, .role = Role::area});
  EXPECT_DOUBLE_EQ(*n2.lo, 640);
  EXPECT_DOUBLE_EQ(*n2.hi, 960);
  // NFPA 99 outlet pressure 50-55 psig: a site may give its own nominal.
  auto us = alarm_config({.point_id = 1, .gas = Gas::oxygen, .nominal_kpa = 362});
  EXPECT_DOUBLE_EQ(*us.lo, 362 * 0.8);
  EXPECT_DOUBLE_EQ(*us.hi, 362 * 1.2);
}

TEST(GasProfile, SourceAlarmsFifteenPercentBelowRatedAndAboveTheUpperLimit) {
  auto c = alarm_config({.point_id = 1, .gas = Gas::oxygen, .role = Role::source});
  EXPECT_DOUBLE_EQ(*c.lo, 340);
  EXPECT_DOUBLE_EQ(*c.hi, 480);
  EXPECT_FALSE(c.hihi);
  EXPECT_EQ(c.on_delay_us, 2'000'000);
  EXPECT_DOUBLE_EQ(c.deadband, 8);
}

TEST(GasProfile, VacuumAlarmsOnTheVacuumLevelOnly) {
  auto plant = alarm_config({.point_id = 1, .gas = Gas::vacuum, .role = Role::source});
  EXPECT_DOUBLE_EQ(*plant.lo, 48);
  EXPECT_FALSE(plant.hi);
  auto area = alarm_config({.point_id = 1, .gas = Gas::vacuum, .role = Role::area});
  EXPECT_DOUBLE_EQ(*area.lo, 37);
  EXPECT_FALSE(area.hi);
}

TEST(GasProfile, OxygenPurityAndAirDewPoint) {
  auto o2 = alarm_config({.point_id = 1, .gas = Gas::oxygen, .measure = Measure::purity});
  EXPECT_DOUBLE_EQ(*o2.lo, 93);
  EXPECT_FALSE(o2.hi);
  auto dew = alarm_config({.point_id = 1, .gas = Gas::medical_air, .measure = Measure::dew_point});
  EXPECT_DOUBLE_EQ(*dew.hi, 0);
  EXPECT_FALSE(dew.lo);
  expect_error(
      [] { alarm_config({.point_id = 4, .gas = Gas::medical_air, .measure = Measure::purity}); },
      ErrorCode::invalid_argument, "gas point 4: purity is monitored for oxygen only");
  expect_error(
      [] { alarm_config({.point_id = 4, .gas = Gas::oxygen, .measure = Measure::dew_point}); },
      ErrorCode::invalid_argument, "gas point 4: dew point is monitored for medical_air only");
}

TEST(GasProfile, EveryDefaultCanBeOverriddenPerPoint) {
  GasLimits strict;
  strict.area_fraction = 0.10;
  strict.oxygen_purity_min_percent = 95;
  strict.vacuum_area_min_kpa = 40;
  EXPECT_DOUBLE_EQ(*alarm_config({.point_id = 1}, strict).lo, 360);
  EXPECT_DOUBLE_EQ(*alarm_config({.point_id = 1, .measure = Measure::purity}, strict).lo, 95);
  EXPECT_DOUBLE_EQ(*alarm_config({.point_id = 1, .gas = Gas::vacuum}, strict).lo, 40);
}

TEST(GasProfile, VerificationFollowsTheNominalPressure) {
  auto v = verify_config({.point_id = 1, .gas = Gas::oxygen});
  EXPECT_DOUBLE_EQ(*v.fail_min, 0);
  EXPECT_DOUBLE_EQ(*v.fail_max, 1000);
  EXPECT_DOUBLE_EQ(*v.suspect_min, 200);
  EXPECT_DOUBLE_EQ(*v.suspect_max, 600);
  EXPECT_DOUBLE_EQ(*v.max_rate_per_s, 40);
  auto p = verify_config({.point_id = 1, .measure = Measure::purity});
  EXPECT_DOUBLE_EQ(*p.fail_max, 100);
}

TEST(GasProfile, AProfileDrivesTheEngine) {
  ManualClock clock{parse_timestamp("2026-03-02T08:00:00Z")};
  GasPoint point{.point_id = 3, .gas = Gas::oxygen, .role = Role::area, .area = "ICU"};
  telemetry::Verifier verifier;
  verifier.configure({verify_config(point)});
  telemetry::AlarmEngine engine(clock);
  engine.configure({alarm_config(point)});
  std::vector<telemetry::AlarmTransition> out;
  auto t0 = telemetry::to_micros(clock.now());
  // 400 kPa, then the area pressure sags to 310 kPa for three seconds.
  std::vector<telemetry::Sample> b{{3, t0, 400, 0, telemetry::Flag::not_evaluated},
                                   {3, t0 + 1'000'000, 395, 0, telemetry::Flag::not_evaluated},
                                   {3, t0 + 2'000'000, 310, 0, telemetry::Flag::not_evaluated},
                                   {3, t0 + 3'000'000, 309, 0, telemetry::Flag::not_evaluated},
                                   {3, t0 + 4'000'000, 310, 0, telemetry::Flag::not_evaluated}};
  verifier.verify(b);
  EXPECT_EQ(b[2].flag, telemetry::Flag::suspect) << "85 kPa/s is faster than 40 kPa/s";
  engine.evaluate(b, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, telemetry::AlarmKind::lo);
  EXPECT_EQ(out[0].time, t0 + 4'000'000) << "after the 2 s on-delay";
  EXPECT_TRUE(out[0].raise);
}

}  // namespace
}  // namespace houqin::gas
