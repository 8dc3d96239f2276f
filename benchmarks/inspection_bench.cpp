// Preventive work at a large hospital's scale. A year of task generation for 20k plans (a tenth
// daily, most weekly, the rest monthly; nobody does the work, so every task is issued and later
// marked missed) through the host's job "inspection.generate" run once a day by the scheduler,
// against a bare insert of the same task rows, one transaction a day (BM_CeilingInsertTasks). And
// NTAG 424 DNA taps verified per second (decrypt, session key, CMAC). SQLite file, WAL.
//   inspection_bench [--plans=N] [--days=N] [google benchmark flags]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <houqin/houqin.hpp>

#include "ratio.hpp"
#include "temp_store.hpp"

namespace {

using namespace houqin;
using store::Repository;

std::int64_t g_plans = 20'000;
std::int64_t g_days = 365;
std::int64_t g_tasks = 0;  // what the year issued: the ceiling inserts as many

const Timestamp year_start = parse_timestamp("2026-01-01T00:00:00Z");

/// The bench store with one plant room.
struct Db : bench::TempStore {
  Id room = 0;

  explicit Db(const char* name) : TempStore("inspectionbench", name, year_start) {
    store::in_transaction(*store, [&] {
      site::Campus c{0, 0, "C", "Campus", ""};
      Repository<site::Campus>(*store).insert(c);
      site::Building b{0, 0, c.id, "B", "B", 1, 0};
      Repository<site::Building>(*store).insert(b);
      site::Floor f{0, 0, b.id, 1, "B-1", "1F"};
      Repository<site::Floor>(*store).insert(f);
      site::Room r{0, 0, f.id, "R1", "R1", site::RoomType::plant_room, {}, 0, std::nullopt};
      room = Repository<site::Room>(*store).insert(r);
    });
  }
};

void BM_GenerateTasksYear(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Db db("year");
    auto admin = auth::Actor::service("pm", {"inspection.configure"});
    inspection::Planner planner(*db.store);
    planner.save_template(
        admin, {"T",
                "daily check",
                "",
                {{"ok", "ok", inspection::ItemKind::pass_fail, {}, {}, "", {}, {}, true}}});
    store::in_transaction(*db.store, [&] {
      for (std::int64_t i = 0; i < g_plans; ++i) {
        inspection::Plan p;
        p.code = "P" + std::to_string(i);
        p.template_code = "T";
        p.room_id = db.room;
        p.every = 1;
        const auto kind = i % 10;
        p.unit = kind == 0  ? inspection::IntervalUnit::day
                 : kind < 7 ? inspection::IntervalUnit::week
                            : inspection::IntervalUnit::month;
        p.start = year_start + std::chrono::minutes(i % 1440);
        p.window_minutes = 8 * 60;
        planner.save_plan(admin, p);
      }
    });
    // The host's job, as the scheduler runs it: in a transaction, once a day.
    wiring::Options options;
    options.sla_tick = {};
    options.waste_check = {};
    options.waste_retention = {};
    auto jobs = wiring::jobs(wiring::actor(), options);
    auto job = std::find_if(jobs.begin(), jobs.end(), [](const host::Job& j) {
      return j.name == wiring::inspection_job_name;
    });
    host::Scheduler scheduler;
    job->every = std::chrono::days(1);
    scheduler.add(*job);
    const auto t0 = std::chrono::steady_clock::now();
    state.ResumeTiming();
    for (std::int64_t d = 0; d < g_days; ++d) {
      db.clock.set(year_start + std::chrono::days(d + 1));
      if (scheduler.run_due(*db.store).ran != 1) state.SkipWithError("the job did not run");
    }
    state.PauseTiming();
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    g_tasks = Repository<inspection::Task>(*db.store).count();
    state.counters["tasks"] = static_cast<double>(g_tasks);
    state.counters["skips"] = static_cast<double>(Repository<inspection::Skip>(*db.store).count());
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * g_tasks);
}

/// The same number of task rows, inserted bare in a transaction a day.
void BM_CeilingInsertTasks(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Db db("ceiling");
    auto admin = auth::Actor::service("pm", {"inspection.configure"});
    inspection::Planner planner(*db.store);
    auto tmpl = planner.save_template(
        admin, {"T",
                "daily check",
                "",
                {{"ok", "ok", inspection::ItemKind::pass_fail, {}, {}, "", {}, {}, true}}});
    inspection::Plan p;
    p.code = "P";
    p.template_code = "T";
    p.room_id = db.room;
    p.every = 1;
    p.start = year_start;
    p = planner.save_plan(admin, p);
    const auto tasks = std::max<std::int64_t>(g_tasks, 1);
    const auto per_day = std::max<std::int64_t>(1, tasks / std::max<std::int64_t>(1, g_days));
    const auto t0 = std::chrono::steady_clock::now();
    state.ResumeTiming();
    Repository<inspection::Task> repo(*db.store);
    for (std::int64_t done = 0; done < tasks;) {
      store::in_transaction(*db.store, [&] {
        for (std::int64_t i = 0; i < per_day && done < tasks; ++i, ++done) {
          inspection::Task t;
          t.code = "PM-" + std::to_string(done);
          t.plan_id = p.id;
          t.template_id = tmpl.id;
          t.due_at = year_start + std::chrono::minutes(done);
          t.window_end = t.due_at + std::chrono::hours(8);
          t.issued_at = t.due_at;
          t.points.push_back({db.room, std::nullopt, std::nullopt, std::nullopt});
          repo.insert(t);
        }
      });
    }
    state.PauseTiming();
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * std::max<std::int64_t>(g_tasks, 1));
}

/// AN12196's tap (all-zero keys, UID 04DE5F1EACC040, counter 61) verified over and over.
void BM_SunVerify(benchmark::State& state) {
  const inspection::Key128 zero{};
  std::int64_t ok = 0;
  for (auto _ : state) {
    auto tap =
        inspection::verify("EF963FF7828658A599F3041510671E88", "94EED9EE65337086", zero, zero);
    ok += tap.counter == 61;
  }
  if (ok != state.iterations()) state.SkipWithError("a tap did not verify");
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--plans=", 8) == 0)
      g_plans = std::max(1LL, std::stoll(argv[i] + 8));
    else if (std::strncmp(argv[i], "--days=", 7) == 0)
      g_days = std::max(1LL, std::stoll(argv[i] + 7));
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  using Fn = void (*)(benchmark::State&);
  for (auto [name, fn] :
       {std::pair<const char*, Fn>{"BM_GenerateTasksYear", BM_GenerateTasksYear},
        std::pair<const char*, Fn>{"BM_CeilingInsertTasks", BM_CeilingInsertTasks}})
    benchmark::RegisterBenchmark(name, fn)
        ->Unit(benchmark::kSecond)
        ->UseManualTime()
        ->Iterations(1);
  benchmark::RegisterBenchmark("BM_SunVerify", BM_SunVerify)->Unit(benchmark::kMicrosecond);
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratio("BM_GenerateTasksYear", "BM_CeilingInsertTasks", ">= 0.3");
  if (reporter.items_per_second.count("BM_SunVerify"))
    std::printf("SUN taps verified per second: %.0f (target >= 50000)\n",
                reporter.items_per_second["BM_SunVerify"]);
  benchmark::Shutdown();
  return 0;
}
