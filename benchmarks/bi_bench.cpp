// BI at a large hospital's scale: a year of work orders (200k by default), medical waste bags
// (2M) in 5 buildings and 40 departments, inspection and PM tasks (1M) of 2,000 plans and alarm
// episodes (100k, some in floods, 300 still active) and 10k points of telemetry with hourly rollups
// of the last 30 days (7.2M rows, which the snapshot does not read: they only make the database a
// hospital's size), projected once into BI's counters
// (Bi::rebuild, timed and printed). Then the service desk's snapshot (BM_ServiceDeskSnapshot,
// target <= 10 ms) against the same figures recomputed from the domain tables by a bare scan of
// only the columns they need (BM_CeilingRecompute), and the incremental cost of one event: a work
// order projected again and the difference applied (BM_IncrementalEvent). SQLite file, WAL.
//   bi_bench [--orders=N] [--bags=N] [--tasks=N] [--alarms=N] [--points=N] [--rollup-days=N]
//            [google benchmark flags]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <houqin/houqin.hpp>
#include <random>

#include "ratio.hpp"
#include "temp_store.hpp"

namespace {

using namespace houqin;
using store::Repository;

std::int64_t g_orders = 200'000;
std::int64_t g_bags = 2'000'000;
std::int64_t g_tasks = 1'000'000;
std::int64_t g_alarms = 100'000;
std::int64_t g_points = 10'000;
std::int64_t g_rollup_days = 30;
constexpr int plans = 2'000;
constexpr int active_alarms = 300;
constexpr int buildings = 5;
constexpr int departments = 40;

// The snapshot's month: the last of the simulated year.
const Timestamp year_start = parse_timestamp("2026-01-01T00:00:00Z");
const Timestamp now_time = parse_timestamp("2026-12-20T04:00:00Z");

struct Db : bench::TempStore {
  std::vector<Id> building_ids, department_ids;
  double rebuild_seconds = 0;

