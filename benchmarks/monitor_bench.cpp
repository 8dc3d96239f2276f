// The cost of self-monitoring: the audited repair transition through the registry (a work order
// reported, then cancelled: two audited operations, each timed into its histogram with its store
// calls) with metrics on, against the same with the timers switched off
// (metrics::set_enabled(false)), in the same run, medians of repeated runs. Target: the overhead
// is at most 3 %, ratio on / off >= 0.97. The pipeline's own figures are read from its counters
// when a snapshot is taken; its on / off pair is in pipeline_bench (BM_PipelineSqliteMetricsOff).
//   monitor_bench [--orders=N] [google benchmark flags]
#include <benchmark/benchmark.h>

#include <cstring>
#include <houqin/houqin.hpp>
#include <houqin/service/registry.hpp>

#include "ratio.hpp"
#include "temp_store.hpp"

namespace {

using namespace houqin;

std::int64_t g_orders = 500;

void transitions(benchmark::State& state, bool metrics_on) {
  bench::TempStore db("monitor_bench", metrics_on ? "on" : "off",
                      parse_timestamp("2026-03-02T01:00:00Z"));
  const auto desk = auth::Actor::service("bench", {"repair.report", "repair.dispatch"});
  metrics::set_enabled(metrics_on);
  for (auto _ : state) {
    for (std::int64_t i = 0; i < state.range(0); ++i) {
      auto o = service::call(*db.store, desk, "repair.report",
                             {{"description", "灯不亮"}, {"category", "electrical"}});
      service::call(*db.store, desk, "repair.cancel",
                    {{"work_order_id", o["id"]}, {"reason", "duplicate"}});
    }
  }
  metrics::set_enabled(true);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_TransitionMetricsOn(benchmark::State& state) {
  transitions(state, true);
}
void BM_CeilingMetricsOff(benchmark::State& state) {
  transitions(state, false);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--orders=", 9) == 0)
      g_orders = std::stoll(argv[i] + 9);
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  using Fn = void (*)(benchmark::State&);
  const std::pair<const char*, Fn> all[] = {{"BM_TransitionMetricsOn", BM_TransitionMetricsOn},
                                            {"BM_CeilingMetricsOff", BM_CeilingMetricsOff}};
  for (auto [name, fn] : all)
    benchmark::RegisterBenchmark(name, fn)
        ->Arg(g_orders)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Repetitions(5)
        ->ReportAggregatesOnly(true);
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratio("BM_TransitionMetricsOn", "BM_CeilingMetricsOff", ">= 0.97");
  benchmark::Shutdown();
  return 0;
}
