// Repair at hospital scale: automatic dispatch of many orders against hundreds of technicians
// (each decision scores every technician, each dispatch is an authorised, audited transition),
// against the unavoidable part of it, one plain versioned update per order in its own
// transaction; and a year of a large hospital's orders (200k) summarised per category against a
// plain scan of the same rows and columns. SQLite file, WAL.
//   repair_bench [--orders=N] [--techs=N] [--year-orders=N] [google benchmark flags]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <houqin/houqin.hpp>
#include <random>

#include "ratio.hpp"

namespace {

using namespace houqin;

std::int64_t g_orders = 10000;
std::int64_t g_techs = 500;
std::int64_t g_year = 200000;

const Timestamp start = parse_timestamp("2026-03-02T02:00:00Z");  // Monday 10:00 local

auth::Actor desk() {
  return auth::Actor::service("bench", {"repair.report", "repair.dispatch", "repair.work",
                                        "repair.close", "repair.configure", "bi.read"});
}

struct Hospital {
  std::filesystem::path path;
  ManualClock clock{start};
  std::unique_ptr<store::Store> store;
  std::vector<Id> rooms, items;

  Hospital() {
    static int n = 0;
    path = std::filesystem::temp_directory_path() /
           ("houqin-repairbench-" + std::to_string(::getpid()) + "-" + std::to_string(n++) +
            ".sqlite");
    clean();
    auto keys = std::make_shared<protect::Keyring>();
    keys->add("bench", std::string(32, '\x11'));
    store::StoreOptions o;
    o.keys = keys;
    o.clock = &clock;
    store = store::Store::open("sqlite:" + path.string(), o);
    auto m = houqin::migrations();
    store::migrate(*store, m);
  }
  ~Hospital() {
    store.reset();
    clean();
  }
  void clean() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
  }

  /// 10 buildings x 10 floors x 20 rooms, technicians with skills, rosters and repair items.
  void build(std::int64_t techs) {
    using store::Repository;
    store::in_transaction(*store, [&] {
      site::Campus c{0, 0, "C", "Campus", ""};
      Repository<site::Campus>(*store).insert(c);
      site::Department d{0, 0, "LOG", "Logistics", site::DepartmentKind::logistics, {}, {}, true};
      Repository<site::Department>(*store).insert(d);
      for (int b = 0; b < 10; ++b) {
        site::Building bu{0, 0, c.id, "B" + std::to_string(b), "B", 10, 0};
        Repository<site::Building>(*store).insert(bu);
        for (int f = 1; f <= 10; ++f) {
          site::Floor fl{0, 0, bu.id, f, bu.code + "-" + std::to_string(f), "F"};
          Repository<site::Floor>(*store).insert(fl);
          for (int r = 0; r < 20; ++r) {
            site::Room ro{
                0,    0, fl.id,       fl.code + "-" + std::to_string(r), "R", site::RoomType::ward,
                d.id, 0, std::nullopt};
            rooms.push_back(Repository<site::Room>(*store).insert(ro));
          }
        }
      }
      const char* skills[] = {"electrical", "plumbing", "hvac", "medical_gas", "elevator"};
      site::Shift day{0, 0, "DAY", "day", 480, 570}, night{0, 0, "NIGHT", "night", 1320, 600};
      Repository<site::Shift>(*store).insert(day);
      Repository<site::Shift>(*store).insert(night);
      auto today = std::chrono::floor<std::chrono::days>(start + std::chrono::hours(8));
      for (std::int64_t t = 0; t < techs; ++t) {
        site::Staff st{0,
                       0,
                       "T" + std::to_string(t),
                       "Tech",
                       d.id,
                       "",
                       std::nullopt,
                       {skills[t % 5], skills[(t + 2) % 5]},
                       true};
        Repository<site::Staff>(*store).insert(st);
        repair::Technician p{0,     0,
                             st.id, "team" + std::to_string(t % 10),
                             {},    rooms[static_cast<std::size_t>(t * 7) % rooms.size()],
                             1000,  true};
        Repository<repair::Technician>(*store).insert(p);
        site::ShiftAssignment a{0, 0, st.id, t % 3 ? day.id : night.id, today};
        Repository<site::ShiftAssignment>(*store).insert(a);
      }
      for (int i = 0; i < 20; ++i) {
        repair::RepairItem it{
            0,  0,   "I" + std::to_string(i), "item", skills[i % 5], 30, {skills[i % 5]}, {},
            10, true};
        items.push_back(Repository<repair::RepairItem>(*store).insert(it));
      }
    });
  }

