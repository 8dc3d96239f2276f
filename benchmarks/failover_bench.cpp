// PostgreSQL failover under Patroni (docs/reliability.md): a two-node Patroni cluster with etcd on
// loopback, synchronous mode. Two writers run at once: houqin (repair.report through the registry
// on a store opened with both hosts in its URL) and the peer, a bare libpq client that reconnects
// with the same URL and inserts a row in a loop with no pause but 20 ms after a failure. The
// primary is then lost, and each writer's time from the kill to its first acknowledged write after
// it is measured in the same failover:
//   BM_FailoverServerCrash: SIGKILL to the primary's PostgreSQL (its Patroni lives on);
//   BM_FailoverNodeLoss:    SIGKILL to the primary's Patroni and PostgreSQL (the machine is gone).
// Reported: houqin_s (target <= 15 s), peer_s, the ratio peer_s / houqin_s (what houqin adds to
// the failover itself; 1 is nothing), and lost = acknowledged writes missing afterwards (must be
// 0, for both writers).
//   failover_bench [--scenario=crash|node|both] [--ttl=S (Patroni's ttl, default 10)]
//                  [google benchmark flags]
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <houqin/houqin.hpp>
#include <houqin/service/registry.hpp>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "../tests/support/patroni.hpp"
#include "ratio.hpp"

