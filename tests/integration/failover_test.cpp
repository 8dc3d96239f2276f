// PostgreSQL failover (docs/reliability.md): a primary with a synchronous standby on loopback, the
// primary killed with SIGKILL in the middle of the work, the standby promoted. A store opened with
// both hosts in its URL reports the loss as Error(unavailable), reconnects to the new primary on
// its own, and finds every write it had acknowledged there; registry calls made during the
// failover are retried and succeed once the standby takes writes; a host's consumers resume from
// their checkpoints, each event handled once.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <tuple>
#include <utility>

#include "../support/patroni.hpp"
#include "../support/pg_pair.hpp"
#include "../unit/repair/fixture.hpp"
#include "houqin/emergency/emergency.hpp"
#include "houqin/host/availability.hpp"
#include "houqin/host/host.hpp"
#include "houqin/platform.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/event_log.hpp"
#include "houqin/telemetry/storage.hpp"

namespace houqin {
namespace {

using namespace std::chrono_literals;
using store::Repository;

/// The error `f` throws (code and message); fails the test when it throws none.
template <class F>
std::pair<ErrorCode, std::string> error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  ADD_FAILURE() << "no error";
  return {ErrorCode::ok, ""};
}

class FailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::PgPair::available()) {
      if (std::getenv("HOUQIN_REQUIRE_PG")) FAIL() << "PostgreSQL 15 server programs are missing";
      GTEST_SKIP() << "PostgreSQL 15 server programs are missing";
    }
    pair = std::make_unique<testing::PgPair>();
    s = open();
    auto m = houqin::migrations();
    store::migrate(*s, m);
    site.build(*s);
  }
  std::unique_ptr<store::Store> open(std::chrono::milliseconds failover_wait = 30s) {
    store::StoreOptions o;
    o.keys = testing::test_keyring();
    o.failover_wait = failover_wait;
    return store::Store::open(pair->url(), o);
  }
  /// repair.report through the registry, as every binding calls it.
  Id report(store::Store& st, const std::string& text) {
    auto out = service::call(st, desk, "repair.report",
                             {{"room_id", site.room_a101}, {"description", text}});
    return out.at("id").get<Id>();
  }

  std::unique_ptr<testing::PgPair> pair;
  std::unique_ptr<store::Store> s;
  testing::RepairSite site;
  auth::Actor desk = auth::Actor::service("desk", {"repair.report"});
};

