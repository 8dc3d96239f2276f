// Verification: each QARTOD-style test on its own, worst flag wins, bad readings not evaluated,
// gaps reported without dropping samples, out-of-order samples, and the three cross checks.
#include "houqin/telemetry/verify.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "../../support/expect.hpp"

namespace houqin::telemetry {
namespace {

using testing::expect_error;

constexpr Micros s_ = 1'000'000;  // one second

Sample at(Id point, Micros t, double v, QualityCode q = quality_good) {
  return Sample{point, t, v, q, Flag::not_evaluated};
}

/// Verifies values of point 1 at one-second steps, one batch each; returns the flags.
std::vector<Flag> run(Verifier& v, const std::vector<double>& values, Micros t0 = 0) {
  std::vector<Flag> out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    Sample x = at(1, t0 + static_cast<Micros>(i) * s_, values[i]);
    v.verify(std::span(&x, 1));
    out.push_back(x.flag);
  }
  return out;
}

using F = Flag;

TEST(Verify, GrossRangeFailsOutsideTheSensorRangeAndSuspectsOutsideTheOperatingRange) {
  Verifier v;
  v.configure(
      {{.point_id = 1, .fail_min = 0, .fail_max = 1000, .suspect_min = 300, .suspect_max = 500}});
  EXPECT_EQ(
      run(v, {400, 299, 501, -1, 1001, 0, 1000}),
      (std::vector<F>{F::pass, F::suspect, F::suspect, F::fail, F::fail, F::suspect, F::suspect}));
}

TEST(Verify, APointWithoutAnyTestThatRanIsNotEvaluated) {
  Verifier v;
  v.configure({{.point_id = 1, .max_rate_per_s = 10}});
  // The first sample has no predecessor, so the rate test cannot run.
  EXPECT_EQ(run(v, {5, 6}), (std::vector<F>{F::not_evaluated, F::pass}));
}

TEST(Verify, BadQualityIsNotEvaluatedAndUnknownPointsAreCounted) {
  Verifier v;
  v.configure({{.point_id = 1, .fail_min = 0, .fail_max = 10}});
  std::vector<Sample> b{at(1, 0, NAN, 3), at(2, 0, 5), at(1, s_, NAN)};
  v.verify(b);
  EXPECT_EQ(b[0].flag, F::not_evaluated) << "the device said the reading is bad";
  EXPECT_EQ(b[1].flag, F::not_evaluated) << "no configuration";
  EXPECT_EQ(b[2].flag, F::fail) << "good quality but not a number";
  EXPECT_EQ(v.counters().unknown_point, 1u);
  EXPECT_EQ(v.counters().not_evaluated, 2u);
  EXPECT_EQ(v.counters().fail, 1u);
  EXPECT_EQ(v.counters().samples, 3u);
}

TEST(Verify, RateOfChangeIsSuspectAbovePerSecondLimitUsingTheRealTimeStep) {
  Verifier v;
  v.configure({{.point_id = 1, .max_rate_per_s = 10}});
  EXPECT_EQ(run(v, {0, 10, 21, 11}),
            (std::vector<F>{F::not_evaluated, F::pass, F::suspect, F::pass}));
  // 30 units in 3 s is exactly 10/s: allowed.
  Sample x = at(1, 6 * s_, 41);
  v.verify(std::span(&x, 1));
  EXPECT_EQ(x.flag, F::pass);
}

TEST(Verify, SpikeFailsAnIsolatedOutlierAndTheNextSampleIsJudgedWithoutIt) {
  Verifier v;
  v.configure({{.point_id = 1, .spike_suspect = 5, .spike_fail = 20}});
  EXPECT_EQ(run(v, {100, 100, 150, 101, 107, 100}),
            (std::vector<F>{F::not_evaluated, F::pass, F::fail, F::pass, F::suspect, F::pass}));
}

TEST(Verify, ALevelShiftFailsOnlyItsFirstSample) {
  Verifier v;
  v.configure({{.point_id = 1, .spike_fail = 20}});
  EXPECT_EQ(run(v, {100, 100, 200, 201, 200, 199}),
            (std::vector<F>{F::not_evaluated, F::pass, F::fail, F::pass, F::pass, F::pass}));
}

TEST(Verify, FlatLineSuspectsThenFailsARunOfRepeatsWithinEpsilon) {
  Verifier v;
  v.configure(
      {{.point_id = 1, .flat_suspect_count = 3, .flat_fail_count = 5, .flat_epsilon = 0.01}});
  EXPECT_EQ(run(v, {1, 1.005, 0.995, 1, 1.008, 1.02, 1.02}),
            (std::vector<F>{F::pass, F::pass, F::suspect, F::suspect, F::fail, F::pass, F::pass}));
}

TEST(Verify, WorstTestWins) {
  Verifier v;
  v.configure(
      {{.point_id = 1, .fail_min = 0, .fail_max = 1000, .suspect_max = 500, .max_rate_per_s = 1}});
  // 450 -> 460: in range (pass) but 10/s (suspect); 600: suspect range; 2000: fail.
  EXPECT_EQ(run(v, {450, 460, 600, 2000}),
            (std::vector<F>{F::pass, F::suspect, F::suspect, F::fail}));
}

TEST(Verify, GapsAreReportedAndNoSampleIsDropped) {
  Verifier v;
  v.configure({{.point_id = 1, .max_rate_per_s = 1, .max_gap_us = 5 * s_},
               {.point_id = 2, .max_gap_us = 5 * s_}});
  std::vector<Sample> b{at(1, 0, 10), at(2, 0, 1), at(1, 5 * s_, 11), at(1, 20 * s_, 50),
                        at(2, 6 * s_, 1)};
  std::vector<Gap> gaps;
  v.verify(b, &gaps);
  ASSERT_EQ(b.size(), 5u);
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].point_id, 1);
  EXPECT_EQ(gaps[0].from, 5 * s_);
  EXPECT_EQ(gaps[0].to, 20 * s_);
  EXPECT_EQ(gaps[1].point_id, 2);
  EXPECT_EQ(v.counters().gaps, 2u);
  // After a gap the stale neighbour is not used: 11 -> 50 is not judged a rate of change.
  EXPECT_EQ(b[3].flag, F::not_evaluated);
  // Without the vector the gap is still counted.
  Sample late = at(1, 40 * s_, 50);
  v.verify(std::span(&late, 1));
  EXPECT_EQ(v.counters().gaps, 3u);
}

