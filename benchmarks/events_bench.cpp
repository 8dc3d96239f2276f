// The durable event log's cost and speed. A work order put on hold and resumed (two audited
// transitions, each writing its WorkOrderEvent to the log in its transaction) against the same two
// transitions whose events are dropped before the commit (the ceiling: the event is still built in
// memory, its row is not written); and a consumer reading the log from its checkpoint, each event
// in a transaction that advances the checkpoint (handler: a no-op, so the figure is the log's own
// cost). SQLite file in WAL by default; --pg=URL (or HOUQIN_TEST_PG_URL with --backend=postgresql)
// runs the same on PostgreSQL, and then also the latency from a commit in this process to the
// reaction of a host in another (a ping event reacted to with a pong event, --pings of them),
// beside a bare LISTEN/NOTIFY round trip between the same two processes.
//   events_bench [--events=N] [--pings=N] [--backend=sqlite|postgresql] [--pg=URL]
//                [google benchmark flags]
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <houqin/host/waker.hpp>
#include <houqin/houqin.hpp>
#include <thread>

#include "ratio.hpp"

extern char** environ;

namespace {

using namespace houqin;

std::int64_t g_events = 20000;
std::int64_t g_pings = 300;
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

// Each iteration also runs the other variant, untimed, so that both benchmarks see the same
// mix of work and the same moments of the machine: a PostgreSQL round trip here wanders by more
// than the difference measured, and two benchmarks run one after the other would compare noise.
void transitions(benchmark::State& state, bool log) {
  Bench b;
  for (auto _ : state) {
    state.PauseTiming();
    b.hold_and_resume(!log);
    state.ResumeTiming();
    b.hold_and_resume(log);
  }
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

// ---- commit-to-reaction across processes (PostgreSQL) --------------------------------------

/// CLOCK_MONOTONIC in nanoseconds: one clock for every process on the machine.
std::int64_t mono_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

}  // namespace

/// The ping this process commits and the pong the other process's host commits in reaction,
/// with the time its handler ran.
struct BenchPing {
  static constexpr std::string_view aggregate = "houqin_event";
  Id aggregate_id() const { return n; }
  Id n = 0;
};
struct BenchPong {
  static constexpr std::string_view aggregate = "houqin_event";
  Id aggregate_id() const { return n; }
  Id n = 0;
  std::int64_t handled_ns = 0;  // CLOCK_MONOTONIC when the reaction ran
};
BOOST_DESCRIBE_STRUCT(BenchPing, (), (n))
BOOST_DESCRIBE_STRUCT(BenchPong, (), (n, handled_ns))

namespace {

/// The other process: a host whose consumer answers every ping with a pong, until killed.
int run_reactor(const std::string& url) {
  auto s = store::Store::open(url);
  host::HostOptions o;
  o.event_retention = std::chrono::hours(0);
  host::Host h(*s, o);
  host::Consumer c("reactor");
  c.on<BenchPing>([](host::Delivery& d, const BenchPing& p) {
    d.store.events().publish(BenchPong{p.n, mono_ns()});
  });
  h.add(std::move(c));
  h.start();
  std::printf("ready\n");
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::minutes(5));  // killed long before
  return 0;
}

/// The other process, bare: LISTEN bench_ping, answer each with NOTIFY bench_pong.
int run_bare(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) return 1;
  PQclear(PQexec(c, "LISTEN bench_ping"));
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) {
    // Drain before sleeping: PQexec may have read a ping that arrived while it waited.
    PQconsumeInput(c);
    int pings = 0;
    while (PGnotify* n = PQnotifies(c)) {
      PQfreemem(n);
      ++pings;
    }
    for (int i = 0; i < pings; ++i) PQclear(PQexec(c, "NOTIFY bench_pong"));
    if (pings == 0) {
      pollfd p{PQsocket(c), POLLIN, 0};
      ::poll(&p, 1, 1000);
    }
  }
}

/// This program again, as the other process; waits for its "ready".
struct Peer {
  pid_t pid = -1;
  Peer(const std::string& mode, const std::string& url) {
    int fds[2];
    if (::pipe(fds) != 0) fail(ErrorCode::internal, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::string arg = "--peer=" + mode, pg = "--pg=" + url;
    char* argv[] = {self.data(), arg.data(), pg.data(), nullptr};
    if (posix_spawn(&pid, self.c_str(), &fa, nullptr, argv, environ) != 0)
      fail(ErrorCode::internal, "cannot start the peer process");
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    char buf[16] = {};
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 20000) <= 0 || ::read(fds[0], buf, sizeof buf) <= 0)
      fail(ErrorCode::unavailable, "the peer process did not start");
    ::close(fds[0]);
  }
  ~Peer() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

