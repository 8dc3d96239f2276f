// Verification + alarm throughput on 10k points and alarm latency.
//
//   BM_VerifyAlarm10k        one poll round of 10k points (gas pressures, phase voltages with
//                            phase-balance groups, residual currents, temperatures): copy the
//                            round into the work buffer, verify it in place, evaluate the alarms.
//   BM_CeilingCopyMinMax10k  the same copy plus the least per-point work there is: a min/max
//                            update in a flat per-point array indexed by point id.
//   BM_Verify10k, BM_Alarm10k  the two stages on their own.
//   BM_AlarmLatency/B        batches of B samples (100: one device poll; 10000: one site round)
//                            with alarm-causing excursions; the latency of a transition is from
//                            the batch's arrival (before verification) to evaluate() returning it.
//                            Reports p50_us / p99_us.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include "houqin/telemetry/alarm.hpp"
#include "houqin/telemetry/verify.hpp"
#include "ratio.hpp"

namespace {

using namespace houqin;
using namespace houqin::telemetry;

constexpr int points = 10'000;
constexpr int rounds = 16;
constexpr Micros second = 1'000'000;
const Micros t0 = to_micros(parse_timestamp("2026-03-02T08:00:00Z"));

struct Site {
  std::vector<VerifyConfig> verify;
  std::vector<CrossCheck> checks;
  std::vector<AlarmConfig> alarms;
  std::vector<std::vector<Sample>> rounds;  // values per round; times are set when copied
};

/// Point i (id i+1) is by i % 4 a gas pressure (400 kPa), a phase voltage (220 V), a residual
/// current (30 mA) or a temperature (35 degC), with noise at meter resolution. About one point
/// in a thousand per round is pushed past its hi limit, so alarms activate and clear.
const Site& site() {
  static const Site built = [] {
    Site s;
    std::mt19937 rng(42);
    std::normal_distribution<double> noise(0, 1);
    const double nominal[4] = {400, 220, 30, 35};
    const double spread[4] = {2, 1.5, 5, 0.5};
    const double hi[4] = {480, 235.4, 300, 70};
    const double lo[4] = {320, 204.6, -1, -1};
    for (int i = 0; i < points; ++i) {
      int k = i % 4;
      VerifyConfig v;
      v.point_id = i + 1;
      v.fail_min = k == 1 ? 0 : -50;
      v.fail_max = nominal[k] * 3 + 100;
      v.suspect_min = nominal[k] * 0.5 - 60;
      v.suspect_max = nominal[k] * 1.5 + 60;
      v.max_rate_per_s = nominal[k] * 0.5 + 10;
      v.spike_suspect = spread[k] * 8;
      v.spike_fail = hi[k] * 2;  // excursions are real, not spikes
      v.flat_suspect_count = 60;
      v.flat_epsilon = 1e-9;
      v.max_gap_us = 5 * second;
      s.verify.push_back(v);
      AlarmConfig a;
      a.point_id = i + 1;
      a.area = "area" + std::to_string(i / 500);
      a.hi = hi[k];
      if (lo[k] > 0) a.lo = lo[k];
      a.deadband = spread[k];
      s.alarms.push_back(a);
    }
    for (int i = 0; i + 9 < points; i += 12)
      s.checks.push_back({.kind = CrossCheckKind::phase_balance,
                          .points = {i + 2, i + 6, i + 10},
                          .tolerance = 0.1,
                          .margin = 50});
    for (int r = 0; r < rounds; ++r) {
      std::vector<Sample> round(points);
      for (int i = 0; i < points; ++i) {
        int k = i % 4;
        double v = nominal[k] + spread[k] * noise(rng);
        if ((r * 7 + i) % 1000 == 0) v = hi[k] * 1.1;  // an excursion
        v = std::round(v * 10) / 10;                   // 0.1 resolution, as a Modbus scale
        round[i] = Sample{i + 1, 0, v, quality_good, Flag::not_evaluated};
      }
      s.rounds.push_back(std::move(round));
    }
    return s;
  }();
  return built;
}

/// Copies round `n` into `out`, stamped with time t0 + n seconds.
void copy_round(std::int64_t n, std::vector<Sample>& out) {
  const auto& src = site().rounds[static_cast<std::size_t>(n % rounds)];
  Micros t = t0 + n * second;
  for (std::size_t i = 0; i < src.size(); ++i) {
    out[i] = src[i];
    out[i].time = t;
  }
}

void BM_CeilingCopyMinMax10k(benchmark::State& state) {
  std::vector<Sample> work(points);
  std::vector<double> lo(points + 1, 1e300), hi(points + 1, -1e300);
  std::int64_t n = 0;
  for (auto _ : state) {
    copy_round(n++, work);
    for (const Sample& x : work) {
      auto p = static_cast<std::size_t>(x.point_id);
      lo[p] = std::min(lo[p], x.value);
      hi[p] = std::max(hi[p], x.value);
    }
    benchmark::DoNotOptimize(lo.data());
    benchmark::DoNotOptimize(hi.data());
  }
  state.SetItemsProcessed(state.iterations() * points);
}

void BM_VerifyAlarm10k(benchmark::State& state) {
  Verifier verifier;
  verifier.configure(site().verify, site().checks);
  ManualClock clock(from_micros(t0));
  AlarmEngine engine(clock);
  engine.configure(site().alarms);
  std::vector<Sample> work(points);
  std::vector<AlarmTransition> out;
  out.reserve(4096);
  std::int64_t n = 0, transitions = 0;
  for (auto _ : state) {
    copy_round(n++, work);
    verifier.verify(work);
    out.clear();
    engine.evaluate(work, out);
    transitions += static_cast<std::int64_t>(out.size());
  }
  state.SetItemsProcessed(state.iterations() * points);
  state.counters["transitions_per_round"] =
      static_cast<double>(transitions) / static_cast<double>(state.iterations());
  state.counters["suspect_or_fail_pct"] =
      100.0 * static_cast<double>(verifier.counters().suspect + verifier.counters().fail) /
      static_cast<double>(std::max<std::uint64_t>(1, verifier.counters().samples));
}

void BM_Verify10k(benchmark::State& state) {
  Verifier verifier;
  verifier.configure(site().verify, site().checks);
  std::vector<Sample> work(points);
  std::int64_t n = 0;
  for (auto _ : state) {
    copy_round(n++, work);
    verifier.verify(work);
  }
  state.SetItemsProcessed(state.iterations() * points);
}

void BM_Alarm10k(benchmark::State& state) {
  ManualClock clock(from_micros(t0));
  AlarmEngine engine(clock);
  engine.configure(site().alarms);
  std::vector<Sample> work(points);
  std::vector<AlarmTransition> out;
  out.reserve(4096);
  std::int64_t n = 0;
  for (auto _ : state) {
    copy_round(n++, work);
    out.clear();
    engine.evaluate(work, out);
  }
  state.SetItemsProcessed(state.iterations() * points);
}

void BM_AlarmLatency(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  Verifier verifier;
  verifier.configure(site().verify, site().checks);
  ManualClock clock(from_micros(t0));
  AlarmEngine engine(clock);
  engine.configure(site().alarms);
  std::vector<Sample> work(points);
  std::vector<AlarmTransition> out;
  out.reserve(4096);
  std::vector<double> latencies;
  std::int64_t n = 0;
  std::size_t offset = points;
  for (auto _ : state) {
    if (offset >= static_cast<std::size_t>(points)) {
      state.PauseTiming();
      copy_round(n++, work);
      offset = 0;
      state.ResumeTiming();
    }
    std::size_t len = std::min(batch, static_cast<std::size_t>(points) - offset);
    std::span<Sample> b(work.data() + offset, len);
    offset += len;
    auto arrived = std::chrono::steady_clock::now();
    verifier.verify(b);
    out.clear();
    engine.evaluate(b, out);
    auto emitted = std::chrono::steady_clock::now();
    double us = std::chrono::duration<double, std::micro>(emitted - arrived).count();
    for (std::size_t i = 0; i < out.size(); ++i) latencies.push_back(us);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(batch));
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double p) {
      return latencies[std::min(
          latencies.size() - 1,
          static_cast<std::size_t>(p * static_cast<double>(latencies.size())))];
    };
    state.counters["p50_us"] = pct(0.50);
    state.counters["p99_us"] = pct(0.99);
    state.counters["transitions"] = static_cast<double>(latencies.size());
  }
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc;
  benchmark::Initialize(&n, argv);
  benchmark::RegisterBenchmark("BM_VerifyAlarm10k", BM_VerifyAlarm10k);
  benchmark::RegisterBenchmark("BM_CeilingCopyMinMax10k", BM_CeilingCopyMinMax10k);
  benchmark::RegisterBenchmark("BM_Verify10k", BM_Verify10k);
  benchmark::RegisterBenchmark("BM_Alarm10k", BM_Alarm10k);
  benchmark::RegisterBenchmark("BM_AlarmLatency", BM_AlarmLatency)->Arg(100)->Arg(10'000);
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratio("BM_VerifyAlarm10k", "BM_CeilingCopyMinMax10k", ">= 0.1");
  benchmark::Shutdown();
  return 0;
}
