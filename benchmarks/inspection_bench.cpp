// Preventive work at a large hospital's scale. A year of task generation for 20k plans (a tenth
// daily, most weekly, the rest monthly; nobody does the work, so every task is issued and later
// marked missed) through the host's job "inspection.generate" run once a day by the scheduler,
// against a bare insert of the same task rows (the rows the year issued, copied, into a store with
// the same plans), one transaction per run (BM_CeilingInsertTasks). And
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
std::int64_t g_tasks = 0;                // what the year issued
std::vector<inspection::Task> g_issued;  // and those rows, as issued: the ceiling inserts them

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

/// The template and the g_plans plans, saved through the planner: ids 1.. in the same order in
/// every fresh store, so the ceiling's copies of the tasks refer to the same plans.
void add_plans(Db& db) {
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
}

void BM_GenerateTasksYear(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    Db db("year");
    add_plans(db);
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
    // The task rows as issued (the year later marked them missed), for the ceiling.
    g_issued = Repository<inspection::Task>(*db.store).find(
        store::Query<inspection::Task>().order_by(&inspection::Task::id));
    for (auto& t : g_issued) {
      t.status = inspection::TaskStatus::open;
      t.version = 0;
    }
    g_tasks = static_cast<std::int64_t>(g_issued.size());
    state.counters["tasks"] = static_cast<double>(g_tasks);
    state.counters["skips"] = static_cast<double>(Repository<inspection::Skip>(*db.store).count());
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * g_tasks);
}

/// The same task rows the year issued, inserted bare into a store with the same plans, in one
/// transaction per run of the generator (the rows issued at one time).
void BM_CeilingInsertTasks(benchmark::State& state) {
  if (g_issued.empty()) {
    state.SkipWithError("BM_GenerateTasksYear must run first: its task rows are inserted");
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    Db db("ceiling");
    add_plans(db);
    auto rows = g_issued;
    const auto t0 = std::chrono::steady_clock::now();
    state.ResumeTiming();
    Repository<inspection::Task> repo(*db.store);
    for (std::size_t done = 0; done < rows.size();) {
      store::in_transaction(*db.store, [&] {
        const auto issued = rows[done].issued_at;
        for (; done < rows.size() && rows[done].issued_at == issued; ++done) {
          rows[done].id = 0;
          repo.insert(rows[done]);
        }
      });
    }
    state.PauseTiming();
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * g_tasks);
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
