#include "houqin/host/performance.hpp"

#include <algorithm>

#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::host {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool performance_tables_registered =
    store::register_tables<OperationDay>("host");
[[maybe_unused]] const bool performance_exposed =
    store::expose<OperationDay>({.read = "monitor.read", .write = "", .read_personal = ""});

constexpr std::size_t bucket_count = metrics::latency_bounds.size() + 1;

std::string label(const metrics::Labels& labels, const std::string& key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

}  // namespace

std::vector<store::Migration> performance_migrations() {
  return {{"host", 6, "kept performance: operation and store call latency and errors per day",
           [](store::Store& s) { store::create_table<OperationDay>(s); }}};
}

std::size_t PerformanceRecorder::record(const metrics::Snapshot& now) {
  // The process's totals now, by name.
  std::map<std::string, Totals> totals;
  for (const auto& h : now.histograms) {
    std::string name;
    if (h.name == "houqin_operation_seconds")
      name = label(h.labels, "operation");
    else if (h.name == "houqin_store_seconds")
      name = "store." + label(h.labels, "call");
    if (name.empty() || name == "store.") continue;
    auto& t = totals[name];
    t.calls += static_cast<std::int64_t>(h.count);
    t.seconds += h.sum_seconds;
    t.buckets.assign(bucket_count, 0);
    std::uint64_t below = 0;
    for (std::size_t i = 0; i < h.buckets.size() && i < bucket_count; ++i) {
      t.buckets[i] = static_cast<std::int64_t>(h.buckets[i].count - below);
      below = h.buckets[i].count;
    }
  }
  for (const auto& v : now.values)
    if (v.name == "houqin_operation_errors_total")
      totals[label(v.labels, "operation")].errors += static_cast<std::int64_t>(v.value);

  const Date day =
      std::chrono::floor<std::chrono::days>(now.at + std::chrono::minutes(offset_minutes_));
  std::size_t written = 0;
  store::Transaction tx(store_);
  Repository<OperationDay> rows(store_);
  for (auto& [name, t] : totals) {
    if (t.buckets.empty()) t.buckets.assign(bucket_count, 0);
    const auto& before = recorded_[name];
    Totals growth{t.calls - before.calls, t.errors - before.errors, t.seconds - before.seconds,
                  t.buckets};
    for (std::size_t i = 0; i < before.buckets.size() && i < bucket_count; ++i)
      growth.buckets[i] -= before.buckets[i];
    if (growth.calls == 0 && growth.errors == 0) continue;
    const std::string key = format_date(day) + "|" + name;
    auto row = rows.find_one(Query<OperationDay>().where(&OperationDay::key, Op::eq, key));
    if (!row) {
      row.emplace();
      row->key = key;
      row->day = day;
      row->name = name;
    }
    row->buckets.resize(bucket_count, 0);
    row->calls += growth.calls;
    row->errors += growth.errors;
    row->seconds += growth.seconds;
    for (std::size_t i = 0; i < bucket_count; ++i) row->buckets[i] += growth.buckets[i];
    if (row->id == 0)
      rows.insert(*row);
    else
      rows.update(*row);
    ++written;
  }
  tx.commit();
  recorded_ = std::move(totals);  // only once the rows hold it
  return written;
}

std::vector<OperationStats> operation_stats(store::Store& store, Date from, Date to) {
  std::map<std::string, OperationDay> sums;
  for (const auto& r :
       Repository<OperationDay>(store).find(Query<OperationDay>()
                                                .where(&OperationDay::day, Op::ge, from)
                                                .where(&OperationDay::day, Op::lt, to))) {
    auto& s = sums[r.name];
    s.buckets.resize(bucket_count, 0);
    s.calls += r.calls;
    s.errors += r.errors;
    s.seconds += r.seconds;
    for (std::size_t i = 0; i < bucket_count && i < r.buckets.size(); ++i)
      s.buckets[i] += r.buckets[i];
  }
  std::vector<OperationStats> out;
  for (const auto& [name, s] : sums) {
    OperationStats o;
    o.name = name;
    o.calls = s.calls;
    o.errors = s.errors;
    if (s.calls > 0) {
      o.error_rate = static_cast<double>(s.errors) / static_cast<double>(s.calls);
      o.mean_ms = s.seconds * 1000.0 / static_cast<double>(s.calls);
      std::vector<metrics::Bucket> cumulative;
      std::uint64_t running = 0;
      for (std::size_t i = 0; i < bucket_count; ++i) {
        running += static_cast<std::uint64_t>(s.buckets[i]);
        cumulative.push_back(
            {i < metrics::latency_bounds.size() ? metrics::latency_bounds[i] : -1.0, running});
      }
      const auto n = static_cast<std::uint64_t>(s.calls);
      if (auto p = metrics::quantile(cumulative, n, 0.95)) o.p95_ms = *p * 1000.0;
      if (auto p = metrics::quantile(cumulative, n, 0.99)) o.p99_ms = *p * 1000.0;
    }
    out.push_back(std::move(o));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.calls > b.calls; });
  return out;
}

}  // namespace houqin::host