TEST_F(FailoverTest, NothingAcknowledgedIsLostAndTheStoreFindsTheNewPrimaryByItself) {
  std::vector<Id> acknowledged;
  for (int i = 0; i < 50; ++i) acknowledged.push_back(report(*s, "light " + std::to_string(i)));
  const auto last_seq = store::last_event_seq(*s);
  ASSERT_GT(last_seq, 0);

  // A transaction open when the primary goes: its next statement fails as unavailable, and
  // what it wrote is gone with it.
  std::optional<store::Transaction> tx;
  tx.emplace(*s);
  repair::WorkOrder doomed = Repository<repair::WorkOrder>(*s).require(acknowledged.front());
  doomed.description = "never committed";
  Repository<repair::WorkOrder>(*s).update(doomed);
  pair->kill_primary();
  const auto killed = std::chrono::steady_clock::now();
  // A registry call inside the caller's transaction is not retried: that transaction is gone,
  // and only its owner can run it again.
  auto [code, what] = error_of([&] { (void)report(*s, "inside the open transaction"); });
  EXPECT_EQ(code, ErrorCode::unavailable) << what;
  EXPECT_LT(std::chrono::steady_clock::now() - killed, 5s) << "retried inside a transaction";
  std::tie(code, what) =
      error_of([&] { (void)Repository<repair::WorkOrder>(*s).get(acknowledged.back()); });
  EXPECT_EQ(code, ErrorCode::unavailable) << what;
  EXPECT_NE(what.find("lost"), std::string::npos) << what;
  tx.reset();  // the rollback of a transaction the server has dropped is quiet
  EXPECT_EQ(s->transaction_depth(), 0);
  EXPECT_TRUE(s->connection_lost());

  // No server takes writes until the standby is promoted: unavailable, naming the URL.
  std::tie(code, what) = error_of([&] { s->begin(); });
  EXPECT_EQ(code, ErrorCode::unavailable) << what;
  EXPECT_NE(what.find("reconnecting"), std::string::npos) << what;
  EXPECT_EQ(s->transaction_depth(), 0);

  pair->promote_standby();
  // The first write after the promotion: the store reconnects on its own.
  Id after = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (after == 0 && std::chrono::steady_clock::now() < deadline) {
    try {
      after = report(*s, "after the failover");
    } catch (const Error& e) {
      ASSERT_EQ(e.code(), ErrorCode::unavailable) << e.what();
      std::this_thread::sleep_for(50ms);
    }
  }
  ASSERT_NE(after, 0);
  const auto downtime = std::chrono::steady_clock::now() - killed;
  RecordProperty(
      "kill_to_first_write_ms",
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(downtime).count()));
  EXPECT_GE(s->connection_generation(), 1u);
  EXPECT_FALSE(s->connection_lost());

  // Every acknowledged order and event is on the new primary; the uncommitted change is not.
  for (Id id : acknowledged) EXPECT_TRUE(Repository<repair::WorkOrder>(*s).get(id)) << id;
  EXPECT_NE(Repository<repair::WorkOrder>(*s).require(acknowledged.front()).description,
            "never committed");
  EXPECT_GT(store::last_event_seq(*s), last_seq);
  EXPECT_EQ(pair->query(pair->standby_port, "SELECT pg_is_in_recovery()"), "f");
}

TEST_F(FailoverTest, ARegistryCallMadeDuringTheFailoverIsRetriedUntilTheNewPrimaryTakesIt) {
  (void)report(*s, "before");
  const auto before = Repository<repair::WorkOrder>(*s).count();
  pair->kill_primary();
  // The call starts while no server takes writes; the standby is promoted a second later.
  auto call = std::async(std::launch::async, [&] { return report(*s, "during the failover"); });
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(call.wait_for(0s), std::future_status::timeout) << "the call gave up at once";
  pair->promote_standby();
  ASSERT_EQ(call.wait_for(30s), std::future_status::ready);
  const Id id = call.get();
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).require(id).description, "during the failover");
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).count(), before + 1);  // once, not once per try
}

TEST_F(FailoverTest, WithoutAFailoverWaitTheLossReachesTheCallerAndTheNextCallReconnects) {
  auto quick = open(0ms);
  (void)report(*quick, "before");
  pair->kill_primary();
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(error_of([&] { (void)report(*quick, "no wait"); }).first, ErrorCode::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  pair->promote_standby();
  // A store that was idle through the failover: its first call finds the connection dead, and
  // the retry, which reconnects, stores the order once. The failed try left only the audit
  // note of its failure, which does not stop the retry.
  const auto generation = s->connection_generation();
  const Id id = report(*s, "reconnected");
  EXPECT_EQ(s->connection_generation(), generation + 1);
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).require(id).description, "reconnected");
  (void)report(*quick, "again");  // quick reconnects at its next call too
  EXPECT_EQ(Repository<repair::WorkOrder>(*s).count(), 3);
}

