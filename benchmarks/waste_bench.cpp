// Medical waste at a large hospital's scale. A year of bags (2M by default), each recorded through
// the tracker in the steps a hospital records -- generation with its weight, sealing, the
// two-party collection, storage intake and outbound onto the day's manifest of its category --
// every one an authorised, audited transaction that publishes its event, against the same bag
// and step rows written by plain inserts, one transaction per step (BM_CeilingPlainInsert).
// Then random bags traced by code (the p99 latency) and the year's report by department and
// month against a bare scan of the same rows and columns. SQLite file, WAL.
//   waste_bench [--bags=N] [google benchmark flags]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <houqin/houqin.hpp>
#include <random>

#include "ratio.hpp"
#include "temp_store.hpp"

namespace {

using namespace houqin;
using store::Repository;

std::int64_t g_bags = 2'000'000;
constexpr int departments = 40;

const Timestamp year_start = parse_timestamp("2026-01-01T00:00:00Z");

/// The bench store with 40 wards.
struct Db : bench::TempStore {
  std::vector<Id> wards;

  explicit Db(const char* name) : TempStore("wastebench", name, year_start) {
    store::in_transaction(*store, [&] {
      for (int d = 0; d < departments; ++d) {
        site::Department dep{0,
                             0,
                             "W" + std::to_string(d),
                             "Ward " + std::to_string(d),
                             site::DepartmentKind::clinical,
                             {},
                             {},
                             true};
        wards.push_back(Repository<site::Department>(*store).insert(dep));
      }
    });
  }
};

/// Bag i of the year: its department, category and weight (the same in both benchmarks).
struct Plan {
  std::mt19937 rng{17};
  Id department(const Db& db) { return db.wards[rng() % departments]; }
  waste::Category category() {
    // Mostly infectious, then sharps; the rest rare.
    const auto r = rng() % 100;
    return r < 80   ? waste::Category::infectious
           : r < 93 ? waste::Category::sharps
           : r < 97 ? waste::Category::pathological
           : r < 99 ? waste::Category::pharmaceutical
                    : waste::Category::chemical;
  }
  double weight() { return 0.5 + static_cast<double>(rng() % 4000) / 1000; }
};

/// The clock's step between bags: the year spread evenly.
std::chrono::microseconds step_between_bags() {
  return std::chrono::microseconds(365LL * 86400 * 1'000'000 / std::max<std::int64_t>(1, g_bags));
}

/// The year recorded through the tracker, kept for the trace and report benchmarks.
struct Year {
  Db db{"year"};
  std::vector<std::string> codes;
  double seconds = 0;