  Db() : TempStore("bibench", "year", now_time) {
    std::mt19937 rng(21);
    auto at = [&] { return year_start + std::chrono::seconds(rng() % (350LL * 24 * 3600)); };
    store::in_transaction(*store, [&] {
      site::Campus campus{0, 0, "C", "Campus", ""};
      Repository<site::Campus>(*store).insert(campus);
      for (int b = 0; b < buildings; ++b) {
        site::Building bd{};
        bd.campus_id = campus.id;
        bd.code = "B" + std::to_string(b);
        bd.name = bd.code;
        bd.floors_above = 10;
        building_ids.push_back(Repository<site::Building>(*store).insert(bd));
      }
      for (int d = 0; d < departments; ++d) {
        site::Department dep{0,
                             0,
                             "D" + std::to_string(d),
                             "Dept " + std::to_string(d),
                             site::DepartmentKind::clinical,
                             {},
                             {},
                             true};
        department_ids.push_back(Repository<site::Department>(*store).insert(dep));
      }
    });
    // A year of work orders: most closed, some open, a few breached or cancelled.
    store::in_transaction(*store, [&] {
      Repository<repair::WorkOrder> orders(*store);
      for (std::int64_t i = 0; i < g_orders; ++i) {
        repair::WorkOrder o;
        o.code = "WO-" + std::to_string(i);
        o.department_id = department_ids[rng() % departments];
        o.building_id = building_ids[rng() % buildings];
        o.category = "electrical";
        o.description = "fault";
        o.reported_at = at();
        const auto r = rng() % 100;
        if (r < 3) {
          o.status = repair::Status::cancelled;
          o.cancelled_at = o.reported_at + std::chrono::minutes(5);
        } else if (r < 8) {
          o.status = repair::Status::in_progress;
          o.accepted_at = o.reported_at + std::chrono::minutes(5 + rng() % 30);
          o.resolution_breached = r < 5;
        } else {
          o.status = repair::Status::closed;
          o.accepted_at = o.reported_at + std::chrono::minutes(5 + rng() % 30);
          o.completed_at = *o.accepted_at + std::chrono::minutes(30 + rng() % 600);
          o.closed_at = *o.completed_at + std::chrono::hours(2);
          o.resolution_breached = r < 12;
        }
        orders.insert(o);
      }
    });
    store::in_transaction(*store, [&] {
      Repository<waste::Bag> bags(*store);
      for (std::int64_t i = 0; i < g_bags; ++i) {
        waste::Bag b;
        b.code = "WB-" + std::to_string(i);
        b.category = rng() % 10 < 8 ? waste::Category::infectious : waste::Category::sharps;
        b.department_id = department_ids[rng() % departments];
        b.producer = "nurse";
        b.produced_at = at();
        b.weight_kg = 0.5 + static_cast<double>(rng() % 3000) / 1000.0;
        b.stage = rng() % 100 < 2 ? waste::Stage::stored : waste::Stage::transferred;
        b.stage_at = b.produced_at;
        bags.insert(b);
      }
    });
    // A year of inspection and PM tasks: most done, some missed or exempted, a few open.
    store::in_transaction(*store, [&] {
      inspection::Template tpl;
      tpl.code = "DAILY";
      tpl.name = "daily round";
      tpl.created_at = year_start;
      Repository<inspection::Template>(*store).insert(tpl);
      std::vector<Id> plan_ids;
      for (int p = 0; p < plans; ++p) {
        inspection::Plan plan;
        plan.code = "P-" + std::to_string(p);
        plan.name = plan.code;
        plan.template_code = tpl.code;
        plan.start = year_start;
        plan_ids.push_back(Repository<inspection::Plan>(*store).insert(plan));
      }
      Repository<inspection::Task> tasks(*store);
      for (std::int64_t i = 0; i < g_tasks; ++i) {
        inspection::Task t;
        t.code = "T-" + std::to_string(i);
        t.plan_id = plan_ids[rng() % plans];
        t.template_id = tpl.id;
        t.due_at = at();
        t.issued_at = t.due_at - std::chrono::hours(1);
        t.window_end = t.due_at + std::chrono::hours(4);
        const auto r = rng() % 100;
        if (r < 90) {
          t.status = inspection::TaskStatus::done;
          t.completed_at = t.due_at + std::chrono::minutes(rng() % 300);
          t.completed_by = "user:inspector";
          t.late = *t.completed_at > t.window_end;
        } else if (r < 97) {
          t.status = inspection::TaskStatus::missed;
        } else if (r < 99) {
          t.status = inspection::TaskStatus::exempt;
          t.exempt_reason = inspection::ExemptReason::in_use;
        }
        tasks.insert(t);
      }
    });
    // A year of alarm episodes, raised and cleared (a twentieth in bursts of 15 within minutes,
    // floods), and the alarms active now.
    store::in_transaction(*store, [&] {
      Repository<telemetry::AlarmEvent> events(*store);
      Timestamp burst{};
      for (std::int64_t i = 0; i < g_alarms; ++i) {
        telemetry::AlarmEvent e;
        e.point_id = 1 + static_cast<Id>(rng() % 10'000);
        e.episode = i + 1;
        e.from_state = telemetry::AlarmState::normal;
        e.to_state = telemetry::AlarmState::unacknowledged;
        if (i % 300 == 0) burst = at();
        const bool in_burst = i % 300 < 15;
        e.time = in_burst ? burst + std::chrono::seconds(20 * (i % 300)) : at();
        events.insert(e);
        if (i >= g_alarms - active_alarms) {
          telemetry::AlarmRecord rec;
          rec.point_id = e.point_id;
          rec.kind = static_cast<telemetry::AlarmKind>(i % 4);
          rec.episode = e.episode;
          rec.active = true;
          rec.state = telemetry::AlarmState::acknowledged;
          rec.changed_at = e.time;
          if (!Repository<telemetry::AlarmRecord>(*store).find_one(
                  store::Query<telemetry::AlarmRecord>()
                      .where(&telemetry::AlarmRecord::point_id, store::Op::eq, rec.point_id)
                      .where(&telemetry::AlarmRecord::kind, store::Op::eq, rec.kind)))
            Repository<telemetry::AlarmRecord>(*store).insert(rec);
          continue;
        }
        e.from_state = telemetry::AlarmState::unacknowledged;
        e.to_state = telemetry::AlarmState::normal;
        e.cause = telemetry::AlarmCause::cleared;
        e.time += std::chrono::minutes(3);
        events.insert(e);
      }
    });
    // The telemetry's hourly rollups of the last days, generated in SQL: one packed row per
    // point and day, of the size a full day takes (628 bytes; BI does not read them, they give
    // the database its size).
    {
      const auto last = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::floor<std::chrono::days>(now_time).time_since_epoch())
                            .count();
      const auto first = last - g_rollup_days * 24 * 3'600'000'000LL;
      store->execute(
          "INSERT INTO telemetry_rollup (point_id, day_us, data) "
          "WITH RECURSIVE p(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM p WHERE id < " +
          std::to_string(g_points) + "), d(b) AS (SELECT " + std::to_string(first) +
          " UNION ALL SELECT b + 86400000000 FROM d WHERE b + 86400000000 < " +
          std::to_string(last) + ") SELECT id, b, randomblob(628) FROM p, d");
    }
    const auto t0 = std::chrono::steady_clock::now();
    bi::Bi(*store).rebuild(auth::Actor::service("bench", {"bi.manage"}));
    rebuild_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
};

Db& db() {
  static Db d;
  return d;
}

void BM_ServiceDeskSnapshot(benchmark::State& state) {
  auto& d = db();
  bi::Bi bi(*d.store);
  bi::Snapshot s;
  for (auto _ : state) {
    s = bi.snapshot();
    benchmark::DoNotOptimize(s);
  }
  state.counters["open"] = static_cast<double>(s.work_orders_open);
  state.counters["standing"] = static_cast<double>(s.alarms_standing);
  state.counters["floods"] = static_cast<double>(s.alarm_floods_this_month);
  state.SetItemsProcessed(state.iterations());
}

// The snapshot's work-order and waste figures straight from the tables: only the columns needed,
// one pass each.
void BM_CeilingRecompute(benchmark::State& state) {
  auto& d = db();
  const Timestamp month = parse_timestamp("2026-11-30T16:00:00Z");  // 1 Dec, local
  const auto wo_table =
      store::projection(store::table_info<repair::WorkOrder>(),
                        {"id", "status", "reported_at", "accepted_at", "completed_at",
                         "resolution_breached", "response_breached"});
  const auto bag_table = store::projection(store::table_info<waste::Bag>(),
                                           {"id", "produced_at", "weight_kg", "stage"});
  const auto task_table =
      store::projection(store::table_info<inspection::Task>(),
                        {"id", "status", "due_at", "completed_at", "window_end"});
  const auto alarm_table = store::projection(store::table_info<telemetry::AlarmEvent>(),
                                             {"id", "from_state", "to_state", "time"});
  std::int64_t open = 0;
  for (auto _ : state) {
    open = 0;
    std::int64_t reported = 0, resolved = 0, met = 0, bags = 0, stored = 0;
    double seconds = 0, kg = 0;
    const auto m = month.time_since_epoch().count();
    d.store->select_rows(wo_table, store::by_id(), [&](std::span<const store::Cell> r) {
      const auto status = r[1].s;
      const bool finished = status == "completed" || status == "verified" || status == "closed";
      if (!finished && status != "cancelled") ++open;
      if (r[2].i >= m) ++reported;
      if (finished && !r[4].null && r[4].i >= m) {
        ++resolved;
        seconds += static_cast<double>(r[4].i - r[2].i) / 1e6;
        if (r[5].i == 0) ++met;
      }
    });
    d.store->select_rows(bag_table, store::by_id(), [&](std::span<const store::Cell> r) {
      if (r[1].i >= m) {
        ++bags;
        kg += r[2].d;
      }
      if (r[3].s == "stored") ++stored;
    });
    std::int64_t due = 0, done = 0, missed = 0, open_tasks = 0, raised = 0;
    d.store->select_rows(task_table, store::by_id(), [&](std::span<const store::Cell> r) {
      if (r[1].s == "open") ++open_tasks;
      if (r[2].i >= m) ++due;
      if (r[1].s == "done" && !r[3].null && r[3].i >= m) ++done;
      if (r[1].s == "missed" && r[4].i >= m) ++missed;
    });
    d.store->select_rows(alarm_table, store::by_id(), [&](std::span<const store::Cell> r) {
      if (r[1].s == "normal" && r[2].s != "normal" && r[3].i >= m) ++raised;
    });
    benchmark::DoNotOptimize(seconds + kg +
                             static_cast<double>(reported + met + bags + stored + due + done +
                                                 missed + open_tasks + raised));
  }
  state.counters["open"] = static_cast<double>(open);
  state.SetItemsProcessed(state.iterations());
}

// One event's work: a work order projected again after a change, the difference applied.
void BM_IncrementalEvent(benchmark::State& state) {
  auto& d = db();
  bi::Bi bi(*d.store);
  Repository<repair::WorkOrder> orders(*d.store);
  std::mt19937 rng(5);
  for (auto _ : state) {
    state.PauseTiming();
    auto o = orders.require(static_cast<Id>(1 + rng() % static_cast<std::uint64_t>(g_orders)));
    o.resolution_breached = !o.resolution_breached;  // a change BI must follow
    orders.update(o);
    state.ResumeTiming();
    bi.refresh_work_order(o.id);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--orders=", 9) == 0)
      g_orders = std::max(1LL, std::stoll(argv[i] + 9));
    else if (std::strncmp(argv[i], "--bags=", 7) == 0)
      g_bags = std::max(1LL, std::stoll(argv[i] + 7));
    else if (std::strncmp(argv[i], "--points=", 9) == 0)
      g_points = std::max(1LL, std::stoll(argv[i] + 9));
    else if (std::strncmp(argv[i], "--rollup-days=", 14) == 0)
      g_rollup_days = std::max(1LL, std::stoll(argv[i] + 14));
    else if (std::strncmp(argv[i], "--tasks=", 8) == 0)
      g_tasks = std::max(1LL, std::stoll(argv[i] + 8));
    else if (std::strncmp(argv[i], "--alarms=", 9) == 0)
      g_alarms = std::max(static_cast<long long>(active_alarms) + 1, std::stoll(argv[i] + 9));
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  std::printf(
      "year: %lld work orders, %lld bags, %lld inspection tasks, %lld alarm episodes, %lld points "
      "with %lld days of hourly rollups; Bi::rebuild took %.2f s\n",
      static_cast<long long>(g_orders), static_cast<long long>(g_bags),
      static_cast<long long>(g_tasks), static_cast<long long>(g_alarms),
      static_cast<long long>(g_points), static_cast<long long>(g_rollup_days),
      db().rebuild_seconds);
  benchmark::RegisterBenchmark("BM_ServiceDeskSnapshot", BM_ServiceDeskSnapshot)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_CeilingRecompute", BM_CeilingRecompute)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_IncrementalEvent", BM_IncrementalEvent)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  if (reporter.items_per_second.count("BM_ServiceDeskSnapshot"))
    std::printf("snapshot_ms = %.3f (target <= 10)\n",
                1000.0 / reporter.items_per_second["BM_ServiceDeskSnapshot"]);
  reporter.print_ratio("BM_ServiceDeskSnapshot", "BM_CeilingRecompute", "> 1: faster than a scan");
  if (reporter.items_per_second.count("BM_IncrementalEvent"))
    std::printf("event_us = %.1f (the incremental cost of one event)\n",
                1e6 / reporter.items_per_second["BM_IncrementalEvent"]);
  benchmark::Shutdown();
  return 0;
}