TEST_F(FailoverTest, AHostsConsumersResumeFromTheirCheckpointsOnTheNewPrimary) {
  // The wiring's consumer tells the technicians of new work; a failover in between must neither
  // lose nor repeat a reaction.
  auto host_store = open();
  HostConfig config;
  config.host.holder = "failover-test";
  config.host.idle = 200ms;
  auto h = houqin::make_host(*host_store, config);
  h->start();
  const Id first = report(*s, "first");
  auto eventually = [&](auto done) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!done() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(50ms);
    return done();
  };
  auto checkpoint = [&] {  // the wiring consumer's position in the log
    for (const auto& c : h->status().consumers)
      if (c.name == "wiring") return c.position;
    return std::int64_t{0};
  };
  ASSERT_TRUE(eventually([&] { return checkpoint() >= store::last_event_seq(*s); }));
  const auto seen = checkpoint();

  pair->kill_primary();
  std::this_thread::sleep_for(500ms);
  pair->promote_standby();
  const Id second = report(*s, "second");
  ASSERT_TRUE(eventually([&] { return checkpoint() >= store::last_event_seq(*s); }))
      << "the host did not catch up after the failover";
  EXPECT_GT(checkpoint(), seen);
  h->stop();
  EXPECT_GE(host_store->connection_generation(), 1u);
  EXPECT_NE(first, second);
}

TEST_F(FailoverTest, TheAvailabilityLedgerRecordsTheDatabasesDowntimeThroughTheFailover) {
  host::Monitor monitor(*s);
  ASSERT_TRUE(monitor.tick());  // up, written
  pair->kill_primary();
  EXPECT_FALSE(monitor.tick());  // down: kept in memory, since there is no database to write to
  EXPECT_GT(monitor.pending(), 0u);
  pair->promote_standby();
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(monitor.tick());  // up again on the new primary: everything written
  EXPECT_EQ(monitor.pending(), 0u);
  auto stretches = Repository<host::Uptime>(*s).find(
      store::Query<host::Uptime>().where(&host::Uptime::component, store::Op::eq, "database"));
  ASSERT_EQ(stretches.size(), 3u);
  std::sort(stretches.begin(), stretches.end(),
            [](const auto& a, const auto& b) { return a.started_at < b.started_at; });
  EXPECT_TRUE(stretches[0].up);
  EXPECT_FALSE(stretches[1].up);
  EXPECT_NE(stretches[1].reason, "");
  EXPECT_TRUE(stretches[2].up);
  auto incidents = Repository<host::ServiceIncident>(*s).find();
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].component, "database");
  EXPECT_TRUE(incidents[0].recovered_at);
}

/// The two telemetry tests' data: points 1..n at 1 s from t0, a sample store with a log in `wal`.
constexpr telemetry::Micros telemetry_t0 = 1'767'225'600'000'000, telemetry_second = 1'000'000;

std::vector<telemetry::Sample> telemetry_batch(Id n, std::int64_t from, std::int64_t to) {
  std::vector<telemetry::Sample> out;
  for (std::int64_t k = from; k < to; ++k)
    for (Id p = 1; p <= n; ++p)
      out.push_back({p, telemetry_t0 + k * telemetry_second,
                     100.0 * static_cast<double>(p) + static_cast<double>(k % 17) / 4,
                     telemetry::quality_good, telemetry::Flag::pass});
  return out;
}

std::vector<telemetry::PointStorage> telemetry_points(Id n) {
  std::vector<telemetry::PointStorage> out;
  for (Id p = 1; p <= n; ++p) out.push_back({p, 0.01, "gas"});
  return out;
}

telemetry::SampleStoreOptions telemetry_options(const std::filesystem::path& wal,
                                                std::size_t write_batch_bytes) {
  std::filesystem::remove_all(wal);
  telemetry::SampleStoreOptions o;
  o.wal_dir = wal;
  o.max_block_bytes = 64;
  o.write_batch_bytes = write_batch_bytes;
  return o;
}