TEST(Verify, OutOfOrderSamplesGetOnlyTheRangeTestAndLeaveTheStateAlone) {
  Verifier v;
  v.configure({{.point_id = 1, .fail_max = 100, .max_rate_per_s = 1}});
  std::vector<Sample> b{at(1, 10 * s_, 50), at(1, 5 * s_, 150), at(1, 10 * s_, 60),
                        at(1, 11 * s_, 50.5)};
  v.verify(b);
  EXPECT_EQ(b[1].flag, F::fail);
  EXPECT_EQ(b[2].flag, F::pass) << "a repeated time is not rate-tested";
  EXPECT_EQ(b[3].flag, F::pass) << "compared with 50 at 10 s, not with the late samples";
  EXPECT_EQ(v.counters().out_of_order, 2u);
}

TEST(Verify, SourceAboveAreaFlagsBothWhenAnAreaExceedsItsSource) {
  Verifier v;
  v.configure({{.point_id = 1}, {.point_id = 2}, {.point_id = 3}},
              {{.kind = CrossCheckKind::source_above_area,
                .points = {1, 2, 3},
                .margin = 5,
                .window_us = s_}});
  std::vector<Sample> b{at(1, 0, 400), at(2, 100, 404), at(3, 200, 406)};
  v.verify(b);
  EXPECT_EQ(b[0].flag, F::suspect);
  EXPECT_EQ(b[1].flag, F::not_evaluated) << "within the margin";
  EXPECT_EQ(b[2].flag, F::suspect);
  EXPECT_EQ(v.counters().cross_violations, 1u);
  EXPECT_EQ(v.counters().suspect, 2u) << "counted after the cross check raised the flags";

  // Samples too far apart are not the same instant: no check.
  std::vector<Sample> c{at(1, 10 * s_, 400), at(2, 10 * s_, 404), at(3, 12 * s_, 450)};
  v.verify(c);
  EXPECT_EQ(c[2].flag, F::not_evaluated);
  EXPECT_EQ(v.counters().cross_violations, 1u);
}