  /// Reported orders, stored directly (the setup is not what is measured).
  std::vector<Id> reported(std::int64_t n) {
    std::vector<repair::WorkOrder> orders(static_cast<std::size_t>(n));
    std::mt19937 rng(7);
    for (std::size_t i = 0; i < orders.size(); ++i) {
      auto& o = orders[i];
      o.code = "B-" + std::to_string(i);
      o.description = "bench";
      o.room_id = rooms[rng() % rooms.size()];
      o.repair_item_id = items[rng() % items.size()];
      o.category = "electrical";
      o.reported_at = start;
    }
    store::Repository<repair::WorkOrder>(*store).insert_many(orders);
    std::vector<Id> ids;
    for (const auto& o : orders) ids.push_back(o.id);
    return ids;
  }
};

void BM_AutoDispatch(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Hospital h;
    h.build(g_techs);
    auto ids = h.reported(state.range(0));
    repair::WorkOrders wo(*h.store);
    auto actor = desk();
    state.ResumeTiming();
    auto decisions = wo.auto_dispatch_many(actor, ids);
    benchmark::DoNotOptimize(decisions.data());
    state.PauseTiming();
    for (const auto& d : decisions)
      if (!d.chosen || d.candidates.size() != static_cast<std::size_t>(g_techs))
        state.SkipWithError("an order was not dispatched with every candidate scored");
    decisions.clear();
    h.store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

/// Scoring alone: every technician for every order, no writes.
void BM_DispatchDecide(benchmark::State& state) {
  Hospital h;
  h.build(g_techs);
  auto ids = h.reported(state.range(0));
  auto orders = store::Repository<repair::WorkOrder>(*h.store).find();
  repair::DispatchBoard board(*h.store);
  for (auto _ : state)
    for (const auto& o : orders) {
      auto d = board.decide(o, start);
      benchmark::DoNotOptimize(d.chosen);
    }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

/// The write a dispatch cannot avoid: one versioned update of the order per transaction.
void BM_CeilingPlainUpdate(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Hospital h;
    h.build(g_techs);
    auto ids = h.reported(state.range(0));
    store::Repository<repair::WorkOrder> repo(*h.store);
    state.ResumeTiming();
    for (Id id : ids)
      store::in_transaction(*h.store, [&] {
        auto o = repo.require(id);
        o.status = repair::Status::dispatched;
        o.technician_id = 1;
        repo.update(o);
      });
    state.PauseTiming();
    h.store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

/// A year of orders with realistic histories, and ratings for a third of them.
struct Year {
  Hospital h;
  Year() {
    h.build(50);
    const char* categories[] = {"electrical", "plumbing",  "hvac",  "medical_gas",
                                "elevator",   "furniture", "doors", "it"};
    std::mt19937 rng(11);
    std::vector<repair::WorkOrder> batch;
    std::vector<repair::Rating> ratings;
    auto flush = [&] {
      store::Repository<repair::WorkOrder>(*h.store).insert_many(batch);
      for (const auto& o : batch)
        if (o.id % 3 == 0 && o.completed_at)
          ratings.push_back({0, 0, o.id, static_cast<std::int32_t>(1 + o.id % 5), "", "u", start});
      batch.clear();
    };
    for (std::int64_t i = 0; i < g_year; ++i) {
      repair::WorkOrder o;
      o.code = "Y-" + std::to_string(i);
      o.description = "year";
      o.category = categories[rng() % 8];
      o.team = "team" + std::to_string(rng() % 10);
      o.technician_id = 1 + static_cast<Id>(rng() % 50);
      o.department_id = 1;
      o.sla_policy_id = 1;
      o.reported_at = start + std::chrono::seconds(rng() % (365 * 86400));
      o.accepted_at = o.reported_at + std::chrono::seconds(60 + rng() % 1800);
      o.started_at = *o.accepted_at + std::chrono::seconds(rng() % 1800);
      o.response_breached = *o.accepted_at - o.reported_at > std::chrono::minutes(15);
      if (rng() % 10) {
        o.completed_at = *o.started_at + std::chrono::seconds(600 + rng() % 14400);
        o.status = repair::Status::closed;
        o.resolution_breached = *o.completed_at - o.reported_at > std::chrono::hours(4);
      } else {
        o.status = repair::Status::in_progress;
      }
      batch.push_back(std::move(o));
      if (batch.size() == 10000) flush();
    }
    flush();
    store::Repository<repair::Rating>(*h.store).insert_many(ratings);
  }
};

Year& year() {
  static Year y;
  return y;
}

void BM_YearReport(benchmark::State& state) {
  auto& y = year();
  auto actor = desk();
  repair::ReportQuery q;
  q.group_by = repair::GroupBy::category;
  double seconds = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = repair::summarize(*y.h.store, actor, q);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r.total.reported != g_year) state.SkipWithError("not every order was counted");
  }
  state.counters["seconds_per_report"] = seconds;
  state.SetItemsProcessed(state.iterations() * g_year);
}

/// The same rows and columns read with nothing computed.
void BM_CeilingScan(benchmark::State& state) {
  auto& y = year();
  const auto& full = store::table_info<repair::WorkOrder>();
  store::TableInfo t;
  t.name = full.name;
  for (auto c : {"id", "status", "reported_at", "accepted_at", "started_at", "completed_at",
                 "sla_policy_id", "response_breached", "resolution_breached", "category"})
    t.columns.push_back(full.columns[full.column_index(c)]);
  for (auto _ : state) {
    std::int64_t n = 0;
    y.h.store->select_rows(t, store::QuerySpec{}, [&](std::span<const store::Cell>) { ++n; });
    if (n != g_year) state.SkipWithError("scan count");
  }
  state.SetItemsProcessed(state.iterations() * g_year);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--orders=", 9) == 0)
      g_orders = std::stoll(argv[i] + 9);
    else if (std::strncmp(argv[i], "--techs=", 8) == 0)
      g_techs = std::stoll(argv[i] + 8);
    else if (std::strncmp(argv[i], "--year-orders=", 14) == 0)
      g_year = std::stoll(argv[i] + 14);
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  using Fn = void (*)(benchmark::State&);
  const std::pair<const char*, Fn> dispatch[] = {{"BM_AutoDispatch", BM_AutoDispatch},
                                                 {"BM_CeilingPlainUpdate", BM_CeilingPlainUpdate},
                                                 {"BM_DispatchDecide", BM_DispatchDecide}};
  for (auto [name, fn] : dispatch)
    benchmark::RegisterBenchmark(name, fn)
        ->Arg(g_orders)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1);
  for (auto [name, fn] : {std::pair<const char*, Fn>{"BM_YearReport", BM_YearReport},
                          std::pair<const char*, Fn>{"BM_CeilingScan", BM_CeilingScan}})
    benchmark::RegisterBenchmark(name, fn)->Unit(benchmark::kMillisecond)->UseRealTime();
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratio("BM_AutoDispatch", "BM_CeilingPlainUpdate", ">= 0.2");
  reporter.print_ratio("BM_YearReport", "BM_CeilingScan", ">= 0.5");
  benchmark::Shutdown();
  return 0;
}