TEST_F(FailoverTest, TelemetryGoesOnAcceptingIntoItsLogAndWritesItAllToTheNewPrimary) {
  // houqin::migrations() includes the telemetry storage tables.
  const auto wal = std::filesystem::temp_directory_path() /
                   ("houqin-failover-wal-" + std::to_string(::getpid()));
  const auto o = telemetry_options(wal, 1 << 9);  // a few sealed blocks of the 4 points
  const auto t0 = telemetry_t0, second = telemetry_second;
  auto batch = [](std::int64_t from, std::int64_t to) { return telemetry_batch(4, from, to); };
  const auto points = telemetry_points(4);
  {
    telemetry::SampleStore ss(*s, points, o);
    std::int64_t k = 0;
    for (; k < 300; k += 100) ss.append(batch(k, k + 100));
    EXPECT_GT(ss.stats().blocks_written, 0u);
    pair->kill_primary();
    for (; k < 1200; k += 100) ss.append(batch(k, k + 100));  // accepted: into the log
    const auto down = ss.stats();
    EXPECT_GE(down.write_failures, 1u);
    EXPECT_GT(down.pending_bytes, o.write_batch_bytes);
    pair->promote_standby();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the first pause
    ss.append(batch(k, k + 100));
    k += 100;
    EXPECT_GT(ss.stats().blocks_written, down.blocks_written);  // the waiting blocks went out
    ss.flush();
    for (Id p = 1; p <= 4; ++p) {
      auto got = ss.query(p, t0, t0 + 10'000 * second);
      ASSERT_EQ(got.size(), static_cast<std::size_t>(k)) << "point " << p;
    }
  }
  // A store opened afresh on the new primary finds every sample there.
  telemetry::SampleStore again(*s, points, o);
  EXPECT_EQ(again.query(3, t0, t0 + 10'000 * second).size(), 1300u);
  std::filesystem::remove_all(wal);
}

TEST_F(FailoverTest, ACopyCutByAServerCrashIsWrittenOnceAfterTheRestart) {
  // The server crashes while the sample store is in the middle of COPY telemetry_block, and comes
  // back on its own data (crash recovery, no failover). A trigger that sleeps a little per row
  // keeps the COPY running long enough to be caught in pg_stat_activity.
  using telemetry::Sample;
  const auto wal = std::filesystem::temp_directory_path() /
                   ("houqin-copy-crash-wal-" + std::to_string(::getpid()));
  constexpr Id n = 50;
  const auto o = telemetry_options(wal, 8 << 10);
  const auto t0 = telemetry_t0, second = telemetry_second;
  auto batch = [](std::int64_t from, std::int64_t to) { return telemetry_batch(n, from, to); };
  const auto points = telemetry_points(n);
  s->execute(
      "CREATE FUNCTION houqin_test_slow_row() RETURNS trigger LANGUAGE plpgsql AS "
      "$$ BEGIN PERFORM pg_sleep(0.005); RETURN NEW; END $$");
  s->execute(
      "CREATE TRIGGER houqin_test_slow_row BEFORE INSERT ON telemetry_block FOR EACH ROW "
      "EXECUTE FUNCTION houqin_test_slow_row()");

  std::atomic<bool> caught{false};
  std::thread crash([&] {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pair->query(pair->primary_port,
                      "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query "
                      "LIKE 'COPY telemetry_block%'") == "1") {
        caught = true;
        pair->restart_primary();
        return;
      }
      std::this_thread::sleep_for(5ms);
    }
  });
  std::int64_t k = 0;
  {
    telemetry::SampleStore ss(*s, points, o);
    // Accepted all along: into the log, whatever the database does meanwhile. An append that
    // writes blocks takes a while (the trigger); the crash comes during one of them.
    for (; !caught && k < 20000; k += 20) ss.append(batch(k, k + 20));
    for (int more = 0; more < 10; ++more, k += 20) ss.append(batch(k, k + 20));
    crash.join();
    ASSERT_TRUE(caught) << "no COPY was seen running";
    const auto down = ss.stats();
    EXPECT_GE(down.write_failures, 1u);
    s->execute("DROP TRIGGER houqin_test_slow_row ON telemetry_block");
    std::this_thread::sleep_for(300ms);  // past the first pause
    ss.append(batch(k, k + 20));
    k += 20;
    ss.flush();
    EXPECT_GT(ss.stats().blocks_written, down.blocks_written);
  }
  // Each sample once: the cut COPY left nothing behind, and it was written again whole.
  for (Id p : {Id{1}, Id{25}, n}) {
    auto where = " WHERE point_id = " + std::to_string(p);
    EXPECT_EQ(pair->query(pair->primary_port, "SELECT SUM(count) FROM telemetry_block" + where),
              std::to_string(k))
        << "point " << p;
  }
  telemetry::SampleStore again(*s, points, o);
  for (Id p = 1; p <= n; ++p) {
    auto got = again.query(p, t0, t0 + 1'000'000 * second);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(k)) << "point " << p;
    for (std::int64_t i = 0; i < k; ++i)
      ASSERT_EQ(got.times[static_cast<std::size_t>(i)], t0 + i * second) << "point " << p;
    // the rollups too: the cut write's hours were not counted twice
    const telemetry::Micros week = 7 * 24 * 3600 * second;
    auto r = again.rollups(p, t0, t0 + week, week);
    ASSERT_EQ(r.size(), 1u) << "point " << p;
    EXPECT_EQ(r[0].count, k) << "point " << p;
  }
  std::filesystem::remove_all(wal);
}