TEST(Verify, PhaseBalanceFlagsTheDeviatingPhaseOnly) {
  Verifier v;
  v.configure({{.point_id = 1, .fail_max = 500},
               {.point_id = 2, .fail_max = 500},
               {.point_id = 3, .fail_max = 500}},
              {{.kind = CrossCheckKind::phase_balance,
                .points = {1, 2, 3},
                .tolerance = 0.10,
                .margin = 50}});
  // mean 220; 190 deviates 13.6 %, 235 deviates 6.8 %.
  std::vector<Sample> b{at(1, 0, 235), at(2, 0, 235), at(3, 0, 190)};
  v.verify(b);
  EXPECT_EQ(b[0].flag, F::pass);
  EXPECT_EQ(b[1].flag, F::pass);
  EXPECT_EQ(b[2].flag, F::suspect);
  // Below the margin (no voltage at all) the check is skipped.
  std::vector<Sample> off{at(1, s_, 0), at(2, s_, 0), at(3, s_, 30)};
  v.verify(off);
  EXPECT_EQ(off[2].flag, F::pass);
  // A member that failed its own test does not take part.
  std::vector<Sample> broken{at(1, 2 * s_, 220), at(2, 2 * s_, 900), at(3, 2 * s_, 150)};
  v.verify(broken);
  EXPECT_EQ(broken[1].flag, F::fail);
  EXPECT_EQ(broken[2].flag, F::pass);
}

TEST(Verify, ResidualCurrentAboveThePhaseSumIsSuspect) {
  Verifier v;
  v.configure({{.point_id = 10}, {.point_id = 11}, {.point_id = 12}, {.point_id = 13}},
              {{.kind = CrossCheckKind::residual_vs_phases,
                .points = {10, 11, 12, 13},
                .tolerance = 1.0,
                .margin = 0.05,
                .scale = 0.001}});
  // 30 mA residual with 20 A of load: plausible.
  std::vector<Sample> ok{at(11, 0, 10), at(12, 0, 5), at(13, 0, 5), at(10, 0, 30)};
  v.verify(ok);
  EXPECT_EQ(ok[3].flag, F::not_evaluated);
  // 300 mA residual with no load at all: the residual sensor is wrong.
  std::vector<Sample> bad{at(10, s_, 300), at(11, s_, 0), at(12, s_, 0), at(13, s_, 0)};
  v.verify(bad);
  EXPECT_EQ(bad[0].flag, F::suspect) << "flagged although it came first in the batch";
  EXPECT_EQ(bad[1].flag, F::not_evaluated);
}

TEST(Verify, AGroupSplitAcrossBatchesCountsWhatItCouldNotFlag) {
  Verifier v;
  v.configure({{.point_id = 1}, {.point_id = 2}},
              {{.kind = CrossCheckKind::source_above_area, .points = {1, 2}}});
  Sample a = at(1, 0, 100), b = at(2, 0, 200);
  v.verify(std::span(&a, 1));
  v.verify(std::span(&b, 1));
  EXPECT_EQ(b.flag, F::suspect);
  EXPECT_EQ(v.counters().cross_unflagged, 1u);
}

TEST(Verify, ConfigurationErrorsNameThePointOrGroup) {
  Verifier v;
  expect_error([&] { v.configure({{.point_id = 1, .fail_min = 5, .fail_max = 1}}); },
               ErrorCode::invalid_argument, "point 1: fail_min");
  expect_error(
      [&] {
        v.configure({{.point_id = 1}, {.point_id = 1}});
      },
      ErrorCode::invalid_argument, "point 1: configured twice");
  expect_error([&] { v.configure({{.point_id = 1, .flat_suspect_count = 1}}); },
               ErrorCode::invalid_argument, "point 1: flat_suspect_count");
  expect_error(
      [&] {
        v.configure({{.point_id = 1}},
                    {{.kind = CrossCheckKind::phase_balance, .points = {1, 2, 3}}});
      },
      ErrorCode::invalid_argument, "cross check phase_balance");
  expect_error(
      [&] {
        v.configure({{.point_id = 1}},
                    {{.kind = CrossCheckKind::source_above_area, .points = {1, 2}}});
      },
      ErrorCode::invalid_argument, "cross check source_above_area: point 2 has no");
}