namespace {

using namespace houqin;
using Clock = std::chrono::steady_clock;

int g_ttl = 10;  // Patroni's ttl (s): the bound on noticing a lost node

/// A writer's acknowledged writes: when each was started and acknowledged.
struct Acks {
  struct Write {
    Clock::time_point started, acknowledged;
    std::int64_t id;
  };
  std::mutex mutex;
  std::vector<Write> writes;
  void add(Clock::time_point started, std::int64_t id) {
    std::lock_guard lock(mutex);
    writes.push_back({started, Clock::now(), id});
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return writes.size();
  }
  /// Seconds from `t` to the acknowledgement of the first write started after it (a write in
  /// flight at `t` may have committed before it); -1 when none was.
  double first_after(Clock::time_point t) {
    std::lock_guard lock(mutex);
    for (const auto& w : writes)
      if (w.started > t) return std::chrono::duration<double>(w.acknowledged - t).count();
    return -1;
  }
};

/// The peer: plain libpq, one INSERT per round trip, reconnecting through the same URL.
void peer_writer(const std::string& url, std::atomic<bool>& stop, Acks& acks) {
  PGconn* c = nullptr;
  for (std::int64_t n = 1; !stop;) {
    if (!c || PQstatus(c) != CONNECTION_OK) {
      if (c) PQfinish(c);
      c = PQconnectdb(url.c_str());
      if (PQstatus(c) != CONNECTION_OK) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
    }
    auto sql = "INSERT INTO failover_peer (n) VALUES (" + std::to_string(n) + ")";
    const auto started = Clock::now();
    PGresult* r = PQexec(c, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (ok) acks.add(started, n);
    ++n;  // a failed INSERT may still have committed (its reply lost): never reuse its key
    if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (c) PQfinish(c);
}

void run_failover(benchmark::State& state, bool lose_node) {
  for (auto _ : state) {
    testing::PatroniCluster cluster(2, g_ttl);
    const int leader = cluster.leader();
    if (leader < 0) {
      state.SkipWithError("no leader");
      return;
    }
    store::StoreOptions o;
    auto keys = std::make_shared<protect::Keyring>();
    keys->add("bench", std::string(32, '\x11'));
    o.keys = keys;
    o.failover_wait = std::chrono::seconds(90);
    auto s = store::Store::open(cluster.url(), o);
    auto m = houqin::migrations();
    store::migrate(*s, m);
    s->execute("CREATE TABLE failover_peer (n BIGINT PRIMARY KEY)");
    Id room = 0;
    store::in_transaction(*s, [&] {
      using store::Repository;
      site::Campus c{0, 0, "C", "Campus", ""};
      Repository<site::Campus>(*s).insert(c);
      site::Department d{0, 0, "W", "Ward", site::DepartmentKind::clinical, {}, {}, true};
      Repository<site::Department>(*s).insert(d);
      site::Building b{0, 0, c.id, "B", "B", 1, 0};
      Repository<site::Building>(*s).insert(b);
      site::Floor f{0, 0, b.id, 1, "B-1", "F"};
      Repository<site::Floor>(*s).insert(f);
      site::Room r{0, 0, f.id, "B-1-1", "R", site::RoomType::ward, d.id, 0, std::nullopt};
      room = Repository<site::Room>(*s).insert(r);
    });
    const auto desk = auth::Actor::service("bench", {"repair.report"});

    Acks ours, peers;
    std::atomic<bool> stop{false};
    std::atomic<int> escaped{0};  // errors that reached the caller (a commit cut off in flight)
    std::thread houqin_writer([&] {
      for (int i = 0; !stop; ++i) {
        const auto started = Clock::now();
        try {
          auto out = service::call(*s, desk, "repair.report",
                                   {{"room_id", room}, {"description", "w" + std::to_string(i)}});
          ours.add(started, out.at("id").get<Id>());
        } catch (const Error&) {
          ++escaped;
        }
      }
    });
    std::thread peer([&] { peer_writer(cluster.url(), stop, peers); });
    auto wait_for = [&](auto done, std::chrono::seconds limit) {
      auto deadline = Clock::now() + limit;
      while (!done() && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return done();
    };
    wait_for([&] { return ours.size() >= 20 && peers.size() >= 20; }, std::chrono::seconds(30));
    if (lose_node)
      cluster.lose_node(leader);
    else
      cluster.crash_postgres(leader);
    const auto killed = Clock::now();  // every process of the primary is gone now
    const bool recovered =
        wait_for([&] { return ours.first_after(killed) >= 0 && peers.first_after(killed) >= 0; },
                 std::chrono::seconds(90));
    stop = true;
    houqin_writer.join();
    peer.join();
    if (!recovered) {
      state.SkipWithError("a writer did not write again within 90 s of the kill");
      return;
    }
    const double houqin_s = ours.first_after(killed), peer_s = peers.first_after(killed);
    state.SetIterationTime(houqin_s);
    state.SetItemsProcessed(1);  // so that the reporter keeps the counters

    // Every acknowledged write is on the new primary.
    std::int64_t lost = 0;
    for (const auto& w : ours.writes)
      if (!store::Repository<repair::WorkOrder>(*s).get(w.id)) ++lost;
    // The peer's acknowledged keys, against every key on the new primary (one query).
    std::set<std::int64_t> stored;
    std::istringstream rows(
        testing::psql_value(cluster.pg_port(cluster.leader()), "SELECT n FROM failover_peer"));
    for (std::int64_t n = 0; rows >> n;) stored.insert(n);
    for (const auto& w : peers.writes)
      if (!stored.count(w.id)) ++lost;
    state.counters["houqin_s"] = houqin_s;
    state.counters["peer_s"] = peer_s;
    state.counters["ratio"] = peer_s / houqin_s;
    state.counters["lost"] = static_cast<double>(lost);
    state.counters["acknowledged"] = static_cast<double>(ours.writes.size() + peers.writes.size());
    state.counters["escaped"] = escaped.load();
  }
}

void run_or_report(benchmark::State& state, bool lose_node) {
  try {
    run_failover(state, lose_node);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
void BM_FailoverServerCrash(benchmark::State& state) {
  run_or_report(state, false);
}
void BM_FailoverNodeLoss(benchmark::State& state) {
  run_or_report(state, true);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  std::string scenario = "both";
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--scenario=", 11) == 0)
      scenario = argv[i] + 11;
    else if (std::strncmp(argv[i], "--ttl=", 6) == 0)
      g_ttl = std::atoi(argv[i] + 6);
    else
      args.push_back(argv[i]);
  }
  if (!testing::PatroniCluster::available()) {
    std::fprintf(stderr, "failover_bench: patroni, etcd or PostgreSQL 15 is missing\n");
    return 1;
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (scenario == "crash" || scenario == "both")
    benchmark::RegisterBenchmark("BM_FailoverServerCrash", BM_FailoverServerCrash)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  if (scenario == "node" || scenario == "both")
    benchmark::RegisterBenchmark("BM_FailoverNodeLoss", BM_FailoverNodeLoss)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
  houqin::bench::RatioReporter reporter;
  std::printf("Patroni ttl %d s, loop_wait 1 s, primary_start_timeout 0, synchronous_mode\n",
              g_ttl);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  int status = 0;
  for (const auto& [name, c] : reporter.counters) {
    auto get = [&](const char* k) { return c.count(k) ? static_cast<double>(c.at(k)) : -1.0; };
    std::printf(
        "%s: kill to first write houqin %.2f s (target <= 15 s), peer %.2f s, ratio "
        "peer / houqin = %.3f, lost %.0f of %.0f acknowledged\n",
        name.c_str(), get("houqin_s"), get("peer_s"), get("ratio"), get("lost"),
        get("acknowledged"));
    if (get("lost") != 0) status = 2;
  }
  benchmark::Shutdown();
  return status;
}