emergency::PlanInput system_failure_plan() {
  emergency::PlanInput in;
  in.code = "SYSTEM-FAILURE";
  in.scenario = emergency::Scenario::system_failure;
  in.title = "信息系统故障应急预案";
  in.scope = "后勤平台数据库";
  in.steps = {{"确认主库故障", "信息科", 0}, {"确认备库已提升并可写", "信息科", 5}};
  return in;
}

TEST_F(FailoverTest, AFailoverDrillMeasuresTheDowntimeChecksTheWritesAndRecordsIt) {
  const auto office = auth::Actor::service("office", {"emergency.manage", "emergency.read"});
  emergency::Emergency(*s).save_plan(office, system_failure_plan());
  // The drill's trigger: the primary is lost, and the standby is promoted a second later.
  auto d = houqin::failover_drill(*s, office, {"SYSTEM-FAILURE", 30, 15, 50}, [&] {
    pair->kill_primary();
    std::this_thread::sleep_for(1s);
    pair->promote_standby();
  });
  EXPECT_EQ(d.kind, emergency::DrillKind::technical);
  EXPECT_EQ(d.status, emergency::DrillStatus::done);
  ASSERT_TRUE(d.recovery_seconds);
  EXPECT_GE(*d.recovery_seconds, 0.9);  // writes were refused until the promotion
  EXPECT_LT(*d.recovery_seconds, 30.0);
  EXPECT_NE(d.outcome.find("failed over: writes were refused for"), std::string::npos) << d.outcome;
  EXPECT_NE(d.outcome.find("no acknowledged write lost"), std::string::npos) << d.outcome;
  EXPECT_EQ(d.evaluation, "passed") << ::testing::PrintToString(d.findings);
  ASSERT_GE(d.timeline.size(), 5u);
  EXPECT_NE(d.timeline[1].what.find("trigger"), std::string::npos) << d.timeline[1].what;
  EXPECT_NE(d.timeline[2].what.find("首次写入失败"), std::string::npos) << d.timeline[2].what;
  EXPECT_NE(d.timeline[3].what.find("新主库首次写入成功"), std::string::npos) << d.timeline[3].what;
  for (std::size_t i = 1; i < d.timeline.size(); ++i)  // each at its own moment, in order
    EXPECT_LE(d.timeline[i - 1].at, d.timeline[i].at) << i;
  EXPECT_GE(d.timeline[3].at - d.timeline[2].at, std::chrono::milliseconds(900));
  // The record is on the new primary, where the next reader finds it.
  EXPECT_EQ(Repository<emergency::Drill>(*s).require(d.id).outcome, d.outcome);
}