TEST(Verify, SparseIdsUseTheHashedIndex) {
  PointIndex idx;
  std::vector<Id> ids{7, 1'000'000'007, 42, 5'000'000'000};
  idx.build(ids);
  EXPECT_EQ(idx.find(1'000'000'007), 1u);
  EXPECT_EQ(idx.find(5'000'000'000), 3u);
  EXPECT_EQ(idx.find(7), 0u);
  EXPECT_EQ(idx.find(8), PointIndex::npos);
  Verifier v;
  v.configure({{.point_id = 5'000'000'000, .fail_max = 1}});
  Sample x = at(5'000'000'000, 0, 2);
  v.verify(std::span(&x, 1));
  EXPECT_EQ(x.flag, F::fail);
}

// The sample store adds points one at a time (SampleStore::configure); their slots must stay
// 0, 1, 2 ... while the index moves between its direct and hashed layouts.
TEST(Verify, PointIndexInsertKeepsDenseSlotsAcrossLayouts) {
  PointIndex idx;
  EXPECT_EQ(idx.find(1), PointIndex::npos);
  EXPECT_EQ(idx.heap_bytes(), 0u);
  std::vector<Id> order;
  auto add = [&](Id id) {
    EXPECT_EQ(idx.insert(id), order.size()) << "id " << id;
    order.push_back(id);
  };
  auto expect_all = [&](const char* phase) {
    ASSERT_EQ(idx.size(), order.size()) << phase;
    for (std::size_t slot = 0; slot < order.size(); ++slot)
      ASSERT_EQ(idx.find(order[slot]), slot) << phase << ": id " << order[slot];
  };
  for (Id id = 100; id >= 1; --id) add(id);  // dense, the largest first: one direct table
  expect_all("dense");
  add(100'000);  // too sparse for a direct table over 101 ids: hashed
  expect_all("sparse");
  EXPECT_EQ(idx.find(99'999), PointIndex::npos);
  EXPECT_EQ(idx.find(5'000'000'000), PointIndex::npos);
  // enough ids below 100'000 make it dense again at the next growth of the hash table
  for (Id id = 101; id <= 20'000; ++id) add(id);
  expect_all("dense again");
  EXPECT_EQ(idx.find(20'001), PointIndex::npos);
  EXPECT_LT(idx.heap_bytes(), 500'000u);  // a direct table: 4 bytes per id up to 100'000
  add(5'000'000'000);
  expect_all("sparse again");

  // refused ids leave it as it was
  expect_error([&] { idx.insert(7); }, ErrorCode::invalid_argument, "point 7: configured twice");
  expect_error([&] { idx.insert(5'000'000'000); }, ErrorCode::invalid_argument,
               "point 5000000000: configured twice");
  expect_error([&] { idx.insert(0); }, ErrorCode::invalid_argument,
               "point_id must be positive, got 0");
  expect_error([&] { idx.insert(-3); }, ErrorCode::invalid_argument,
               "point_id must be positive, got -3");
  expect_all("after refusals");

  // build replaces everything
  std::vector<Id> ids{3, 1};
  idx.build(ids);
  EXPECT_EQ(idx.size(), 2u);
  EXPECT_EQ(idx.find(3), 0u);
  EXPECT_EQ(idx.find(1), 1u);
  EXPECT_EQ(idx.find(100), PointIndex::npos);
  EXPECT_EQ(idx.find(5'000'000'000), PointIndex::npos);
  EXPECT_EQ(idx.insert(2), 2u);
}

}  // namespace
}  // namespace houqin::telemetry
