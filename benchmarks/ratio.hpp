// Benchmarks report a ratio to a ceiling measured in the same run: this reporter prints Google
// Benchmark's normal console output and remembers items/s per benchmark (name up to the first '/').
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>

namespace houqin::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> items_per_second;
  /// Every counter of each benchmark's run (or median), by benchmark name.
  std::map<std::string, benchmark::UserCounters> counters;
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      auto it = r.counters.find("items_per_second");
      if (it == r.counters.end()) continue;
      // A single run, or the median of repetitions (a benchmark registered with Repetitions).
      const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
      if (r.run_type != Run::RT_Iteration && !median) continue;
      auto name = r.run_name.function_name;
      items_per_second[name.substr(0, name.find('/'))] = it->second;
      counters[name.substr(0, name.find('/'))] = r.counters;
    }
  }
  /// Prints "ratio A / B = x (target ...)" when both ran.
  void print_ratio(const std::string& a, const std::string& b, const char* target) {
    if (!items_per_second.count(a) || !items_per_second.count(b)) return;
    std::printf("ratio %s / %s = %.3f (target %s)\n", a.c_str(), b.c_str(),
                items_per_second[a] / items_per_second[b], target);
  }
};

}  // namespace houqin::bench
