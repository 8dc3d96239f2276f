// The durable event log's cost and speed. A work order put on hold and resumed (two audited
// transitions, each writing its WorkOrderEvent to the log in its transaction) against the same two
// transitions whose events are dropped before the commit (the ceiling: the event is still built in
// memory, its row is not written); and a consumer reading the log from its checkpoint, each event
// in a transaction that advances the checkpoint (handler: a no-op, so the figure is the log's own
// cost). SQLite file in WAL by default; --pg=URL (or HOUQIN_TEST_PG_URL with --backend=postgresql)
// runs the same on PostgreSQL.
//   events_bench [--events=N] [--backend=sqlite|postgresql] [--pg=URL] [google benchmark flags]
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <houqin/houqin.hpp>

#include "ratio.hpp"

namespace {

using namespace houqin;

std::int64_t g_events = 20000;
std::string g_backend = "sqlite";
std::string g_pg_url;

auth::Actor desk() {
  return auth::Actor::service("bench", {"repair.report", "repair.dispatch", "repair.work",
                                        "repair.close", "repair.configure"});
}

/// A fresh migrated store, and one work order in progress to put on hold and resume.
struct Bench {
  std::filesystem::path path;
  std::string schema;
  std::unique_ptr<store::Store> admin;
  std::unique_ptr<store::Store> store;
  Id order = 0;

  Bench() {
    static int n = 0;
    auto keys = std::make_shared<protect::Keyring>();
    keys->add("bench", std::string(32, '\x11'));
    std::string url;
    if (g_backend == "postgresql") {
      if (g_pg_url.empty())
        fail(ErrorCode::invalid_argument, "--backend=postgresql needs --pg=URL");
      schema = "hq_bench_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
      admin = store::Store::open(g_pg_url);
      admin->execute("CREATE SCHEMA " + schema);
      url = g_pg_url + (g_pg_url.find('?') == std::string::npos ? "?" : "&") +
            "options=-csearch_path%3D" + schema;
    } else {
      path = std::filesystem::temp_directory_path() /
             ("houqin-eventsbench-" + std::to_string(::getpid()) + "-" + std::to_string(n++) +
              ".sqlite");
      clean();
      url = "sqlite:" + path.string();
    }
    store = store::Store::open(url, {.keys = keys});
    auto m = houqin::migrations();
    store::migrate(*store, m);
    using store::Repository;
    auto& s = *store;
    site::Campus c{0, 0, "C", "Campus", ""};
    Repository<site::Campus>(s).insert(c);
    site::Building b{0, 0, c.id, "B", "B", 1, 0};
    Repository<site::Building>(s).insert(b);
    site::Floor f{0, 0, b.id, 1, "B-1", "F"};
    Repository<site::Floor>(s).insert(f);
    site::Department d{0, 0, "LOG", "Logistics", site::DepartmentKind::logistics, {}, {}, true};
    Repository<site::Department>(s).insert(d);
    site::Room r{0, 0, f.id, "B-1-01", "R", site::RoomType::ward, d.id, 0, std::nullopt};
    Repository<site::Room>(s).insert(r);
    site::Staff t{0, 0, "T1", "tech", d.id, "", std::nullopt, {"electrical"}, true};
    Repository<site::Staff>(s).insert(t);
    repair::WorkOrders wo(s);
    repair::ReportInput in;
    in.room_id = r.id;
    in.category = "electrical";
    in.description = "bench";
    order = wo.report(desk(), in).id;
    wo.dispatch(desk(), {order, t.id, ""});
    wo.accept(desk(), {order, ""});
    wo.start(desk(), {order, ""});
  }
  ~Bench() {
    store.reset();
    if (admin) {
      try {
        admin->execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      } catch (...) {
      }
    }
    if (!path.empty()) clean();
  }
  void clean() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
  }
  /// Hold and resume: two audited transitions. With `log` false the transitions' events are
  /// dropped before the commit, so no log row is written (the ceiling).
  void hold_and_resume(bool log) {
    repair::WorkOrders wo(*store);
    store::Transaction tx(*store);
    const auto mark = store->events().mark();
    wo.hold(desk(), {order, repair::HoldReason::vendor, "vendor visit"});
    wo.resume(desk(), {order, ""});
    if (!log) store->events().discard_after(mark);
    tx.commit();
  }
};

void transitions(benchmark::State& state, bool log) {
  Bench b;
  for (auto _ : state) b.hold_and_resume(log);
  state.SetItemsProcessed(2 * static_cast<std::int64_t>(state.iterations()));
}

void BM_TransitionWithDurableEvent(benchmark::State& state) {
  transitions(state, true);
}
void BM_CeilingTransitionWithoutEvent(benchmark::State& state) {
  transitions(state, false);
}

/// A consumer catching up with `g_events` events (written beforehand in one transaction).
void BM_ConsumerThroughput(benchmark::State& state) {
  Bench b;
  std::int64_t handled = 0;
  for (auto _ : state) {
    state.PauseTiming();
    {
      store::Transaction tx(*b.store);
      for (std::int64_t i = 0; i < g_events; ++i)
        b.store->events().publish(repair::WorkOrderEvent{
            b.order, "BENCH", repair::Action::hold, repair::Status::in_progress,
            repair::Status::on_hold, "bench", b.store->clock().now(), ""});
      tx.commit();
    }
    host::ConsumerOptions o;
    o.start_at = host::StartAt::beginning;
    o.batch = 1000;
    host::Consumer c("bench-" + std::to_string(handled), o);
    c.on<repair::WorkOrderEvent>([](host::Delivery&, const repair::WorkOrderEvent&) {});
    c.state(*b.store);  // the checkpoint row, before the clock starts
    state.ResumeTiming();
    for (;;) {
      auto r = c.poll(*b.store);
      handled += r.handled;
      if (r.handled + r.skipped == 0) break;
    }
  }
  state.SetItemsProcessed(handled);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  if (const char* url = std::getenv("HOUQIN_TEST_PG_URL")) g_pg_url = url;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--events=", 9) == 0)
      g_events = std::stoll(argv[i] + 9);
    else if (std::strncmp(argv[i], "--backend=", 10) == 0)
      g_backend = argv[i] + 10;
    else if (std::strncmp(argv[i], "--pg=", 5) == 0) {
      g_pg_url = argv[i] + 5;
      g_backend = "postgresql";
    } else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::RegisterBenchmark("BM_TransitionWithDurableEvent", BM_TransitionWithDurableEvent)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_CeilingTransitionWithoutEvent", BM_CeilingTransitionWithoutEvent)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_ConsumerThroughput", BM_ConsumerThroughput)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Iterations(1);
  houqin::bench::RatioReporter reporter;
  std::printf("backend: %s, %lld events for the consumer\n", g_backend.c_str(),
              static_cast<long long>(g_events));
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratio("BM_TransitionWithDurableEvent", "BM_CeilingTransitionWithoutEvent",
                       ">= 0.85");
  if (reporter.items_per_second.count("BM_ConsumerThroughput"))
    std::printf("consumer throughput %.0f events/s (target >= %s)\n",
                reporter.items_per_second["BM_ConsumerThroughput"],
                g_backend == "postgresql" ? "20000" : "50000");
  benchmark::Shutdown();
  return 0;
}
