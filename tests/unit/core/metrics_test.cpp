// Self-monitoring's registry: latency buckets and quantiles, counters and gauges, collectors that
// live as long as their registration, the Prometheus text format, and switching recording off.
#include "houqin/core/metrics.hpp"

#include <gtest/gtest.h>

namespace houqin {
namespace {

using namespace std::chrono_literals;

const metrics::HistogramValue* find_histogram(const metrics::Snapshot& s, std::string_view name,
                                              const metrics::Labels& labels) {
  for (const auto& h : s.histograms)
    if (h.name == name && h.labels == labels) return &h;
  return nullptr;
}

TEST(Metrics, AHistogramCountsIntoCumulativeBucketsAndEstimatesQuantiles) {
  auto& h = metrics::histogram("test_latency_seconds", "a test", {{"case", "buckets"}});
  for (int i = 0; i < 98; ++i) h.observe(300us);  // in (0.25 ms, 0.5 ms]
  h.observe(20ms);                                // in (10 ms, 25 ms]
  h.observe(30s);                                 // past the last bound: +Inf
  const auto snap = metrics::snapshot(Timestamp{});
  const auto* v = find_histogram(snap, "test_latency_seconds", {{"case", "buckets"}});
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->count, 100u);
  EXPECT_NEAR(v->sum_seconds, 98 * 0.0003 + 0.02 + 30, 1e-9);
  ASSERT_EQ(v->buckets.size(), metrics::latency_bounds.size() + 1);
  EXPECT_EQ(v->buckets[1].count, 0u);   // <= 0.25 ms
  EXPECT_EQ(v->buckets[2].count, 98u);  // <= 0.5 ms
  EXPECT_EQ(v->buckets[7].count, 99u);  // <= 25 ms
  EXPECT_EQ(v->buckets.back().count, 100u);
  EXPECT_EQ(v->buckets.back().le, -1);  // +Inf
  ASSERT_TRUE(v->p50_seconds && v->p99_seconds);
  EXPECT_GT(*v->p50_seconds, 0.00025);
  EXPECT_LE(*v->p50_seconds, 0.0005);
  EXPECT_GT(*v->p99_seconds, 0.01);
  EXPECT_LE(*v->p99_seconds, 0.025);
}

TEST(Metrics, ThePrometheusTextHasHelpTypeBucketsSumAndCount) {
  auto& h = metrics::histogram("test_prom_seconds", "Time of \"x\"", {{"op", "a\"b"}});
  h.observe(1ms);
  metrics::counter("test_prom_total", "Things counted").add(3);
  metrics::gauge("test_prom_depth", "A depth", {{"queue", "q1"}}).set(7.5);
  const std::string text = metrics::prometheus(metrics::snapshot(Timestamp{}));
  EXPECT_NE(text.find("# HELP test_prom_total Things counted\n# TYPE test_prom_total counter\n"
                      "test_prom_total 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE test_prom_depth gauge\ntest_prom_depth{queue=\"q1\"} 7.5\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE test_prom_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("test_prom_seconds_bucket{op=\"a\\\"b\",le=\"0.001\"} 1\n"),
            std::string::npos)
      << "label values escaped, the bucket at 1 ms counts the 1 ms observation";
  EXPECT_NE(text.find("test_prom_seconds_bucket{op=\"a\\\"b\",le=\"+Inf\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("test_prom_seconds_count{op=\"a\\\"b\"} 1\n"), std::string::npos);
  // Every TYPE line names a metric once.
  std::size_t at = 0, types = 0;
  while ((at = text.find("# TYPE test_prom_seconds ", at)) != std::string::npos) ++types, ++at;
  EXPECT_EQ(types, 1u);
}

TEST(Metrics, ACollectorReportsWhileItsRegistrationLives) {
  auto seen = [] {
    for (const auto& v : metrics::snapshot(Timestamp{}).values)
      if (v.name == "test_collected") return v.value;
    return -1.0;
  };
  {
    auto reg = metrics::collect([](std::vector<metrics::Value>& out) {
      out.push_back({"test_collected", metrics::Kind::gauge, "from a collector", {}, 42});
    });
    EXPECT_EQ(seen(), 42);
    auto moved = std::move(reg);
    EXPECT_EQ(seen(), 42);
  }
  EXPECT_EQ(seen(), -1.0);
}

TEST(Metrics, TimersRecordNothingWhenSwitchedOff) {
  auto& h = metrics::histogram("test_switch_seconds", "switch");
  metrics::set_enabled(false);
  { metrics::Timer t(h); }
  metrics::set_enabled(true);
  EXPECT_EQ(h.count(), 0u);
  { metrics::Timer t(h); }
  EXPECT_EQ(h.count(), 1u);
}

}  // namespace
}  // namespace houqin