TEST(FailoverDrillTest, ItNeedsPostgresqlAndSaneBoundsAndChangesNothingWhenRefused) {
  store::StoreOptions o;
  o.keys = testing::test_keyring();
  auto s = store::Store::open("sqlite::memory:", o);
  auto m = houqin::migrations();
  store::migrate(*s, m);
  const auto office = auth::Actor::service("office", {"emergency.manage"});
  try {
    houqin::failover_drill(*s, office, {"SYSTEM-FAILURE", 30, 15, 50});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::failed_precondition) << e.what();
    EXPECT_NE(std::string(e.what()).find("needs PostgreSQL"), std::string::npos) << e.what();
  }
  try {
    houqin::failover_drill(*s, office, {"SYSTEM-FAILURE", 5, 15, 50});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
    EXPECT_EQ(std::string(e.what()), "watch_seconds: 5 is outside 10..600");
  }
  try {
    houqin::failover_drill(*s, auth::Actor::service("nobody", {}), {"SYSTEM-FAILURE", 30, 15, 50});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::permission_denied) << e.what();
  }
  EXPECT_EQ(Repository<emergency::Drill>(*s).count(), 0);
}

// With Patroni deciding: a writer keeps reporting through the registry while the primary's server
// crashes; Patroni promotes the synchronous standby, the writer's calls are retried onto it, and
// every order it was told was stored is there. (How long it takes is measured by
// benchmarks/failover_bench, not here.)
TEST(PatroniFailoverTest, AWriterKeepsGoingThroughAnAutomaticFailoverAndLosesNothing) {
  if (!testing::PatroniCluster::available()) {
    if (std::getenv("HOUQIN_REQUIRE_PG")) FAIL() << "patroni, etcd or PostgreSQL 15 is missing";
    GTEST_SKIP() << "patroni, etcd or PostgreSQL 15 is missing";
  }
  testing::PatroniCluster cluster;
  const int first_leader = cluster.leader();
  ASSERT_GE(first_leader, 0);
  store::StoreOptions o;
  o.keys = testing::test_keyring();
  o.failover_wait = 60s;
  auto s = store::Store::open(cluster.url(), o);
  auto m = houqin::migrations();
  store::migrate(*s, m);
  testing::RepairSite site;
  site.build(*s);
  const auto desk = auth::Actor::service("desk", {"repair.report"});

  std::mutex mutex;
  std::vector<Id> acknowledged;
  std::vector<std::string> unknown;  // commits cut off in flight: may or may not be there
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      try {
        auto out =
            service::call(*s, desk, "repair.report",
                          {{"room_id", site.room_a101}, {"description", "w" + std::to_string(i)}});
        std::lock_guard lock(mutex);
        acknowledged.push_back(out.at("id").get<Id>());
      } catch (const Error& e) {
        std::lock_guard lock(mutex);
        unknown.push_back(e.what());
        std::this_thread::sleep_for(100ms);
      }
    }
  });
  auto count = [&] {
    std::lock_guard lock(mutex);
    return acknowledged.size();
  };
  auto wait_for_count = [&](std::size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 90s;
    while (count() < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    return count() >= n;
  };
  ASSERT_TRUE(wait_for_count(20));
  cluster.crash_postgres(first_leader);
  const auto at_kill = count();
  const bool resumed = wait_for_count(at_kill + 20);
  stop = true;
  writer.join();
  ASSERT_TRUE(resumed) << "no write succeeded after the failover";
  EXPECT_NE(cluster.leader(), -1);
  for (Id id : acknowledged) EXPECT_TRUE(store::Repository<repair::WorkOrder>(*s).get(id)) << id;
  // Anything that failed is a commit whose outcome the connection loss hid, and says so.
  for (const auto& what : unknown)
    EXPECT_NE(what.find("whether the transaction committed is unknown"), std::string::npos) << what;
  EXPECT_LE(unknown.size(), 1u);
}

}  // namespace
}  // namespace houqin