/// Ping-pong through the event log with a host in another process: per ping, the time from this
/// process's commit returning to the other's handler running (commit-to-reaction) and the round
/// trip until this process has read the pong.
void BM_CrossProcessReaction(benchmark::State& state) {
  Bench b;  // a fresh schema, migrated
  std::vector<double> reaction_ms, round_ms;
  {
    const std::string schema_url = g_pg_url +
                                   (g_pg_url.find('?') == std::string::npos ? "?" : "&") +
                                   "options=-csearch_path%3D" + b.schema;
    Peer peer("reactor", schema_url);
    auto watch = store::Store::open(schema_url);
    host::Waker waker(*watch);
    std::int64_t after = store::last_event_seq(*watch);
    Id n = 0;
    for (auto _ : state) {
      ++n;
      b.store->events().publish(BenchPing{n});  // its own transaction, NOTIFY at commit
      const auto committed = mono_ns();
      bool got = false;
      while (!got) {
        waker.wait(std::chrono::milliseconds(200));
        for (const auto& e : store::read_events(*watch, after, 64)) {
          after = e.id;
          if (e.type != json::schema_name<BenchPong>()) continue;
          auto pong = json::from_json<BenchPong>(e.payload, "pong");
          if (pong.n != n) continue;
          round_ms.push_back(static_cast<double>(mono_ns() - committed) / 1e6);
          reaction_ms.push_back(static_cast<double>(pong.handled_ns - committed) / 1e6);
          got = true;
        }
      }
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["reaction_p50_ms"] = percentile(reaction_ms, 0.5);
  state.counters["reaction_p99_ms"] = percentile(reaction_ms, 0.99);
  state.counters["round_trip_p50_ms"] = percentile(round_ms, 0.5);
  std::printf(
      "commit-to-reaction across processes: p50 %.2f ms, p99 %.2f ms (targets <= 5, <= 50); "
      "round trip p50 %.2f ms\n",
      percentile(reaction_ms, 0.5), percentile(reaction_ms, 0.99), percentile(round_ms, 0.5));
}

/// The same two processes with bare LISTEN/NOTIFY: the floor under the round trip.
void BM_CeilingNotifyRoundTrip(benchmark::State& state) {
  Peer peer("bare", g_pg_url);
  PGconn* c = PQconnectdb(g_pg_url.c_str());
  PQclear(PQexec(c, "LISTEN bench_pong"));
  std::vector<double> round_ms;
  for (auto _ : state) {
    const auto t0 = mono_ns();
    PQclear(PQexec(c, "NOTIFY bench_ping"));
    for (bool got = false; !got;) {
      PQconsumeInput(c);
      while (PGnotify* n = PQnotifies(c)) {
        PQfreemem(n);
        got = true;
      }
      if (!got) {
        pollfd p{PQsocket(c), POLLIN, 0};
        ::poll(&p, 1, 1000);
      }
    }
    round_ms.push_back(static_cast<double>(mono_ns() - t0) / 1e6);
  }
  PQfinish(c);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["round_trip_p50_ms"] = percentile(round_ms, 0.5);
  std::printf("bare LISTEN/NOTIFY round trip: p50 %.2f ms, p99 %.2f ms\n",
              percentile(round_ms, 0.5), percentile(round_ms, 0.99));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  std::string peer;
  if (const char* url = std::getenv("HOUQIN_TEST_PG_URL")) g_pg_url = url;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--events=", 9) == 0)
      g_events = std::stoll(argv[i] + 9);
    else if (std::strncmp(argv[i], "--pings=", 8) == 0)
      g_pings = std::stoll(argv[i] + 8);
    else if (std::strncmp(argv[i], "--peer=", 7) == 0)
      peer = argv[i] + 7;
    else if (std::strncmp(argv[i], "--backend=", 10) == 0)
      g_backend = argv[i] + 10;
    else if (std::strncmp(argv[i], "--pg=", 5) == 0) {
      g_pg_url = argv[i] + 5;
      g_backend = "postgresql";
    } else
      args.push_back(argv[i]);
  }
  if (peer == "reactor") return run_reactor(g_pg_url);
  if (peer == "bare") return run_bare(g_pg_url);
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
  if (g_backend == "postgresql") {
    benchmark::RegisterBenchmark("BM_CrossProcessReaction", BM_CrossProcessReaction)
        ->UseRealTime()
        ->Iterations(g_pings);
    benchmark::RegisterBenchmark("BM_CeilingNotifyRoundTrip", BM_CeilingNotifyRoundTrip)
        ->UseRealTime()
        ->Iterations(g_pings);
  }
  houqin::bench::RatioReporter reporter;
  std::printf("backend: %s, %lld events for the consumer\n", g_backend.c_str(),
              static_cast<long long>(g_events));
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratio("BM_TransitionWithDurableEvent", "BM_CeilingTransitionWithoutEvent",
                       ">= 0.85");
  reporter.print_ratio("BM_CrossProcessReaction", "BM_CeilingNotifyRoundTrip",
                       "none: the bare round trip is the floor");
  if (reporter.items_per_second.count("BM_ConsumerThroughput"))
    std::printf("consumer throughput %.0f events/s (target >= %s)\n",
                reporter.items_per_second["BM_ConsumerThroughput"],
                g_backend == "postgresql" ? "20000" : "50000");
  benchmark::Shutdown();
  return 0;
}