  Year() {
    auto nurse = auth::Actor::service("nurse", {"waste.collect"});
    auto collector = auth::Actor::service("collector", {"waste.handover"});
    auto keeper = auth::Actor::service("keeper", {"waste.handover", "waste.read"});
    waste::Tracker t(*db.store);
    Plan plan;
    codes.reserve(static_cast<std::size_t>(g_bags));
    std::map<waste::Category, Id> manifest;  // today's, per category
    std::int64_t day = -1;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < g_bags; ++i) {
      const auto today = std::chrono::floor<std::chrono::days>(db.clock.now() - year_start).count();
      if (today != day) {
        day = today;
        manifest.clear();
      }
      waste::RegisterInput in;
      in.department_id = plan.department(db);
      in.category = plan.category();
      in.kind = in.category == waste::Category::sharps ? waste::ContainerKind::sharps_box
                                                       : waste::ContainerKind::bag;
      in.weight_kg = plan.weight();
      auto b = t.register_bag(nurse, in);
      t.seal(nurse, {b.code, true});
      waste::StepInput step;
      step.code = b.code;
      step.weight_kg = in.weight_kg;
      t.collect(nurse, collector, step);
      t.intake(keeper, step);
      auto& m = manifest[in.category];
      if (!m)
        m = t.open_manifest(
                 keeper, {"LD-" + std::to_string(day) + "-" + std::string(enum_name(in.category)),
                          in.category, "绿洲医废处置", "HW-1", "沪A-1"})
                .id;
      waste::OutboundInput out;
      out.code = b.code;
      out.manifest_id = m;
      out.weight_kg = in.weight_kg;
      t.outbound(keeper, out);
      codes.push_back(b.code);
      db.clock.advance(step_between_bags());
      if ((i + 1) % 200'000 == 0)
        std::fprintf(stderr, "  recorded %lld of %lld bags\n", static_cast<long long>(i + 1),
                     static_cast<long long>(g_bags));
    }
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
};

Year& year() {
  static Year y;
  return y;
}

/// The year through the service: five calls (register, seal, the two-party collection, intake,
/// outbound) and four steps per bag.
void BM_WasteYear(benchmark::State& state) {
  for (auto _ : state) {
    auto& y = year();
    state.SetIterationTime(y.seconds);
  }
  state.counters["steps"] = static_cast<double>(g_bags * 4);
  state.SetItemsProcessed(state.iterations() * g_bags);
}

/// The same rows with nothing else: the bag, then its four steps, a transaction each.
void BM_CeilingPlainInsert(benchmark::State& state) {
  for (auto _ : state) {
    Db db("ceiling");
    Plan plan;
    Repository<waste::Bag> bags(*db.store);
    Repository<waste::Step> steps(*db.store);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::int64_t i = 0; i < g_bags; ++i) {
      waste::Bag b;
      b.department_id = plan.department(db);
      b.category = plan.category();
      b.weight_kg = plan.weight();
      b.code = "WB-" + std::to_string(i);
      b.producer = "service:nurse";
      b.produced_at = b.stage_at = db.clock.now();
      store::in_transaction(*db.store, [&] { bags.insert(b); });
      for (auto stage : {waste::Stage::generated, waste::Stage::collected, waste::Stage::stored,
                         waste::Stage::outbound}) {
        waste::Step s;
        s.bag_id = b.id;
        s.stage = stage;
        s.at = db.clock.now();
        s.actor = "service:keeper";
        s.weight_kg = b.weight_kg;
        s.weight_source = waste::WeightSource::scale;
        store::in_transaction(*db.store, [&] { steps.insert(s); });
      }
      db.clock.advance(step_between_bags());
    }
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  state.SetItemsProcessed(state.iterations() * g_bags);
}

/// Random bags of the year traced by code: the bag and its steps. Reports the p99.
void BM_TraceByCode(benchmark::State& state) {
  auto& y = year();
  waste::Tracker t(*y.db.store);
  std::mt19937 rng(5);
  std::vector<double> ms;
  for (auto _ : state) {
    const auto& code = y.codes[rng() % y.codes.size()];
    const auto t0 = std::chrono::steady_clock::now();
    auto tr = t.trace(code);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (tr.steps.size() != 4) state.SkipWithError("a bag without its four steps");
  }
  std::sort(ms.begin(), ms.end());
  if (!ms.empty()) {
    state.counters["p50_ms"] = ms[ms.size() / 2];
    state.counters["p99_ms"] = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  }
  state.SetItemsProcessed(state.iterations());
}

/// The year's report by department and month.
void BM_YearReport(benchmark::State& state) {
  auto& y = year();
  waste::Tracker t(*y.db.store);
  waste::ReportInput in;
  in.from = year_start;
  in.to = year_start + std::chrono::days(366);
  in.period = waste::Period::month;
  t.report(in);  // a first, untimed run: both sides are measured with the table in the page cache
  for (auto _ : state) {
    auto r = t.report(in);
    if (r.bags != g_bags) state.SkipWithError("not every bag was counted");
  }
  state.SetItemsProcessed(state.iterations() * g_bags);
}

/// The same rows and columns read with nothing computed.
void BM_CeilingScan(benchmark::State& state) {
  auto& y = year();
  const auto cols =
      store::projection(store::table_info<waste::Bag>(),
                        {"produced_at", "department_id", "category", "weight_kg", "stage"});
  y.db.store->select_rows(cols, store::QuerySpec{}, [](std::span<const store::Cell>) {});  // warm
  for (auto _ : state) {
    std::int64_t n = 0;
    y.db.store->select_rows(cols, store::QuerySpec{}, [&](std::span<const store::Cell>) { ++n; });
    if (n != g_bags) state.SkipWithError("scan count");
  }
  state.SetItemsProcessed(state.iterations() * g_bags);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--bags=", 7) == 0)
      g_bags = std::max(1LL, std::stoll(argv[i] + 7));
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  using Fn = void (*)(benchmark::State&);
  for (auto [name, fn] :
       {std::pair<const char*, Fn>{"BM_WasteYear", BM_WasteYear},
        std::pair<const char*, Fn>{"BM_CeilingPlainInsert", BM_CeilingPlainInsert}})
    benchmark::RegisterBenchmark(name, fn)
        ->Unit(benchmark::kSecond)
        ->UseManualTime()
        ->Iterations(1);
  benchmark::RegisterBenchmark("BM_TraceByCode", BM_TraceByCode)
      ->Unit(benchmark::kMicrosecond)
      ->Iterations(5000);
  for (auto [name, fn] : {std::pair<const char*, Fn>{"BM_YearReport", BM_YearReport},
                          std::pair<const char*, Fn>{"BM_CeilingScan", BM_CeilingScan}})
    benchmark::RegisterBenchmark(name, fn)->Unit(benchmark::kMillisecond)->UseRealTime();
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratio("BM_WasteYear", "BM_CeilingPlainInsert", ">= 0.25");
  reporter.print_ratio("BM_YearReport", "BM_CeilingScan", "report <= 2 s");
  benchmark::Shutdown();
  return 0;
}
